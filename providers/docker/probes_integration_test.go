//go:build integration

package docker

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// The published port always accepts (docker-proxy): tcp readiness must be
// checked at the container's own address, and an app that does not listen
// on its port must never become ready, with tcp or http readiness.
func TestIntegrationReadinessWhenNothingListensInside(t *testing.T) {
	for _, probe := range []string{
		"tcp {\n port = \"http\"\n }",
		"http {\n path = \"/healthz\"\n port = \"http\"\n }",
	} {
		kind := strings.Fields(probe)[0]
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf("rl%s%d", kind, time.Now().UnixNano()%1e6))
			ready := "readiness {\n " + probe + "\n period = \"200ms\"\n timeout = \"150ms\"\n}\n"
			wrong := h.config(bareAppBody(h.e.image+":v1", 1, ready+`env = { LISTEN = ":9999" }`), h.e.registry)
			diags := h.apply(wrong, h.plan(wrong), nil)
			if !diags.HasErrors() || !strings.Contains(diags.Error(), "not ready within healthy_deadline") {
				t.Fatalf("an app listening on another port became ready: %v", diags)
			}
			t.Logf("failure: %s", diags.Error())
			if ins := app.DecodeInstances(h.state); len(ins) != 1 || ins[0].Status != statusNotReady {
				t.Errorf("state %+v", ins)
			}
			// The same app listening where it should is ready, so the check
			// does reach the container.
			right := h.config(bareAppBody(h.e.image+":v1", 1, ready), h.e.registry)
			h.mustApply(right, nil)
			if ins := app.DecodeInstances(h.state); len(ins) != 1 || ins[0].Status != statusRunning {
				t.Errorf("state %+v", ins)
			}
		})
	}
}

// While an instance is not ready, apply says every few seconds what its
// probe gets; the final error says it once.
func TestIntegrationReadinessProgress(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("rp%d", time.Now().UnixNano()%1e6))
	body := strings.Replace(bareAppBody(h.e.image+":v1", 1, `readiness {
  http {
    path = "/nope"
    port = "http"
  }
  period  = "1s"
  timeout = "900ms"
}`), `healthy_deadline = "4s"`, `healthy_deadline = "13s"`, 1)
	cfg := h.config(body, h.e.registry)
	diags := h.apply(cfg, h.plan(cfg), nil)
	if !diags.HasErrors() {
		t.Fatal("an app whose readiness path answers 404 became ready")
	}
	msg := diags.Error()
	if !strings.Contains(msg, "not ready within healthy_deadline 13s; last attempt: GET http://") ||
		strings.Count(msg, "404 Not Found") != 1 || strings.Count(msg, "not ready") != 1 {
		t.Errorf("the failure should say once what the probe got:\n%s", msg)
	}
	var reports []string
	h.mu.Lock()
	for _, ev := range h.events {
		if ev.Kind == "probe" {
			reports = append(reports, ev.Message)
			if ev.Instance == "" {
				t.Errorf("probe event %q names no instance", ev.Message)
			}
		}
	}
	h.mu.Unlock()
	// Reports come every 5s of a 13s wait: at 5s and 10s.
	if len(reports) < 2 {
		t.Fatalf("%d probe reports in a 13s wait, want 2 or more: %q", len(reports), reports)
	}
	for _, r := range reports {
		if !strings.Contains(r, ": not ready yet after ") || !strings.Contains(r, "/nope answered 404 Not Found (") ||
			!strings.Contains(r, "attempts failed in a row)") {
			t.Errorf("probe report %q does not say what the probe got", r)
		}
	}
	t.Logf("reports: %q; failure: %s", reports, msg)
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

// TestIntegrationLivenessHelperInScratchImage checks the approach of
// docs/docker.md: the probe helper copied into a created container of a
// FROM scratch image serves as its HEALTHCHECK for http and tcp liveness.
func TestIntegrationLivenessHelperInScratchImage(t *testing.T) {
	e := env(t)
	ctx := t.Context()
	a := connect(t, e.hostA)
	id := testID(t, a)
	helper := filepath.Join(t.TempDir(), "probe")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", helper, "./probehelper")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the probe helper: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(helper)
	if err != nil {
		t.Fatal(err)
	}
	img, err := e.registry.Resolve(ctx, e.image+":v1")
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := e.registry.PullAuth()
	if err := a.Pull(ctx, img.Pinned(), auth); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		test []string
		want string
	}{
		{name: "http-live", test: []string{"CMD", "/.berth/probe", "-status", "200", "http://127.0.0.1:8080/livez"}, want: "healthy"},
		{name: "tcp-live", test: []string{"CMD", "/.berth/probe", "tcp://127.0.0.1:8080"}, want: "healthy"},
		{name: "http-dead", env: map[string]string{"LIVE_FAIL_AFTER": "1ms"}, test: []string{"CMD", "/.berth/probe", "http://127.0.0.1:8080/livez"}, want: "unhealthy"},
		{name: "tcp-dead", test: []string{"CMD", "/.berth/probe", "tcp://127.0.0.1:9"}, want: "unhealthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env == nil {
				tt.env = map[string]string{}
			}
			tt.env["LIVE_FAIL_AFTER"] = cmp.Or(tt.env["LIVE_FAIL_AFTER"], "")
			cid, err := a.Create(ctx, engine.ContainerSpec{
				Name: "berth-" + id + "-" + tt.name, Image: img.Pinned(), Env: tt.env,
				Labels:      engine.InstanceLabels{ID: id, App: "live", Instance: tt.name}.Map(),
				Healthcheck: &engine.Healthcheck{Test: tt.test, Interval: 200 * time.Millisecond, Timeout: time.Second, Retries: 2},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.CopyFile(ctx, cid, "/.berth/probe", 0o755, bin); err != nil {
				t.Fatal(err)
			}
			if err := a.Start(ctx, cid); err != nil {
				t.Fatal(err)
			}
			var info engine.ContainerInfo
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if info, err = a.Inspect(ctx, cid); err != nil {
					t.Fatal(err)
				}
				if info.Health == tt.want {
					return
				}
			}
			t.Errorf("health %q, want %q", info.Health, tt.want)
		})
	}
}
