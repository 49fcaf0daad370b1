//go:build integration

package docker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
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

// spread = "zone" at plan on real engines: host-a and host-a2 (one engine
// under two names) are zone x, host-b zone y, so the two replicas go to
// host-a and host-b (spread = "host" would take host-a and host-a2). With
// a host that has no zone, the plan is refused at placement.spread.
func TestIntegrationZoneSpread(t *testing.T) {
	h := newHarness(t, "zones")
	zoned := func(c engine.HostConfig, name, zone string) engine.HostConfig {
		c.Name, c.Labels = name, map[string]string{"zone": zone}
		return c
	}
	body := strings.Replace(fmt.Sprintf(appBody, h.e.image+":v1", 2, 0), `spread = "host"`, `spread = "zone"`, 1)
	pl := h.plan(h.configHosts(body, zoned(h.e.hostA, "host-a", "x"), zoned(h.e.hostA, "host-a2", "x"), zoned(h.e.hostB, "host-b", "y")))
	if pl.Diagnostics.HasErrors() {
		t.Fatalf("plan: %v", pl.Diagnostics)
	}
	var got []string
	for _, in := range app.DecodeInstances(pl.PlannedState) {
		got = append(got, in.Name+"@"+in.Host)
	}
	if want := []string{"zones-1@host-a", "zones-2@host-b"}; !slices.Equal(got, want) {
		t.Errorf("instances %v, want %v", got, want)
	}

	// The language refuses it first (validate); the provider again at plan.
	cl := clusterValue(t, "c", testHost{name: "host-a", endpoint: h.e.hostA.Endpoint, labels: map[string]string{"zone": "x"}},
		testHost{name: h.e.hostB.Name, endpoint: h.e.hostB.Endpoint, labels: h.e.hostB.Labels})
	reg := h.e.registry
	v, _ := decodeAppValue(t, "cluster = cluster.c\n"+body, cl, registryValue(reg.Address, reg.Username, reg.Password), h.name)
	pl = h.plan(v)
	if !pl.Diagnostics.HasErrors() || pl.Diagnostics[0].Summary != "Spread by zone on hosts without a zone" {
		t.Fatalf("diagnostics %v", pl.Diagnostics)
	}
	if p := pathString(providers.DiagnosticPath(pl.Diagnostics[0])); p != "placement.spread" {
		t.Errorf("path %s", p)
	}
}
