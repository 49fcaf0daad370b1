//go:build integration

package docker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/core/rollout"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/registry"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
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
			for _, cfg := range []engine.HostConfig{e.hostA, e.hostB} {
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
func (h *harness) config(body string, reg registry.Registry) cty.Value {
	cl := clusterValue(h.t, "c",
		testHost{name: h.e.hostA.Name, endpoint: h.e.hostA.Endpoint, labels: h.e.hostA.Labels},
		testHost{name: h.e.hostB.Name, endpoint: h.e.hostB.Endpoint, labels: h.e.hostB.Labels})
	return appValue(h.t, "cluster = cluster.c\n"+body, cl, registryValue(reg.Address, reg.Username, reg.Password), h.name)
}

// configHosts is the harness's app on the given hosts only.
func (h *harness) configHosts(body string, hosts ...engine.HostConfig) cty.Value {
	var ths []testHost
	for _, c := range hosts {
		ths = append(ths, testHost{name: c.Name, endpoint: c.Endpoint, labels: c.Labels})
	}
	reg := h.e.registry
	return appValue(h.t, "cluster = cluster.c\n"+body, clusterValue(h.t, "c", ths...), registryValue(reg.Address, reg.Username, reg.Password), h.name)
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

// serving counts the app's running containers that answer 200 on
// /healthz. A container that fails a check is asked once more 300ms later,
// so one slow answer on a loaded machine is not counted as an outage (a
// container really stopped stays down for seconds). An engine that cannot
// be asked makes the sample invalid rather than counting its containers as
// down.
func (h *harness) serving(ctx context.Context, id string) (int, error) {
	n := 0
	for _, cfg := range []engine.HostConfig{h.e.hostA, h.e.hostB} {
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

// appBody is the format of an app of the test server with http readiness:
// the image, the replicas and max_unavailable fill its verbs.
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

// bareAppBody is an app of the test server without readiness (which
// appBody has) and with a custom part: env, probes, command.
func bareAppBody(image string, replicas int, extra string) string {
	return fmt.Sprintf(`
image    = %q
replicas = %d
port "http" {
  container = 8080
}
placement {
  spread = "host"
}
rollout {
  initial_batch    = 1
  min_healthy      = "500ms"
  healthy_deadline = "4s"
}
%s
`, image, replicas, extra)
}
