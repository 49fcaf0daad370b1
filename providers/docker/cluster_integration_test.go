//go:build integration

package docker

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// A host removed from the cluster: the app's containers on it are found
// and removed by apply, after the new ones are ready elsewhere.
func TestIntegrationHostRemovedFromCluster(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("rm%d", time.Now().UnixNano()%1e6))
	ready := "readiness {\n http {\n path = \"/healthz\"\n port = \"http\"\n }\n period = \"200ms\"\n timeout = \"150ms\"\n}\n"
	body := bareAppBody(h.e.image+":v1", 2, ready)
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
	gone := engine.HostConfig{Name: "host-gone", Endpoint: "unix:///tmp/berth-testenv/nonexistent.sock"}
	u, pvm := h.state.UnmarkDeepWithPaths()
	withGone := h.configHosts(body, h.e.hostA, gone)
	h.state = app.WithAttrs(u, map[string]cty.Value{"cluster": withGone.GetAttr("cluster")}).MarkWithPaths(pvm)
	pl = h.plan(onlyA)
	if !pl.Diagnostics.HasErrors() || !strings.Contains(pl.Diagnostics.Error(), `"host-gone"`) || !strings.Contains(pl.Diagnostics.Error(), "removed from the cluster") {
		t.Errorf("plan with an unreachable removed host: %v", pl.Diagnostics)
	}
}
