//go:build integration

package docker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

func TestIntegrationImpossiblePlacement(t *testing.T) {
	h := newHarness(t, "big")
	body := fmt.Sprintf(appBody, h.e.image+":v1", 3, 0) + "\nresources {\n  cpu = 512\n}\n"
	pl := h.plan(h.config(body, h.e.registry))
	if !pl.Diagnostics.HasErrors() || !strings.Contains(pl.Diagnostics.Error(), "needs 3 × 512 CPU") {
		t.Fatalf("diagnostics %v", pl.Diagnostics)
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
