package docker

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// The provider's state is the value the engine sent with the provider's
// attributes filled in: its type stays the language's.
func TestPlannedStateKeepsTheLanguagesType(t *testing.T) {
	cfg := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n", clusterValue(t, "c"), cty.NilVal, "web")
	cfg = app.WithAttrs(cfg, map[string]cty.Value{"command": cty.UnknownVal(cty.List(cty.String))})
	resp := New().PlanResourceChange(t.Context(), providers.PlanResourceChangeRequest{TypeName: TypeApp,
		PriorState: nullAppForTest(), ProposedNewState: cfg, Config: cfg})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics)
	}
	if !resp.PlannedState.Type().Equals(appType()) {
		t.Errorf("planned state type %#v, want the language's %#v", resp.PlannedState.Type(), appType())
	}
	if resp.PlannedState.GetAttr("instances").IsKnown() {
		t.Error("instances of an app whose configuration is not known yet are known")
	}
}

func TestPlanScalingPolicyAndDestroy(t *testing.T) {
	p := New()
	resp := p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{TypeName: TypeApp,
		PriorState: nullAppForTest(), ProposedNewState: nullAppForTest()})
	if len(resp.Diagnostics) > 0 || !resp.PlannedState.IsNull() {
		t.Errorf("destroy plan: %v %#v", resp.Diagnostics, resp.PlannedState)
	}
}

// Planning again at apply time with the saved plan reuses its digest: the
// registry (unreachable here) is not asked again, so a tag that moved
// since the plan does not change what is deployed.
func TestPlanReusesSavedDigest(t *testing.T) {
	cl := clusterValue(t, "c")
	img := "127.0.0.1:1/berth/x:v1"
	cfg := appValue(t, "cluster = cluster.c\nreplicas = 0\nimage = \""+img+"\"\n", cl, registryValue("127.0.0.1:1", "u", "p"), "web")
	p := New()
	plan := func(saved cty.Value) providers.PlanResourceChangeResponse {
		return p.PlanResourceChange(t.Context(), providers.PlanResourceChangeRequest{TypeName: TypeApp,
			PriorState: nullAppForTest(), ProposedNewState: cfg, Config: cfg, SavedPlannedState: saved})
	}
	// Without a saved plan, the registry is asked (and fails here).
	if resp := plan(cty.NilVal); !resp.Diagnostics.HasErrors() || resp.Diagnostics[0].Summary != "Cannot resolve the app's image" {
		t.Fatalf("plan without saved state: %v", resp.Diagnostics)
	}
	digest := "127.0.0.1:1/berth/x@sha256:" + strings.Repeat("ab", 32)
	saved := app.WithAttrs(cfg, map[string]cty.Value{"image_digest": cty.StringVal(digest), "config_hash": cty.UnknownVal(cty.String)})
	resp := plan(saved)
	if resp.Diagnostics.HasErrors() {
		t.Fatalf("plan with saved state: %v", resp.Diagnostics)
	}
	if got := str(resp.PlannedState, "image_digest"); got != digest {
		t.Errorf("image_digest %s, want the saved %s", got, digest)
	}
	// A saved plan of another image reference is not reused.
	other := app.WithAttrs(cfg, map[string]cty.Value{"image": cty.StringVal("127.0.0.1:1/berth/x:v2"), "image_digest": cty.StringVal(digest)})
	if resp := plan(other); !resp.Diagnostics.HasErrors() {
		t.Errorf("a saved digest of another reference was reused: %s", str(resp.PlannedState, "image_digest"))
	}
}

func TestDecide(t *testing.T) {
	ro := app.Rollout{InitialBatch: 1, Growth: 2, MinHealthy: 10 * time.Second, HealthyDeadline: 5 * time.Minute, AutoRevert: true}
	run := func(name, host, hash string) app.Instance {
		return app.Instance{Name: name, Host: host, ID: "c-" + name + "-" + hash, ImageDigest: "img@" + hash, ConfigHash: hash, Status: statusRunning, Ready: true}
	}
	assign := func(n int, hosts ...string) []scheduler.Assignment {
		var out []scheduler.Assignment
		for i := 1; i <= n; i++ {
			out = append(out, scheduler.Assignment{Instance: "web-" + itoa(i), Host: hosts[(i-1)%len(hosts)]})
		}
		return out
	}
	four := func(hash string) []app.Instance {
		return []app.Instance{run("web-1", "a", hash), run("web-2", "b", hash), run("web-3", "a", hash), run("web-4", "b", hash)}
	}
	tests := []struct {
		name      string
		in        planInput
		waves     [][]string
		planned   []string // names of instances to (re)create
		instances int
	}{
		{name: "create", in: planInput{Hash: "h2", Pinned: "img@h2", Assignments: assign(4, "a", "b")},
			planned: []string{"web-1", "web-2", "web-3", "web-4"}, instances: 4},
		{name: "no change", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true, Existing: four("h1"), Assignments: assign(4, "a", "b")},
			instances: 4},
		{name: "scale up", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true, Existing: four("h1"), Assignments: assign(6, "a", "b")},
			planned: []string{"web-5", "web-6"}, instances: 6},
		{name: "scale down", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true, Existing: four("h1"), Assignments: assign(2, "a", "b")},
			instances: 2},
		{name: "image change 4: waves 1 2 1", in: planInput{Hash: "h2", Pinned: "img@h2", HasPrior: true, Existing: four("h1"), Assignments: assign(4, "a", "b")},
			waves:   [][]string{{"web-1"}, {"web-2", "web-3"}, {"web-4"}},
			planned: []string{"web-1", "web-2", "web-3", "web-4"}, instances: 4},
		{name: "image change and scale to 6: waves 1 2 3", in: planInput{Hash: "h2", Pinned: "img@h2", HasPrior: true, Existing: four("h1"), Assignments: assign(6, "a", "b")},
			waves:   [][]string{{"web-1"}, {"web-2", "web-3"}, {"web-4", "web-5", "web-6"}},
			planned: []string{"web-1", "web-2", "web-3", "web-4", "web-5", "web-6"}, instances: 6},
		{name: "a partly done rollout rolls the rest", in: planInput{Hash: "h2", Pinned: "img@h2", HasPrior: true,
			Existing: []app.Instance{run("web-1", "a", "h2"), run("web-2", "b", "h2"), run("web-3", "a", "h1"), run("web-4", "b", "h1")}, Assignments: assign(4, "a", "b")},
			waves: [][]string{{"web-3"}, {"web-4"}}, planned: []string{"web-3", "web-4"}, instances: 4},
		{name: "drift: a missing container is re-created without rollout", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true,
			Existing: four("h1")[:3], Assignments: assign(4, "a", "b")},
			planned: []string{"web-4"}, instances: 4},
		{name: "drift: stopped and unhealthy containers are replaced without rollout", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true,
			Existing: func() []app.Instance {
				in := four("h1")
				in[1].Status, in[2].Status = "exited", statusUnhealthy
				return in
			}(), Assignments: assign(4, "a", "b")},
			planned: []string{"web-2", "web-3"}, instances: 4},
		{name: "drift: another image under berth's labels is replaced", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true,
			Existing: func() []app.Instance {
				in := four("h1")
				in[0].ImageDigest = "other@sha256:x"
				return in
			}(), Assignments: assign(4, "a", "b")},
			waves: [][]string{{"web-1"}}, planned: []string{"web-1"}, instances: 4},
		{name: "growth 3, initial 2 over 10", in: planInput{Hash: "h2", Pinned: "img@h2", HasPrior: true,
			Existing: func() []app.Instance {
				var in []app.Instance
				for i := 1; i <= 10; i++ {
					in = append(in, run("web-"+itoa(i), "a", "h1"))
				}
				return in
			}(), Assignments: assign(10, "a"), Rollout: app.Rollout{InitialBatch: 2, Growth: 3}},
			waves:   [][]string{{"web-1", "web-2"}, {"web-3", "web-4", "web-5", "web-6", "web-7", "web-8"}, {"web-9", "web-10"}},
			planned: []string{"web-1", "web-2", "web-3", "web-4", "web-5", "web-6", "web-7", "web-8", "web-9", "web-10"}, instances: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.Rollout.InitialBatch == 0 {
				tt.in.Rollout = ro
			}
			out := decide(tt.in)
			var waves [][]string
			if out.Rollout != nil {
				for _, w := range out.Rollout.Waves {
					var names []string
					for _, in := range w.Instances {
						names = append(names, in.Name)
						if want := tt.in.Assignments[slices.IndexFunc(tt.in.Assignments, func(a scheduler.Assignment) bool { return a.Instance == in.Name })].Host; in.Host != want {
							t.Errorf("%s planned on %s, want %s", in.Name, in.Host, want)
						}
					}
					waves = append(waves, names)
				}
			}
			if !slices.EqualFunc(waves, tt.waves, slices.Equal) {
				t.Errorf("waves %v, want %v", waves, tt.waves)
			}
			if (out.Rollout != nil) != (tt.waves != nil) {
				t.Errorf("rollout %v, want waves %v", out.Rollout, tt.waves)
			}
			var planned []string
			for _, in := range out.Instances {
				if in.Planned {
					planned = append(planned, in.Name)
					if in.ConfigHash != tt.in.Hash || in.ImageDigest != tt.in.Pinned {
						t.Errorf("%s planned with %s %s", in.Name, in.ConfigHash, in.ImageDigest)
					}
				}
			}
			if !slices.Equal(planned, tt.planned) {
				t.Errorf("to create %v, want %v", planned, tt.planned)
			}
			if len(out.Instances) != tt.instances {
				t.Errorf("%d instances, want %d", len(out.Instances), tt.instances)
			}
			if out.Rollout != nil && (out.Rollout.MinHealthy != tt.in.Rollout.MinHealthy || out.Rollout.AutoRevert != tt.in.Rollout.AutoRevert) {
				t.Errorf("rollout %+v, want the settings of %+v", out.Rollout, tt.in.Rollout)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// A reservation stands for its own deployments only: another
// configuration's app of the same name on a shared host still counts by
// its containers.
func TestReservationsStandForTheirDeployments(t *testing.T) {
	p := New()
	p.reserved["web"] = reservation{ids: map[string]bool{"d1": true}}
	own := engine.Container{Labels: engine.InstanceLabels{App: "web", ID: "d1"}}
	other := engine.Container{Labels: engine.InstanceLabels{App: "web", ID: "d9"}}
	if !p.reservedFor(own) || p.reservedFor(other) {
		t.Errorf("reservedFor: own %v, other configuration's %v", p.reservedFor(own), p.reservedFor(other))
	}
	// The id a first apply picks joins the reservation.
	p.reserveID("web", "d2")
	if !p.reservedFor(engine.Container{Labels: engine.InstanceLabels{App: "web", ID: "d2"}}) {
		t.Error("the containers of the app's first apply are not its reservation's")
	}
}

func TestSchedulerHostCountsOtherAppsOnly(t *testing.T) {
	cs := []engine.Container{
		{Labels: engine.InstanceLabels{App: "web", CPURequest: 500, MemoryRequest: 100}},
		{Labels: engine.InstanceLabels{App: "api", CPURequest: 250, MemoryRequest: 10}},
		{Labels: engine.InstanceLabels{App: "db", CPURequest: 1000, MemoryRequest: 1}},
	}
	h := SchedulerHost(engine.HostConfig{Name: "a", Labels: map[string]string{"pool": "core"}}, engine.HostInfo{CPU: 4000, Memory: 1000}, cs, "web")
	if h.UsedCPU != 1250 || h.UsedMemory != 11 || h.CPU != 4000 || h.Labels["pool"] != "core" {
		t.Errorf("host %+v", h)
	}
}

// An app's spread reaches the scheduler as the matching request flag.
func TestPlacementRequestSpread(t *testing.T) {
	tests := []struct {
		spread       string
		hosts, zones bool
	}{
		{app.SpreadNone, false, false},
		{app.SpreadHost, true, false},
		{app.SpreadZone, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.spread, func(t *testing.T) {
			a := &deployment{Name: "web", Spec: &app.Spec{Replicas: 2, Placement: &app.Placement{Spread: tt.spread}}}
			r := a.placementRequest(nil)
			if r.SpreadHosts != tt.hosts || r.SpreadZones != tt.zones {
				t.Errorf("SpreadHosts %v, SpreadZones %v; want %v, %v", r.SpreadHosts, r.SpreadZones, tt.hosts, tt.zones)
			}
		})
	}
}
