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
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// containersOf lists the containers of deployment id on hosts A and B.
func (h *harness) containersOf(id string) []engine.Container {
	h.t.Helper()
	var out []engine.Container
	for _, cfg := range []engine.HostConfig{h.e.hostA, h.e.hostB} {
		host, _, err := h.p.host(h.t.Context(), cfg)
		if err != nil {
			h.t.Fatal(err)
		}
		cs, err := host.ListManaged(h.t.Context(), id)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, cs...)
	}
	return out
}

// ids are the container ids of instances.
func ids(ins []app.Instance) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.ID)
	}
	slices.Sort(out)
	return out
}

// converges plans cfg and applies it, then checks that exactly the
// instances of the resulting state exist, all running cfg's spec, and
// that the plan after is empty: nothing orphaned, nothing started twice.
func (h *harness) converges(cfg cty.Value, replicas int) {
	h.t.Helper()
	h.mustApply(cfg, nil)
	id := str(h.state, "deployment_id")
	ins := app.DecodeInstances(h.state)
	var live []string
	for _, c := range h.containersOf(id) {
		live = append(live, c.ID)
	}
	slices.Sort(live)
	if len(ins) != replicas || !slices.Equal(live, ids(ins)) {
		h.t.Errorf("after apply the state has %d instances %v, the hosts %v: want %d, the same", len(ins), ids(ins), live, replicas)
	}
	for _, in := range ins {
		if in.Status != statusRunning || in.ConfigHash != str(h.state, "config_hash") {
			h.t.Errorf("after apply: %+v", in)
		}
	}
	if again := h.plan(cfg); again.Rollout != nil || !again.PlannedState.RawEquals(h.state) {
		h.t.Errorf("after apply the plan is not empty")
	}
}

// An app's create puts its key on every container it makes; looking the
// key up finds the app as the create left it, with all its instances; a
// wrong key finds nothing; a host that cannot be reached is an error,
// never "not found". The adopted app then converges in one apply.
func TestIntegrationLookupByKey(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("lk%d", time.Now().UnixNano()%1e6))
	body := fmt.Sprintf(appBody, h.e.image+":v1", 3, 0)
	cfg := h.config(body, h.e.registry)
	pl := h.plan(cfg)
	if pl.Diagnostics.HasErrors() || pl.Rollout != nil {
		t.Fatalf("plan: %v %+v", pl.Diagnostics, pl.Rollout)
	}
	key := "intent-" + h.name
	resp := h.p.ApplyResourceChange(t.Context(), providers.ApplyResourceChangeRequest{TypeName: TypeApp,
		PriorState: h.state, PlannedState: pl.PlannedState, Config: cfg, PlannedPrivate: pl.PlannedPrivate, IdempotencyKey: key}, h.event)
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics)
	}
	// What berth would have recorded, had it not been killed.
	created := resp.NewState
	h.state = created // for the cleanup
	id := str(created, "deployment_id")
	cs := h.containersOf(id)
	if len(cs) != 3 {
		t.Fatalf("%d containers, want 3", len(cs))
	}
	for _, c := range cs {
		if c.Labels.CreateKey != key {
			t.Errorf("container %s carries create key %q, want %q", c.Name, c.Labels.CreateKey, key)
		}
	}

	gone := engine.HostConfig{Name: "host-gone", Endpoint: "unix:///tmp/berth-testenv/nonexistent.sock"}
	elsewhere := h.configHosts(body, h.e.hostA, gone)
	lr := h.p.LookupResources(t.Context(), providers.LookupResourcesRequest{Objects: []providers.LookupObject{
		{ID: "app.web", TypeName: TypeApp, IdempotencyKey: key, Planned: pl.PlannedState},
		{ID: "app.other", TypeName: TypeApp, IdempotencyKey: key + "-other", Planned: pl.PlannedState},
		{ID: "app.gone", TypeName: TypeApp, IdempotencyKey: key, Planned: elsewhere},
	}})
	if len(lr.Results) != 3 {
		t.Fatalf("%d results", len(lr.Results))
	}
	found := lr.Results[0]
	if !found.Found || found.Diagnostics.HasErrors() {
		t.Fatalf("lookup by the create's key: %+v", found)
	}
	st := found.State
	if !st.IsWhollyKnown() || !st.Type().Equals(appType()) {
		t.Errorf("found state is not a known app value: %#v", st)
	}
	if str(st, "deployment_id") != id || str(st, "config_hash") != str(created, "config_hash") || str(st, "image_digest") != str(created, "image_digest") {
		t.Errorf("found deployment %s (%s %s), want %s (%s %s)", str(st, "deployment_id"), str(st, "config_hash"), str(st, "image_digest"),
			id, str(created, "config_hash"), str(created, "image_digest"))
	}
	got, want := app.DecodeInstances(st), app.DecodeInstances(created)
	if !slices.Equal(ids(got), ids(want)) {
		t.Errorf("found instances %v, want the create's %v", ids(got), ids(want))
	}
	for _, in := range got {
		// berth never saw them pass readiness: not vouched for.
		if in.Status != statusNotReady || in.Ready {
			t.Errorf("adopted instance %s: status %s ready %v, want not_ready", in.Name, in.Status, in.Ready)
		}
	}
	if r := lr.Results[1]; r.Found || len(r.Diagnostics) > 0 || !r.State.IsNull() {
		t.Errorf("lookup by another key: %+v", r)
	}
	if r := lr.Results[2]; r.Found || !r.Diagnostics.HasErrors() || !strings.Contains(r.Diagnostics.Error(), `"host-gone"`) {
		t.Errorf("lookup with an unreachable host: found %v, %v; want an error naming host-gone", r.Found, r.Diagnostics)
	}

	// The core records the found state; the next apply replaces the
	// instances it cannot vouch for, and leaves nothing else.
	h.state = st
	h.converges(cfg, 3)
	if str(h.state, "deployment_id") != id {
		t.Errorf("the adopted app's deployment id changed to %s", str(h.state, "deployment_id"))
	}
}

// berth is killed during a rollout's wave, after the wave started its new
// container and before it recorded it: the refresh of the state recorded
// before the wave finds the new container (not_ready: its readiness is
// not vouched for), and the next apply leaves exactly one container per
// instance.
func TestIntegrationKillDuringRollout(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("kr%d", time.Now().UnixNano()%1e6))
	v1 := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 3, 0), h.e.registry)
	h.mustApply(v1, nil)
	recorded := h.state
	v2 := h.config(fmt.Sprintf(appBody, h.e.image+":v2", 3, 0), h.e.registry)
	pl := h.plan(v2)
	if pl.Rollout == nil || len(pl.Rollout.Waves) < 2 {
		t.Fatalf("rollout %+v", pl.Rollout)
	}
	started := h.killedStep(v2, pl, 1)
	if len(started) != 1 {
		t.Fatalf("wave 1 started %v, want one container", started)
	}
	h.state = recorded
	h.state = h.read()
	refreshed := app.DecodeInstances(h.state)
	if !slices.Equal(ids(refreshed), ids(append(app.DecodeInstances(recorded), started...))) {
		t.Errorf("refresh after the kill: %v, want the 3 recorded and %s", ids(refreshed), started[0].ID)
	}
	for _, in := range refreshed {
		if in.ID == started[0].ID && in.Status != statusNotReady {
			t.Errorf("the unrecorded container reads %s, want not_ready", in.Status)
		}
	}
	h.converges(v2, 3)
	h.noneOf(started)
}

// berth is killed during a canary's start, after the container started
// and before it was recorded; the next apply starts the canary again
// (the refresh finds the container not_ready, so it is not taken for the
// canary) and must leave one container of the canary's spec for its
// name, beside the previous instance of that name: a canary's start
// stops nothing else, so the start itself removes the failed attempt.
func TestIntegrationCanaryStartedAgainAfterAKill(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("kc%d", time.Now().UnixNano()%1e6))
	v1 := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 3, 0), h.e.registry)
	h.mustApply(v1, nil)
	v2 := h.config(fmt.Sprintf(appBody, h.e.image+":v2", 3, 0), h.e.registry)
	started := h.killedStep(v2, h.plan(v2), 1)
	if len(started) != 1 {
		t.Fatalf("the canary's start made %v, want one container", started)
	}
	name := started[0].Name
	h.state = h.read()

	// The canary's start again: the StepStart of its instance, which
	// the rollout driver's Canary sends; no StepStop follows.
	pl := h.plan(v2)
	if resp := h.step(v2, pl, providers.StepStart, 1); resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics)
	}
	var mine []app.Instance
	for _, in := range app.DecodeInstances(h.state) {
		if in.Name == name {
			mine = append(mine, in)
		}
	}
	onV2 := slices.IndexFunc(mine, func(in app.Instance) bool { return in.ImageDigest == str(pl.PlannedState, "image_digest") })
	if len(mine) != 2 || onV2 < 0 || !mine[onV2].Ready {
		t.Errorf("instance %s has %+v after the canary started again, want the previous container and one ready on the new spec", name, mine)
	}
	h.noneOf(started)
	live := h.containersOf(str(h.state, "deployment_id"))
	if len(live) != 4 {
		t.Errorf("%d containers on the hosts, want 4: the 3 previous and the canary", len(live))
	}
}

// killedStep runs the StepStart of wave of pl as if berth were killed
// before it recorded the result: the state stays as it was, and the
// containers the step started are returned.
func (h *harness) killedStep(cfg cty.Value, pl providers.PlanResourceChangeResponse, wave int) []app.Instance {
	h.t.Helper()
	recorded := h.state
	resp := h.step(cfg, pl, providers.StepStart, wave)
	if resp.Diagnostics.HasErrors() {
		h.t.Fatal(resp.Diagnostics)
	}
	h.state = recorded
	var started []app.Instance
	for _, in := range app.DecodeInstances(resp.NewState) {
		if !slices.Contains(ids(app.DecodeInstances(recorded)), in.ID) {
			started = append(started, in)
		}
	}
	return started
}

// noneOf: none of the containers of ins remains. berth never vouched for
// their readiness, so it replaced them rather than keep them.
func (h *harness) noneOf(ins []app.Instance) {
	h.t.Helper()
	for _, in := range app.DecodeInstances(h.state) {
		if slices.Contains(ids(ins), in.ID) {
			h.t.Errorf("%s (container %s), started by the killed step, was kept without berth seeing it ready", in.Name, engine.ShortID(in.ID))
		}
	}
}

// Killed during a rollout that also adds a host to the cluster: the
// refresh of the state recorded before it does not list the new host (the
// recorded cluster lacks it), but the plan finds the container the step
// started there, and the apply replaces it instead of trusting it.
func TestIntegrationKillDuringRolloutOnAnAddedHost(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("ka%d", time.Now().UnixNano()%1e6))
	body := func(tag string, replicas int) string {
		return strings.Replace(fmt.Sprintf(appBody, h.e.image+":"+tag, replicas, 0), "initial_batch    = 1", "initial_batch    = 3", 1)
	}
	h.mustApply(h.configHosts(body("v1", 2), h.e.hostA), nil)
	v2 := h.configHosts(body("v2", 3), h.e.hostA, h.e.hostB)
	pl := h.plan(v2)
	if pl.Rollout == nil || len(pl.Rollout.Waves) != 1 || !slices.ContainsFunc(pl.Rollout.Waves[0].Instances, func(w providers.WaveInstance) bool { return w.Host == h.e.hostB.Name }) {
		t.Fatalf("want one wave with an instance on %s: %+v", h.e.hostB.Name, pl.Rollout)
	}
	started := h.killedStep(v2, pl, 1)
	if !slices.ContainsFunc(started, func(in app.Instance) bool { return in.Host == h.e.hostB.Name }) {
		t.Fatalf("the step started nothing on %s: %+v", h.e.hostB.Name, started)
	}
	h.state = h.read()
	h.converges(v2, 3)
	h.noneOf(started)
}

// Until a rollout that adds a host completes, its state records the
// previous cluster; the apply's private data names the added host, so
// refresh still finds the containers the waves started there.
func TestIntegrationRolloutRecordsAnAddedHost(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("ah%d", time.Now().UnixNano()%1e6))
	body := func(tag string, replicas int) string {
		return strings.Replace(fmt.Sprintf(appBody, h.e.image+":"+tag, replicas, 0), "growth           = 2", "growth           = 1", 1)
	}
	h.mustApply(h.configHosts(body("v1", 1), h.e.hostA), nil)
	v2 := h.configHosts(body("v2", 3), h.e.hostA, h.e.hostB)
	pl := h.plan(v2)
	if pl.Rollout == nil || len(pl.Rollout.Waves) != 3 {
		t.Fatalf("rollout %+v", pl.Rollout)
	}
	onB := slices.IndexFunc(pl.Rollout.Waves, func(w providers.Wave) bool { return w.Instances[0].Host == h.e.hostB.Name })
	if onB < 0 || onB == len(pl.Rollout.Waves)-1 {
		t.Fatalf("no wave before the last places on %s: %+v", h.e.hostB.Name, pl.Rollout.Waves)
	}
	var private []byte
	for w := 1; w <= onB+1; w++ {
		for _, kind := range []providers.StepKind{providers.StepStart, providers.StepStop} {
			resp := h.step(v2, pl, kind, w)
			if resp.Diagnostics.HasErrors() {
				t.Fatal(resp.Diagnostics)
			}
			private = resp.Private
		}
	}
	if n := h.state.GetAttr("cluster").GetAttr("docker").GetAttr("host").LengthInt(); n != 1 {
		t.Fatalf("the mid-rollout state records %d hosts, want the previous cluster's 1", n)
	}
	read := func(private []byte) []string {
		rr := h.p.ReadResources(t.Context(), providers.ReadResourcesRequest{Objects: []providers.ReadObject{{ID: "app." + h.name, TypeName: TypeApp, State: h.state, Private: private}}})
		if r := rr.Results[0]; r.Diagnostics.HasErrors() {
			t.Fatal(r.Diagnostics)
		}
		return ids(app.DecodeInstances(rr.Results[0].NewState))
	}
	recorded := ids(app.DecodeInstances(h.state))
	if got := read(private); !slices.Equal(got, recorded) {
		t.Errorf("refresh of the mid-rollout state: %v, want the recorded %v", got, recorded)
	}
	if got := read(nil); slices.Equal(got, recorded) {
		t.Errorf("refresh without the private data found %s's containers too: the test shows nothing", h.e.hostB.Name)
	}
	h.converges(v2, 3)
}

// A rollout that adds a host and fails reverts to the previous cluster:
// the containers its wave started on the added host go too.
func TestIntegrationRevertEmptiesAnAddedHost(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("rv%d", time.Now().UnixNano()%1e6))
	body := func(tag string, replicas int) string {
		return strings.Replace(fmt.Sprintf(appBody, h.e.image+":"+tag, replicas, 0), "initial_batch    = 1", "initial_batch    = 2", 1)
	}
	v1 := h.configHosts(body("v1", 1), h.e.hostA)
	h.mustApply(v1, nil)
	id := str(h.state, "deployment_id")
	bad := h.configHosts(body("never-ready", 2), h.e.hostA, h.e.hostB)
	pl := h.plan(bad)
	if pl.Rollout == nil || !pl.Rollout.AutoRevert || len(pl.Rollout.Waves[0].Instances) != 2 {
		t.Fatalf("rollout %+v", pl.Rollout)
	}
	if diags := h.apply(bad, pl, nil); !diags.HasErrors() {
		t.Fatal("the never-ready rollout succeeded")
	}
	cs := h.containersOf(id)
	if len(cs) != 1 {
		var where []string
		for _, c := range cs {
			where = append(where, c.Name)
		}
		t.Errorf("after the revert %d containers exist (%v), want the one of v1", len(cs), where)
	}
	if ins := app.DecodeInstances(h.state); len(ins) != 1 || ins[0].Host != h.e.hostA.Name || ins[0].Status != statusRunning {
		t.Errorf("state after the revert: %+v", ins)
	}
}
