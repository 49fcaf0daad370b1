//go:build integration

package docker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/core/rollout"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// harness drives the provider in process through providers.Interface as
// the engine does: plan, then StepAll or the rollout's waves in order.
type harness struct {
	t      testing.TB
	e      testEnv
	p      *Provider
	name   string
	state  cty.Value
	mu     sync.Mutex
	events []providers.ApplyEvent
}

func newHarness(t testing.TB, name string) *harness {
	e := env(t)
	h := &harness{t: t, e: e, p: New(), name: name, state: nullAppForTest()}
	t.Cleanup(func() {
		// Whatever the test left: every container of this app's deployment.
		if id := str(h.state, "deployment_id"); id != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for _, cfg := range []HostConfig{e.hostA, e.hostB} {
				host, _, err := h.p.host(ctx, cfg)
				if err != nil {
					continue
				}
				cs, _ := host.ListManaged(ctx, id)
				for _, c := range cs {
					_ = host.Remove(ctx, c.ID)
				}
			}
		}
		_ = h.p.Close()
	})
	return h
}

func newHarnessB(b *testing.B, name string) *harness {
	return newHarness(b, name)
}

// config is an app on hosts A (pool=core) and B (pool=batch).
func (h *harness) config(body string, reg Registry) cty.Value {
	cl := clusterValue(h.t, "c",
		testHost{name: h.e.hostA.Name, endpoint: h.e.hostA.Endpoint, labels: h.e.hostA.Labels},
		testHost{name: h.e.hostB.Name, endpoint: h.e.hostB.Endpoint, labels: h.e.hostB.Labels})
	return appValue(h.t, "cluster = cluster.c\n"+body, cl, registryValue(reg.Address, reg.Username, reg.Password), h.name)
}

func (h *harness) plan(cfg cty.Value) providers.PlanResourceChangeResponse {
	h.t.Helper()
	return h.p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{
		TypeName: TypeApp, PriorState: h.state, ProposedNewState: cfg, Config: cfg})
}

func (h *harness) event(ev providers.ApplyEvent) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

// apply carries out a plan as the engine would; afterWave runs after
// each successful wave. It returns the diagnostics of the failed step,
// after a revert when the rollout says auto_revert.
func (h *harness) apply(cfg cty.Value, pl providers.PlanResourceChangeResponse, afterWave func(int)) hcl.Diagnostics {
	h.t.Helper()
	if pl.Diagnostics.HasErrors() {
		h.t.Fatalf("plan: %v", pl.Diagnostics)
	}
	req := providers.ApplyResourceChangeRequest{TypeName: TypeApp, PriorState: h.state, PlannedState: pl.PlannedState,
		Config: cfg, PlannedPrivate: pl.PlannedPrivate}
	if pl.Rollout == nil {
		resp := h.p.ApplyResourceChange(context.Background(), req, h.event)
		h.state = resp.NewState
		return resp.Diagnostics
	}
	// The engine's rollout driver sequences the provider's steps.
	d := &rollout.Driver{
		Object: "app." + h.name,
		Apply: func(ctx context.Context, planned cty.Value, step providers.RolloutStep) (cty.Value, hcl.Diagnostics) {
			req.PriorState, req.PlannedState, req.Step = h.state, planned, step
			resp := h.p.ApplyResourceChange(ctx, req, h.event)
			h.state = resp.NewState
			return resp.NewState, resp.Diagnostics
		},
		Events: func(ev rollout.Event) {
			switch ev.Kind {
			case rollout.WaveStarted:
				h.event(providers.ApplyEvent{Kind: "wave_started", Wave: ev.Wave})
			case rollout.WaveCompleted:
				h.event(providers.ApplyEvent{Kind: "wave_done", Wave: ev.Wave})
				if afterWave != nil {
					afterWave(ev.Wave - 1)
				}
			}
		},
	}
	_, diags := d.Run(context.Background(), h.state, pl.PlannedState, pl.Rollout)
	return diags
}

// step applies one step of wave (1-based) of pl's rollout, as the
// rollout driver would, and records the state it reports.
func (h *harness) step(cfg cty.Value, pl providers.PlanResourceChangeResponse, kind providers.StepKind, wave int) providers.ApplyResourceChangeResponse {
	h.t.Helper()
	var names []string
	for _, in := range pl.Rollout.Waves[wave-1].Instances {
		names = append(names, in.Name)
	}
	resp := h.p.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{TypeName: TypeApp,
		PriorState: h.state, PlannedState: pl.PlannedState, Config: cfg, PlannedPrivate: pl.PlannedPrivate,
		Step: providers.RolloutStep{Kind: kind, Wave: wave, Instances: names, HoldFor: pl.Rollout.MinHealthy}}, h.event)
	h.state = resp.NewState
	return resp
}

func (h *harness) mustApply(cfg cty.Value, afterWave func(int)) providers.PlanResourceChangeResponse {
	h.t.Helper()
	pl := h.plan(cfg)
	if diags := h.apply(cfg, pl, afterWave); diags.HasErrors() {
		h.t.Fatalf("apply: %v", diags)
	}
	return pl
}

func (h *harness) read() cty.Value {
	h.t.Helper()
	resp := h.p.ReadResources(context.Background(), providers.ReadResourcesRequest{Objects: []providers.ReadObject{{ID: "app." + h.name, TypeName: TypeApp, State: h.state}}})
	if len(resp.Results) != 1 || resp.Results[0].Diagnostics.HasErrors() {
		h.t.Fatalf("read: %+v %v", resp.Results, resp.Diagnostics)
	}
	return resp.Results[0].NewState
}

// httpGet answers the status and body of path on an instance's published port.
func httpGet(addr app.Address, path string) (int, string) {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr.String() + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

const appBody = `
image    = %q
replicas = %d
port "http" {
  container = 8080
}
readiness {
  http {
    path = "/healthz"
    port = "http"
  }
  period  = "200ms"
  timeout = "150ms"
}
placement {
  spread = "host"
}
rollout {
  initial_batch    = 1
  growth           = 2
  max_unavailable  = %d
  min_healthy      = "1s"
  healthy_deadline = "5s"
}
`

func TestIntegrationAppCreateRolloutDriftDestroy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("it%d", time.Now().UnixNano()%1e6))
	reg := h.e.registry
	v1 := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 4, 0), reg)

	// Create: 4 replicas spread over the two hosts, no rollout.
	pl := h.plan(v1)
	if pl.Rollout != nil {
		t.Errorf("create planned a rollout: %+v", pl.Rollout)
	}
	h.mustApply(v1, nil)
	ins := app.DecodeInstances(h.state)
	perHost := map[string]int{}
	for _, in := range ins {
		perHost[in.Host]++
		if code, body := httpGet(in.Addresses["http"], "/version"); code != 200 || body != "v1" {
			t.Errorf("%s: /version %d %q", in.Name, code, body)
		}
	}
	if len(ins) != 4 || perHost[h.e.hostA.Name] != 2 || perHost[h.e.hostB.Name] != 2 {
		t.Fatalf("instances %+v", ins)
	}

	// No change: an empty plan.
	if again := h.plan(v1); again.Rollout != nil || !again.PlannedState.RawEquals(h.state) {
		t.Errorf("a second plan is not empty: rollout %v", again.Rollout)
	}

	// v1 → v2 in waves 1, 2, 1, each ready before the next.
	v2 := h.config(fmt.Sprintf(appBody, h.e.image+":v2", 4, 0), reg)
	pl = h.plan(v2)
	if pl.Rollout == nil {
		t.Fatal("an image change planned no rollout")
	}
	var sizes []int
	for _, w := range pl.Rollout.Waves {
		sizes = append(sizes, len(w.Instances))
	}
	if !slices.Equal(sizes, []int{1, 2, 1}) {
		t.Fatalf("waves %v, want [1 2 1]", sizes)
	}
	if got := str(pl.PlannedState, "image_digest"); got == str(h.state, "image_digest") || !strings.Contains(got, "@sha256:") {
		t.Errorf("image_digest %s", got)
	}
	h.events = nil
	newV2 := 0
	h.apply(v2, pl, func(w int) {
		n := 0
		for _, in := range app.DecodeInstances(h.state) {
			if in.ImageDigest == str(pl.PlannedState, "image_digest") {
				n++
				if code, body := httpGet(in.Addresses["http"], "/version"); code != 200 || body != "v2" {
					t.Errorf("wave %d: %s answers %d %q", w, in.Name, code, body)
				}
			}
		}
		if n != newV2+sizes[w] {
			t.Errorf("after wave %d: %d instances on v2, want %d", w, n, newV2+sizes[w])
		}
		newV2 = n
		if len(app.DecodeInstances(h.state)) != 4 {
			t.Errorf("after wave %d: %d containers, want 4", w, len(app.DecodeInstances(h.state)))
		}
	})
	// Events: each wave's instances are healthy, then the old ones stop,
	// before the next wave starts; the provider's events carry the wave
	// number the driver gave the step (1-based, as the plan shows).
	var order []string
	for _, ev := range h.events {
		switch ev.Kind {
		case "wave_started", "wave_done":
			order = append(order, fmt.Sprintf("%s %d", ev.Kind, ev.Wave))
		case "instance_healthy":
			order = append(order, fmt.Sprintf("healthy %d", ev.Wave))
		case "instance_stopped":
			order = append(order, fmt.Sprintf("stopped %d", ev.Wave))
		}
	}
	want := []string{"wave_started 1", "healthy 1", "stopped 1", "wave_done 1",
		"wave_started 2", "healthy 2", "healthy 2", "stopped 2", "stopped 2", "wave_done 2",
		"wave_started 3", "healthy 3", "stopped 3", "wave_done 3"}
	if !slices.Equal(order, want) {
		t.Errorf("events\n%q\nwant\n%q", order, want)
	}
	if again := h.plan(v2); again.Rollout != nil {
		t.Errorf("after the rollout, a plan still rolls: %+v", again.Rollout)
	}

	// Drift: a container removed behind berth's back.
	victim := app.DecodeInstances(h.state)[1]
	hostCfg := map[string]HostConfig{h.e.hostA.Name: h.e.hostA, h.e.hostB.Name: h.e.hostB}[victim.Host]
	eng, _, err := h.p.host(t.Context(), hostCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Remove(t.Context(), victim.ID); err != nil {
		t.Fatal(err)
	}
	h.state = h.read()
	if n := len(app.DecodeInstances(h.state)); n != 3 {
		t.Fatalf("refresh after removal: %d instances, want 3", n)
	}
	pl = h.plan(v2)
	if pl.Rollout != nil {
		t.Errorf("drift repair planned a rollout")
	}
	h.mustApply(v2, nil)
	if ins := app.DecodeInstances(h.state); len(ins) != 4 || !slices.ContainsFunc(ins, func(in app.Instance) bool { return in.Name == victim.Name }) {
		t.Errorf("after repair: %+v", ins)
	}

	// Destroy removes exactly berth's containers: a foreign one survives.
	foreign, err := eng.Create(t.Context(), ContainerSpec{Name: h.name + "-foreign", Image: str(h.state, "image_digest"), Labels: map[string]string{"sh.berth.app": h.name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Remove(context.Background(), foreign) })
	resp := h.p.ApplyResourceChange(t.Context(), providers.ApplyResourceChangeRequest{TypeName: TypeApp, PriorState: h.state, PlannedState: nullAppForTest()}, nil)
	if resp.Diagnostics.HasErrors() || !resp.NewState.IsNull() {
		t.Fatalf("destroy: %v", resp.Diagnostics)
	}
	for _, cfg := range []HostConfig{h.e.hostA, h.e.hostB} {
		host, _, _ := h.p.host(t.Context(), cfg)
		cs, _ := host.ListManaged(t.Context(), str(h.state, "deployment_id"))
		if len(cs) != 0 {
			t.Errorf("%s: %d containers left", cfg.Name, len(cs))
		}
	}
	if _, err := eng.Inspect(t.Context(), foreign); err != nil {
		t.Errorf("the foreign container is gone: %v", err)
	}
}

// serving counts the app's ready instances: running containers answering
// /healthz with 200 on their published port.
// serving counts the app's running containers that answer 200 on
// /healthz. A container that fails a check is asked once more 300ms later,
// so one slow answer on a loaded machine is not counted as an outage (a
// container really stopped stays down for seconds). An engine that cannot
// be asked makes the sample invalid rather than counting its containers as
// down.
func (h *harness) serving(ctx context.Context, id string) (int, error) {
	n := 0
	for _, cfg := range []HostConfig{h.e.hostA, h.e.hostB} {
		host, _, err := h.p.host(ctx, cfg)
		if err != nil {
			return 0, err
		}
		cs, err := host.ListManaged(ctx, id)
		if err != nil {
			return 0, err
		}
		for _, c := range cs {
			port := app.Address{IP: "127.0.0.1", Port: int(c.Ports["8080/tcp"])}
			if c.State != "running" || port.Port == 0 {
				continue
			}
			code, _ := httpGet(port, "/healthz")
			if code != 200 {
				time.Sleep(300 * time.Millisecond)
				code, _ = httpGet(port, "/healthz")
			}
			if code == 200 {
				n++
			}
		}
	}
	return n, nil
}

func TestIntegrationNeverReadyRevert(t *testing.T) {
	for _, maxUnavail := range []int{0, 1} {
		t.Run(fmt.Sprintf("max_unavailable=%d", maxUnavail), func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf("nr%d", time.Now().UnixNano()%1e6))
			reg := h.e.registry
			v1 := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 4, maxUnavail), reg)
			h.mustApply(v1, nil)
			before := app.DecodeInstances(h.state)
			id := str(h.state, "deployment_id")

			bad := h.config(fmt.Sprintf(appBody, h.e.image+":never-ready", 4, maxUnavail), reg)
			pl := h.plan(bad)
			if pl.Rollout == nil || !pl.Rollout.AutoRevert {
				t.Fatalf("rollout %+v", pl.Rollout)
			}
			// The poller: serving never drops below replicas - max_unavailable.
			var minServing atomic.Int64
			minServing.Store(100)
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ctx.Err() == nil {
					n, err := h.serving(ctx, id)
					if err == nil && ctx.Err() == nil && int64(n) < minServing.Load() {
						minServing.Store(int64(n))
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			began := time.Now()
			diags := h.apply(bad, pl, nil)
			stop()
			<-done
			if !diags.HasErrors() {
				t.Fatal("the never-ready rollout succeeded")
			}
			msg := diags.Error()
			for _, w := range []string{"healthy_deadline 5s", "answered 503", h.name + "-1"} {
				if !strings.Contains(msg, w) {
					t.Errorf("the failure does not say %q: %s", w, msg)
				}
			}
			if el := time.Since(began); el < 5*time.Second {
				t.Errorf("failed after %s, before healthy_deadline", el)
			}
			if got, want := minServing.Load(), int64(4-maxUnavail); got < want {
				t.Errorf("serving dropped to %d, want at least %d", got, want)
			}
			t.Logf("min serving %d; failure: %s", minServing.Load(), msg)
			// The state is the prior spec again, and says what runs.
			after := app.DecodeInstances(h.state)
			if len(after) != 4 || str(h.state, "image_digest") != str(pl.PlannedState, "image_digest") && str(h.state, "config_hash") == str(pl.PlannedState, "config_hash") {
				t.Errorf("state after revert: %+v", after)
			}
			for _, in := range after {
				if in.ConfigHash != before[0].ConfigHash || in.Status != statusRunning {
					t.Errorf("after revert %s runs %s (%s)", in.Name, in.ConfigHash, in.Status)
				}
			}
			if n, err := h.serving(t.Context(), id); n != 4 {
				t.Errorf("%d serving after revert (%v)", n, err)
			}
			if again := h.plan(v1); again.Rollout != nil {
				t.Errorf("after revert the prior config still rolls")
			}
		})
	}
}

func TestIntegrationWrongRegistryPassword(t *testing.T) {
	h := newHarness(t, "pw")
	reg := h.e.registry
	reg.Password = "wrong"
	pl := h.plan(h.config(fmt.Sprintf(appBody, h.e.image+":v1", 1, 0), reg))
	if !pl.Diagnostics.HasErrors() {
		t.Fatal("plan with a wrong password succeeded")
	}
	msg := pl.Diagnostics.Error()
	for _, w := range []string{"registry " + reg.Address, h.e.image + ":v1", "UNAUTHORIZED"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q does not say %q", msg, w)
		}
	}
	if p := providers.DiagnosticPath(pl.Diagnostics[0]); len(p) != 1 {
		t.Errorf("diagnostic path %v", p)
	}
}

func TestIntegrationImpossiblePlacement(t *testing.T) {
	h := newHarness(t, "big")
	body := fmt.Sprintf(appBody, h.e.image+":v1", 3, 0) + "\nresources {\n  cpu = 512\n}\n"
	pl := h.plan(h.config(body, h.e.registry))
	if !pl.Diagnostics.HasErrors() || !strings.Contains(pl.Diagnostics.Error(), "needs 3 × 512 CPU") {
		t.Fatalf("diagnostics %v", pl.Diagnostics)
	}
}

// Stop during a wave: the call returns promptly with the state that
// exists (the old instances and the new, not yet ready one).
func TestIntegrationStopDuringWave(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("st%d", time.Now().UnixNano()%1e6))
	body := strings.Replace(appBody, `healthy_deadline = "5s"`, `healthy_deadline = "2m"`, 1)
	v1 := h.config(fmt.Sprintf(body, h.e.image+":v1", 2, 0), h.e.registry)
	h.mustApply(v1, nil)
	bad := h.config(fmt.Sprintf(body, h.e.image+":never-ready", 2, 0), h.e.registry)
	pl := h.plan(bad)
	if pl.Rollout == nil {
		t.Fatal("no rollout")
	}
	time.AfterFunc(1500*time.Millisecond, func() { _ = h.p.Stop(context.Background()) })
	began := time.Now()
	resp := h.step(bad, pl, providers.StepStart, 1)
	if el := time.Since(began); el > 20*time.Second {
		t.Errorf("Stop took %s to end the wave (healthy_deadline 2m)", el)
	}
	if !resp.Diagnostics.HasErrors() {
		t.Fatal("a stopped wave reported success")
	}
	ins := app.DecodeInstances(resp.NewState)
	var old, notReady int
	for _, in := range ins {
		switch {
		case in.ConfigHash == str(pl.PlannedState, "config_hash") && in.Status == statusNotReady:
			notReady++
		case in.ConfigHash != str(pl.PlannedState, "config_hash") && in.Status == statusRunning:
			old++
		}
	}
	if old != 2 || notReady != 1 || len(ins) != 3 {
		t.Errorf("partial state after Stop: %+v", ins)
	}
	// The next plan of the old config goes back without a rollout of old
	// instances: only the not-ready one is removed.
	if pl := h.plan(v1); pl.Rollout != nil {
		t.Errorf("plan after Stop rolls: %+v", pl.Rollout)
	}
}

// Hooks and liveness: after_start's output and exit code are logged, a
// required hook that fails fails the instance, and http liveness runs as
// the container's HEALTHCHECK through the probe helper (a scratch image).
func TestIntegrationHooksAndLiveness(t *testing.T) {
	extra := `
liveness {
  http {
    path = "/livez"
    port = "http"
  }
  period  = "1s"
  timeout = "500ms"
}
hooks {
  after_start {
    exec     = ["/server", "-echo", "warmed", "-exit", "%d"]
    required = %v
  }
  before_stop {
    exec = ["/server", "-echo", "bye"]
  }
  drain = "100ms"
}
`
	tests := []struct {
		name     string
		exit     int
		required bool
		fails    bool
	}{
		{"hook ok", 0, true, false},
		{"optional hook fails", 3, false, false},
		{"required hook fails", 3, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf("hk%d", time.Now().UnixNano()%1e6))
			cfg := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 1, 0)+fmt.Sprintf(extra, tt.exit, tt.required), h.e.registry)
			pl := h.plan(cfg)
			diags := h.apply(cfg, pl, nil)
			if diags.HasErrors() != tt.fails {
				t.Fatalf("diagnostics %v, want failure %v", diags, tt.fails)
			}
			var logged bool
			for _, ev := range h.events {
				if ev.Kind == "log" && strings.Contains(ev.Message, fmt.Sprintf("after_start hook of %s-1 exited %d: warmed", h.name, tt.exit)) {
					logged = true
				}
			}
			if !logged {
				t.Errorf("after_start not logged: %+v", h.events)
			}
			if tt.fails {
				if ins := app.DecodeInstances(h.state); len(ins) != 1 || ins[0].Status != statusNotReady {
					t.Errorf("state %+v", ins)
				}
				return
			}
			in := app.DecodeInstances(h.state)[0]
			eng, _, _ := h.p.host(t.Context(), h.e.hostA)
			if in.Host == h.e.hostB.Name {
				eng, _, _ = h.p.host(t.Context(), h.e.hostB)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				info, err := eng.Inspect(t.Context(), in.ID)
				if err == nil && info.Health == "healthy" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("liveness never healthy: %+v %v", info, err)
				}
				time.Sleep(200 * time.Millisecond)
			}
			h.events = nil
			resp := h.p.ApplyResourceChange(t.Context(), providers.ApplyResourceChangeRequest{TypeName: TypeApp, PriorState: h.state, PlannedState: nullAppForTest()}, h.event)
			if resp.Diagnostics.HasErrors() {
				t.Fatal(resp.Diagnostics)
			}
			if !slices.ContainsFunc(h.events, func(ev providers.ApplyEvent) bool {
				return ev.Kind == "log" && strings.Contains(ev.Message, "before_stop hook of "+h.name+"-1 exited 0: bye")
			}) {
				t.Errorf("before_stop not logged: %+v", h.events)
			}
		})
	}
}

// Two apps planned in the same run count each other's instances: the
// second does not fit where the first was placed, and the plan says so,
// instead of an apply that overcommits the hosts. Planned alone, it fits.
func TestIntegrationPlacementCountsAppsOfTheSameRun(t *testing.T) {
	h1 := newHarness(t, "capa")
	h2 := newHarness(t, "capb")
	h2.p = h1.p
	big := func(h *harness, cpu string, replicas int) cty.Value {
		return h.config(fmt.Sprintf(appBody, h.e.image+":v1", replicas, 0)+"\nresources {\n  cpu = "+cpu+"\n}\n", h.e.registry)
	}
	if pl := h1.plan(big(h1, "1.5", 2)); pl.Diagnostics.HasErrors() {
		t.Fatalf("the first app does not fit: %v", pl.Diagnostics)
	}
	pl := h2.plan(big(h2, "1", 1))
	if !pl.Diagnostics.HasErrors() || !strings.Contains(pl.Diagnostics.Error(), "needs 1 × 1 CPU") {
		t.Fatalf("the second app was placed where the first one is: %v", pl.Diagnostics)
	}
	// The message says whose the capacity is.
	if msg := pl.Diagnostics[0].Detail; !strings.Contains(msg, "apps planned earlier in this run reserve app.capa 1.5 CPU on host-a, app.capa 1.5 CPU on host-b") {
		t.Errorf("the message does not name the reservations: %s", msg)
	}
	alone := newHarness(t, "capb")
	if pl := alone.plan(big(alone, "1", 1)); pl.Diagnostics.HasErrors() {
		t.Fatalf("planned alone, the second app does not fit either: %v", pl.Diagnostics)
	}
}

// -replace of an app that fills its hosts: the core plans the update, then
// the replacement's create (prior state null). The create is placed on
// the room the app's own containers hold, which the destroy frees first,
// not refused for lack of it.
func TestIntegrationReplaceOfAFullApp(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("rp%d", time.Now().UnixNano()%1e6))
	cfg := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 2, 0)+"\nresources {\n  cpu = 1.5\n}\n", h.e.registry)
	h.mustApply(cfg, nil)
	p := New() // a new run
	for _, prior := range []cty.Value{h.state, nullAppForTest()} {
		pl := p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{
			TypeName: TypeApp, PriorState: prior, ProposedNewState: cfg, Config: cfg})
		if pl.Diagnostics.HasErrors() {
			t.Fatalf("plan with prior %s: %v", prior.GoString()[:40], pl.Diagnostics)
		}
	}
}

// Until its rollout completes, an app's recorded spec is the previous one,
// with the instances as they run: after wave 1 of 3, one instance runs v2
// and the state still says v1, so the next plan rolls on from there and a
// revert goes back to v1.
func TestIntegrationSpecChangesWhenTheRolloutCompletes(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("sp%d", time.Now().UnixNano()%1e6))
	v1 := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 4, 0), h.e.registry)
	h.mustApply(v1, nil)
	v1Hash, v1Digest := str(h.state, "config_hash"), str(h.state, "image_digest")
	v2 := h.config(fmt.Sprintf(appBody, h.e.image+":v2", 4, 0), h.e.registry)
	pl := h.plan(v2)
	if pl.Rollout == nil || len(pl.Rollout.Waves) != 3 {
		t.Fatalf("rollout %+v", pl.Rollout)
	}
	for _, kind := range []providers.StepKind{providers.StepStart, providers.StepStop} {
		if resp := h.step(v2, pl, kind, 1); resp.Diagnostics.HasErrors() {
			t.Fatal(resp.Diagnostics)
		}
	}
	if str(h.state, "config_hash") != v1Hash || str(h.state, "image_digest") != v1Digest {
		t.Errorf("after wave 1 the state records spec %s (%s), want the previous %s", str(h.state, "config_hash"), str(h.state, "image_digest"), v1Hash)
	}
	onNew := 0
	for _, in := range app.DecodeInstances(h.state) {
		if in.ConfigHash == str(pl.PlannedState, "config_hash") {
			onNew++
		}
	}
	if onNew != 1 || len(app.DecodeInstances(h.state)) != 4 {
		t.Errorf("after wave 1: %d of %d instances on v2, want 1 of 4", onNew, len(app.DecodeInstances(h.state)))
	}
	// The next plan rolls out only the rest.
	if again := h.plan(v2); again.Rollout == nil || len(again.Rollout.Waves) != 2 {
		t.Errorf("the next plan's rollout: %+v", again.Rollout)
	}
}

// Planning a new app whose name already runs on its hosts under a
// deployment the state does not know (an aborted apply, a lost state)
// warns, naming the deployment to import.
func TestIntegrationUnrecordedDeploymentIsNamed(t *testing.T) {
	name := fmt.Sprintf("ur%d", time.Now().UnixNano()%1e6)
	h := newHarness(t, name)
	cfg := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 2, 0), h.e.registry)
	h.mustApply(cfg, nil)
	id := str(h.state, "deployment_id")

	fresh := newHarness(t, name) // the state was lost: nothing recorded
	pl := fresh.plan(cfg)
	if pl.Diagnostics.HasErrors() {
		t.Fatal(pl.Diagnostics)
	}
	var warned bool
	for _, d := range pl.Diagnostics {
		warned = warned || d.Severity == hcl.DiagWarning && strings.Contains(d.Detail, "deployment "+id+" on host-a, host-b") && strings.Contains(d.Detail, "berth import")
	}
	if !warned {
		t.Errorf("no warning naming deployment %s: %v", id, pl.Diagnostics)
	}
	// The app's own plan, with its state, does not warn.
	if again := h.plan(cfg); len(again.Diagnostics) != 0 {
		t.Errorf("the recorded app's plan warns: %v", again.Diagnostics)
	}
}
