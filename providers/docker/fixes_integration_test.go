//go:build integration

package docker

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// fixBody is an app of the test server with a custom part (env, probes).
func fixBody(image string, replicas int, extra string) string {
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
			wrong := h.config(fixBody(h.e.image+":v1", 1, ready+`env = { LISTEN = ":9999" }`), h.e.registry)
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
			right := h.config(fixBody(h.e.image+":v1", 1, ready), h.e.registry)
			h.mustApply(right, nil)
			if ins := app.DecodeInstances(h.state); len(ins) != 1 || ins[0].Status != statusRunning {
				t.Errorf("state %+v", ins)
			}
		})
	}
}

// Engine API 1.41 (Debian's 20.10) lists no Health: the Status text says
// "(unhealthy)". Refresh reports the container unhealthy, and the plan
// replaces it.
func TestIntegrationUnhealthyIsDriftAndReplaced(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("uh%d", time.Now().UnixNano()%1e6))
	cfg := h.config(fixBody(h.e.image+":v1", 1, `
env = { LIVE_FAIL_AFTER = "1s" }
liveness {
  exec {
    command = ["/server", "-probe", "http://127.0.0.1:8080/livez", "-timeout", "300ms"]
  }
  period  = "500ms"
  timeout = "400ms"
  failure_threshold = 1
}
`), h.e.registry)
	h.mustApply(cfg, nil)
	old := app.DecodeInstances(h.state)[0]
	deadline := time.Now().Add(20 * time.Second)
	for {
		h.state = h.read()
		if ins := app.DecodeInstances(h.state); len(ins) == 1 && ins[0].Status == statusUnhealthy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never read as unhealthy: %+v", app.DecodeInstances(h.state))
		}
		time.Sleep(300 * time.Millisecond)
	}
	pl := h.plan(cfg)
	if pl.Rollout != nil {
		t.Errorf("repairing an unhealthy container planned a rollout")
	}
	if ins := app.DecodeInstances(pl.PlannedState); len(ins) != 1 || ins[0].ID != "" {
		t.Fatalf("the plan keeps the unhealthy container: %+v", ins)
	}
	if diags := h.apply(cfg, pl, nil); diags.HasErrors() {
		t.Fatal(diags)
	}
	ins := app.DecodeInstances(h.state)
	if len(ins) != 1 || ins[0].ID == old.ID || ins[0].Status != statusRunning {
		t.Errorf("after apply %+v (old container %s)", ins, short(old.ID))
	}
}

// A container of the app swapped behind berth's back for one of another
// image (same labels, config hash included) is replaced by apply.
func TestIntegrationOtherImageBehindBerthsBack(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("sw%d", time.Now().UnixNano()%1e6))
	cfg := h.config(fixBody(h.e.image+":v1", 2, ""), h.e.registry)
	h.mustApply(cfg, nil)
	victim := app.DecodeInstances(h.state)[0]
	hostCfg := map[string]HostConfig{h.e.hostA.Name: h.e.hostA, h.e.hostB.Name: h.e.hostB}[victim.Host]
	eng, _, err := h.p.host(t.Context(), hostCfg)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := h.e.registry.Resolve(t.Context(), h.e.image+":v2")
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := h.e.registry.PullAuth()
	if err := eng.Pull(t.Context(), v2.Pinned(), auth); err != nil {
		t.Fatal(err)
	}
	info, err := eng.Inspect(t.Context(), victim.ID)
	if err != nil {
		t.Fatal(err)
	}
	id, err := eng.Create(t.Context(), ContainerSpec{Name: info.Name + "-swapped", Image: v2.Pinned(), Labels: info.Labels,
		Ports: []PortSpec{{Container: 8080}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if err := eng.Remove(t.Context(), victim.ID); err != nil {
		t.Fatal(err)
	}
	h.state = h.read()
	pl := h.plan(cfg)
	if pl.Diagnostics.HasErrors() {
		t.Fatal(pl.Diagnostics)
	}
	if diags := h.apply(cfg, pl, nil); diags.HasErrors() {
		t.Fatal(diags)
	}
	want := str(h.state, "image_digest")
	for _, in := range app.DecodeInstances(h.state) {
		if in.ImageDigest != want || in.ID == id {
			t.Errorf("after apply %s runs %s (container %s), want %s", in.Name, in.ImageDigest, short(in.ID), want)
		}
	}
	if _, err := eng.Inspect(t.Context(), id); err == nil {
		t.Errorf("the swapped container %s still exists", short(id))
	}
	if again := h.plan(cfg); again.Rollout != nil || !again.PlannedState.RawEquals(h.state) {
		t.Errorf("after apply the plan is not empty")
	}
}

// configHosts is the harness's app on the given hosts only.
func (h *harness) configHosts(body string, hosts ...HostConfig) cty.Value {
	var ths []testHost
	for _, c := range hosts {
		ths = append(ths, testHost{name: c.Name, endpoint: c.Endpoint, labels: c.Labels})
	}
	reg := h.e.registry
	return appValue(h.t, "cluster = cluster.c\n"+body, clusterValue(h.t, "c", ths...), registryValue(reg.Address, reg.Username, reg.Password), h.name)
}

// A host removed from the cluster: the app's containers on it are found
// and removed by apply, after the new ones are ready elsewhere.
func TestIntegrationHostRemovedFromCluster(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("rm%d", time.Now().UnixNano()%1e6))
	ready := "readiness {\n http {\n path = \"/healthz\"\n port = \"http\"\n }\n period = \"200ms\"\n timeout = \"150ms\"\n}\n"
	body := fixBody(h.e.image+":v1", 2, ready)
	h.mustApply(h.configHosts(body, h.e.hostA, h.e.hostB), nil)
	if ins := app.DecodeInstances(h.state); len(ins) != 2 || ins[0].Host == ins[1].Host {
		t.Fatalf("instances %+v", ins)
	}
	id := str(h.state, "deployment_id")
	onlyA := h.configHosts(body, h.e.hostA)
	pl := h.plan(onlyA)
	if pl.Diagnostics.HasErrors() {
		t.Fatal(pl.Diagnostics)
	}
	h.events = nil
	if diags := h.apply(onlyA, pl, nil); diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, in := range app.DecodeInstances(h.state) {
		if in.Host != h.e.hostA.Name || in.Status != statusRunning {
			t.Errorf("after apply: %+v", in)
		}
	}
	b := connect(t, h.e.hostB)
	if cs, _ := b.ListManaged(t.Context(), id); len(cs) != 0 {
		t.Errorf("%d containers of the app left on the removed host", len(cs))
	}
	// New ones ready before the old one went.
	var order []string
	for _, ev := range h.events {
		if ev.Kind == "instance_healthy" || ev.Kind == "instance_stopped" {
			order = append(order, ev.Kind)
		}
	}
	if len(order) == 0 || order[0] != "instance_healthy" || !slices.Contains(order, "instance_stopped") {
		t.Errorf("events %q", order)
	}
	if again := h.plan(onlyA); again.Rollout != nil || !again.PlannedState.RawEquals(h.state) {
		t.Errorf("after apply the plan is not empty")
	}

	// An unreachable removed host fails the plan, naming it.
	gone := HostConfig{Name: "host-gone", Endpoint: "unix:///tmp/berth-testenv/nonexistent.sock"}
	u, pvm := h.state.UnmarkDeepWithPaths()
	withGone := h.configHosts(body, h.e.hostA, gone)
	h.state = withAttrs(u, map[string]cty.Value{"cluster": withGone.GetAttr("cluster")}).MarkWithPaths(pvm)
	pl = h.plan(onlyA)
	if !pl.Diagnostics.HasErrors() || !strings.Contains(pl.Diagnostics.Error(), `"host-gone"`) || !strings.Contains(pl.Diagnostics.Error(), "removed from the cluster") {
		t.Errorf("plan with an unreachable removed host: %v", pl.Diagnostics)
	}
}

// command is the entrypoint, args the CMD (Kubernetes' meaning).
func TestIntegrationCommandIsEntrypoint(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("cm%d", time.Now().UnixNano()%1e6))
	h.mustApply(h.config(fixBody(h.e.image+":v1", 1, `command = ["/server"]`+"\nreadiness {\n http {\n path = \"/healthz\"\n port = \"http\"\n }\n period = \"200ms\"\n timeout = \"150ms\"\n}\n"), h.e.registry), nil)
	in := app.DecodeInstances(h.state)[0]
	eng, _, err := h.p.host(t.Context(), map[string]HostConfig{h.e.hostA.Name: h.e.hostA, h.e.hostB.Name: h.e.hostB}[in.Host])
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.API().ContainerInspect(t.Context(), in.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Container.Config; !slices.Equal(c.Entrypoint, []string{"/server"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [/server] []", c.Entrypoint, c.Cmd)
	}
	if res.Container.Config.StopTimeout == nil || *res.Container.Config.StopTimeout != 10 {
		t.Errorf("stop timeout %v", res.Container.Config.StopTimeout)
	}
}

// After a failed rollout without auto_revert, the state says what exists:
// the old containers still running the old digest, the failed new one
// not_ready.
func TestIntegrationFailedRolloutNoRevertState(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("nv%d", time.Now().UnixNano()%1e6))
	ready := "readiness {\n http {\n path = \"/healthz\"\n port = \"http\"\n }\n period = \"200ms\"\n timeout = \"150ms\"\n}\n"
	body := func(tag string) string {
		return strings.Replace(fixBody(h.e.image+":"+tag, 2, ready), "rollout {", "rollout {\n  auto_revert = false", 1)
	}
	h.mustApply(h.config(body("v1"), h.e.registry), nil)
	v1 := str(h.state, "image_digest")
	bad := h.config(body("never-ready"), h.e.registry)
	pl := h.plan(bad)
	if pl.Rollout == nil || pl.Rollout.AutoRevert {
		t.Fatalf("rollout %+v", pl.Rollout)
	}
	if diags := h.apply(bad, pl, nil); !diags.HasErrors() {
		t.Fatal("the never-ready rollout succeeded")
	}
	ins := app.DecodeInstances(h.state)
	var old, failed int
	for _, in := range ins {
		switch {
		case in.ImageDigest == v1 && in.Status == statusRunning:
			old++
		case in.ImageDigest == str(pl.PlannedState, "image_digest") && in.Status == statusNotReady:
			failed++
		default:
			t.Errorf("instance %+v", in)
		}
	}
	if old != 2 || failed != 1 {
		t.Errorf("state after the failed wave: %d old running, %d failed not_ready: %+v", old, failed, ins)
	}
}
