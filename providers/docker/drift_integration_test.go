//go:build integration

package docker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// Engine API 1.41 (Debian's 20.10) lists no Health: the Status text says
// "(unhealthy)". Refresh reports the container unhealthy, and the plan
// replaces it. Liveness fails 15s after a container starts: long enough
// that the replacement is still healthy when the apply lists it, on a
// busy machine too.
func TestIntegrationUnhealthyIsDriftAndReplaced(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("uh%d", time.Now().UnixNano()%1e6))
	cfg := h.config(bareAppBody(h.e.image+":v1", 1, `
env = { LIVE_FAIL_AFTER = "15s" }
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
	deadline := time.Now().Add(90 * time.Second)
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
		t.Errorf("after apply %+v (old container %s)", ins, engine.ShortID(old.ID))
	}
}

// A container of the app swapped behind berth's back for one of another
// image (same labels, config hash included) is replaced by apply.
func TestIntegrationOtherImageBehindBerthsBack(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("sw%d", time.Now().UnixNano()%1e6))
	cfg := h.config(bareAppBody(h.e.image+":v1", 2, ""), h.e.registry)
	h.mustApply(cfg, nil)
	victim := app.DecodeInstances(h.state)[0]
	hostCfg := map[string]engine.HostConfig{h.e.hostA.Name: h.e.hostA, h.e.hostB.Name: h.e.hostB}[victim.Host]
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
	id, err := eng.Create(t.Context(), engine.ContainerSpec{Name: info.Name + "-swapped", Image: v2.Pinned(), Labels: info.Labels,
		Ports: []engine.PortSpec{{Container: 8080}}})
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
			t.Errorf("after apply %s runs %s (container %s), want %s", in.Name, in.ImageDigest, engine.ShortID(in.ID), want)
		}
	}
	if _, err := eng.Inspect(t.Context(), id); err == nil {
		t.Errorf("the swapped container %s still exists", engine.ShortID(id))
	}
	if again := h.plan(cfg); again.Rollout != nil || !again.PlannedState.RawEquals(h.state) {
		t.Errorf("after apply the plan is not empty")
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
