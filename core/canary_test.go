package core

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statemgr"
)

// canaryFixture is a fleet of 6 on v1, then configured for a canary of
// version (one instance at 10%).
func canaryFixture(t *testing.T, version string) *fixture {
	f := newFixture(t, fleetConfig("v1", ""))
	f.apply(f.plan(PlanOptions{}))
	f.write(fleetConfig(version, canaryRollout))
	return f
}

// storeVersions is the store's instances, "f-0@v1 f-0@v2 ...".
func (f *fixture) storeVersions() string {
	var out []string
	for _, in := range f.fleets()["f"].Instances {
		out = append(out, in.Name+"@"+in.Version)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func canaryOf(t *testing.T, st *state.State) *state.Canary {
	t.Helper()
	return st.Instance(mustInstance(t, "test_fleet.f")).Canary
}

// partOf plans with opts and returns the fleet's change.
func (f *fixture) partOf(opts PlanOptions) (*plans.Plan, *plans.ResourceChange) {
	f.t.Helper()
	p := f.plan(opts)
	for _, c := range p.Changes {
		if c.Addr.String() == "test_fleet.f" {
			return p, c
		}
	}
	f.t.Fatalf("the plan has no change of test_fleet.f")
	return nil, nil
}

// canaryRollout makes a test fleet roll out with a canary of one
// instance at 10%.
const canaryRollout = `rollout = {
    strategy = "canary"
    canary   = { instances = 1, weight = 10 }
  }`

const v1Fleet = "f-0@v1 f-1@v1 f-2@v1 f-3@v1 f-4@v1 f-5@v1"

func TestCanaryApplyPausesAndPromotes(t *testing.T) {
	f := canaryFixture(t, "v2")
	p, c := f.partOf(PlanOptions{})
	if c.Canary != plans.CanaryStart {
		t.Fatalf("canary part %q, want %q", c.Canary, plans.CanaryStart)
	}
	rec := &recorder{}
	st, errs := f.applyWith(p, rec, nil)
	if errs != "" && !strings.Contains(errs, "paused at its canary") {
		t.Fatalf("apply: %s", errs)
	}
	if want := []string{"hook Canary 10%: f-0@v2"}; !slices.Equal(rec.log, want) {
		t.Errorf("hooks: %q, want %q", rec.log, want)
	}
	if got := f.storeVersions(); got != "f-0@v1 f-0@v2 f-1@v1 f-2@v1 f-3@v1 f-4@v1 f-5@v1" {
		t.Errorf("running after the canary: %s", got)
	}
	cr := canaryOf(t, st)
	if cr == nil || !slices.Equal(cr.Instances, []string{"f-0"}) || cr.Weight != 10 || cr.ConfigHash != "v2" || cr.Started.IsZero() {
		t.Fatalf("recorded canary %+v", cr)
	}
	f.checkStateIsReality(st, "test_fleet.f")

	// Applying the same configuration again confirms the canary: nothing
	// new starts, and it stays recorded with its start time.
	p, c = f.partOf(PlanOptions{})
	if c.Canary != plans.CanaryStart {
		t.Fatalf("second plan: canary part %q", c.Canary)
	}
	rec = &recorder{}
	st, _ = f.applyWith(p, rec, nil)
	if want := []string{"hook Canary 10%: f-0@v2"}; !slices.Equal(rec.log, want) {
		t.Errorf("hooks of the second apply: %q, want %q", rec.log, want)
	}
	if got := f.storeVersions(); got != "f-0@v1 f-0@v2 f-1@v1 f-2@v1 f-3@v1 f-4@v1 f-5@v1" {
		t.Errorf("running after the second apply: %s", got)
	}
	if again := canaryOf(t, st); again == nil || !again.Started.Equal(cr.Started) {
		t.Errorf("canary after the second apply: %+v (was %+v)", again, cr)
	}

	// Promote: the canary joins the stable traffic, the waves roll the
	// rest out, and the canary is retired last.
	p, c = f.partOf(PlanOptions{Canary: map[string]plans.CanaryPart{"test_fleet.f": plans.CanaryPromote}})
	if c.Canary != plans.CanaryPromote {
		t.Fatalf("promote plan: canary part %q", c.Canary)
	}
	rec = &recorder{}
	st, errs = f.applyWith(p, rec, nil)
	if errs != "" {
		t.Fatalf("promote: %s", errs)
	}
	if len(rec.log) < 2 || rec.log[0] != "hook AfterReady wave 1: f-0@v2" || rec.log[len(rec.log)-1] != "hook Canary 0%: " {
		t.Errorf("promote hooks: %s", strings.Join(rec.log, "\n"))
	}
	if got := f.storeVersions(); got != "f-0@v2 f-1@v2 f-2@v2 f-3@v2 f-4@v2 f-5@v2" {
		t.Errorf("running after the promote: %s", got)
	}
	if cr := canaryOf(t, st); cr != nil {
		t.Errorf("the state still records a canary after the promote: %+v", cr)
	}
	obj := st.Instance(mustInstance(t, "test_fleet.f"))
	if v := app.Str(obj.Value, "version"); v != "v2" {
		t.Errorf("recorded version %q after the promote", v)
	}
	f.checkStateIsReality(st, "test_fleet.f")
	if p := f.plan(PlanOptions{}); len(p.Changes) != 0 && p.Changes[0].Action != plans.NoOp {
		t.Errorf("plan after the promote: %s", p.Changes[0].Action)
	}
}

func TestCanaryAbort(t *testing.T) {
	f := canaryFixture(t, "v2")
	p, _ := f.partOf(PlanOptions{})
	f.applyWith(p, &recorder{}, nil)

	p, c := f.partOf(PlanOptions{Canary: map[string]plans.CanaryPart{"test_fleet.f": plans.CanaryAbort}})
	if c.Canary != plans.CanaryAbort || c.Action != plans.Update {
		t.Fatalf("abort plan: %s, canary part %q", c.Action, c.Canary)
	}
	rec := &recorder{}
	st, errs := f.applyWith(p, rec, nil)
	if errs != "" {
		t.Fatalf("abort: %s", errs)
	}
	// The canary leaves the traffic before anything stops.
	if len(rec.log) == 0 || rec.log[0] != "hook Canary 0%: " {
		t.Errorf("abort hooks: %s", strings.Join(rec.log, "\n"))
	}
	if got := f.storeVersions(); got != v1Fleet {
		t.Errorf("running after the abort: %s", got)
	}
	if cr := canaryOf(t, st); cr != nil {
		t.Errorf("the state still records a canary after the abort: %+v", cr)
	}
	f.checkStateIsReality(st, "test_fleet.f")

	// With the canary gone, the configuration (v2, canary) plans a new one.
	if _, c := f.partOf(PlanOptions{}); c.Canary != plans.CanaryStart {
		t.Errorf("plan after the abort: canary part %q", c.Canary)
	}
}

func TestCanaryReplannedWhenTheConfigurationChanges(t *testing.T) {
	f := canaryFixture(t, "v2")
	p, _ := f.partOf(PlanOptions{})
	f.applyWith(p, &recorder{}, nil)

	f.write(fleetConfig("v3", canaryRollout))
	p, c := f.partOf(PlanOptions{})
	if c.Canary != plans.CanaryReplan {
		t.Fatalf("canary part %q, want %q", c.Canary, plans.CanaryReplan)
	}
	rec := &recorder{}
	st, errs := f.applyWith(p, rec, nil)
	if errs != "" && !strings.Contains(errs, "paused at its canary") {
		t.Fatalf("apply: %s", errs)
	}
	if want := []string{"hook Canary 0%: ", "hook AfterReady wave 0: " + strings.ReplaceAll(v1Fleet, " ", " "), "hook BeforeStop wave 0: f-0@v2", "hook Canary 10%: f-0@v3"}; !slices.Equal(rec.log, want) {
		t.Errorf("hooks:\n%s\nwant\n%s", strings.Join(rec.log, "\n"), strings.Join(want, "\n"))
	}
	if got := f.storeVersions(); got != "f-0@v1 f-0@v3 f-1@v1 f-2@v1 f-3@v1 f-4@v1 f-5@v1" {
		t.Errorf("running after the replanned canary: %s", got)
	}
	if cr := canaryOf(t, st); cr == nil || cr.ConfigHash != "v3" {
		t.Errorf("recorded canary %+v, want one of v3", cr)
	}
	f.checkStateIsReality(st, "test_fleet.f")
}

func TestCanaryCommandsRefused(t *testing.T) {
	f := newFixture(t, fleetConfig("v1", ""))
	f.apply(f.plan(PlanOptions{}))
	for _, part := range []plans.CanaryPart{plans.CanaryPromote, plans.CanaryAbort} {
		_, _, diags := f.operation().Plan(context.Background(), PlanOptions{Refresh: true, Canary: map[string]plans.CanaryPart{"test_fleet.f": part}})
		if !diags.HasErrors() || !strings.Contains(diags.Error(), "No canary in progress") {
			t.Errorf("%s without a canary: %v", part, diags)
		}
	}

	// A canary of v2, then a configuration of v3: promoting would carry
	// out a spec nobody tried.
	f.write(fleetConfig("v2", canaryRollout))
	p, _ := f.partOf(PlanOptions{})
	f.applyWith(p, &recorder{}, nil)
	f.write(fleetConfig("v3", canaryRollout))
	_, _, diags := f.operation().Plan(context.Background(), PlanOptions{Refresh: true, Canary: map[string]plans.CanaryPart{"test_fleet.f": plans.CanaryPromote}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Canary not promotable") {
		t.Errorf("promote of a canary the configuration no longer asks for: %v", diags)
	}
	if got := f.storeVersions(); got != fmt.Sprintf("f-0@v1 f-0@v2 %s", strings.TrimPrefix(v1Fleet, "f-0@v1 ")) {
		t.Errorf("a refused promote changed what runs: %s", got)
	}
}

// TestCanaryAsLargeAsTheApp: one replica and a canary of one instance.
// The second apply confirms the canary (the provider plans no wave: the
// one name already runs the new spec) instead of reverting it, and the
// promote replaces the old instance and retires the canary.
func TestCanaryAsLargeAsTheApp(t *testing.T) {
	one := func(version, extra string) string {
		return strings.Replace(fleetConfig(version, extra), "replicas = 6", "replicas = 1", 1)
	}
	f := newFixture(t, one("v1", ""))
	f.apply(f.plan(PlanOptions{}))
	f.write(one("v2", canaryRollout))
	p, _ := f.partOf(PlanOptions{})
	f.applyWith(p, &recorder{}, nil)
	if got := f.storeVersions(); got != "f-0@v1 f-0@v2" {
		t.Fatalf("running after the canary: %s", got)
	}

	p, c := f.partOf(PlanOptions{})
	if c.Canary != plans.CanaryStart {
		t.Fatalf("second plan: canary part %q, want %q", c.Canary, plans.CanaryStart)
	}
	rec := &recorder{}
	st, _ := f.applyWith(p, rec, nil)
	if want := []string{"hook Canary 10%: f-0@v2"}; !slices.Equal(rec.log, want) {
		t.Errorf("hooks of the second apply: %q, want %q", rec.log, want)
	}
	if canaryOf(t, st) == nil || f.storeVersions() != "f-0@v1 f-0@v2" {
		t.Errorf("after the second apply: canary %+v, running %s", canaryOf(t, st), f.storeVersions())
	}

	p, c = f.partOf(PlanOptions{Canary: map[string]plans.CanaryPart{"test_fleet.f": plans.CanaryPromote}})
	if c.Canary != plans.CanaryPromote {
		t.Fatalf("promote plan: canary part %q", c.Canary)
	}
	rec = &recorder{}
	st, errs := f.applyWith(p, rec, nil)
	if errs != "" {
		t.Fatalf("promote: %s", errs)
	}
	if want := []string{"hook AfterReady wave 1: f-0@v2", "hook BeforeStop wave 0: f-0@v1", "hook Canary 0%: "}; !slices.Equal(rec.log, want) {
		t.Errorf("promote hooks:\n%s\nwant\n%s", strings.Join(rec.log, "\n"), strings.Join(want, "\n"))
	}
	if got := f.storeVersions(); got != "f-0@v2" {
		t.Errorf("running after the promote: %s", got)
	}
	if cr := canaryOf(t, st); cr != nil {
		t.Errorf("canary still recorded after the promote: %+v", cr)
	}
	f.checkStateIsReality(st, "test_fleet.f")
}

// TestCanaryKeptUntilRetired: a promote whose retire fails keeps the
// canary recorded (the load balancers still give it its share); the
// next plan finishes it by retiring it, although every instance already
// runs the new spec.
func TestCanaryKeptUntilRetired(t *testing.T) {
	f := canaryFixture(t, "v2")
	p, _ := f.partOf(PlanOptions{})
	f.applyWith(p, &recorder{}, nil)

	p, _ = f.partOf(PlanOptions{Canary: map[string]plans.CanaryPart{"test_fleet.f": plans.CanaryPromote}})
	st, errs := f.applyWith(p, &recorder{retireErr: errors.New("throttled")}, nil)
	if !strings.Contains(errs, "not retired") {
		t.Fatalf("promote with a failing retire: %q", errs)
	}
	if canaryOf(t, st) == nil {
		t.Fatal("the canary record was dropped although the routers still hold the canary")
	}
	if got := f.storeVersions(); got != "f-0@v2 f-1@v2 f-2@v2 f-3@v2 f-4@v2 f-5@v2" {
		t.Errorf("running after the promote: %s", got)
	}

	p, c := f.partOf(PlanOptions{})
	if c.Canary != plans.CanaryPromote || c.Action != plans.Update {
		t.Fatalf("plan after the failed retire: %s, canary part %q; want the promote finished", c.Action, c.Canary)
	}
	rec := &recorder{}
	st, errs = f.applyWith(p, rec, nil)
	if errs != "" {
		t.Fatalf("finishing the promote: %s", errs)
	}
	if n := len(rec.log); n == 0 || rec.log[n-1] != "hook Canary 0%: " {
		t.Errorf("hooks finishing the promote: %q", rec.log)
	}
	if cr := canaryOf(t, st); cr != nil {
		t.Errorf("canary still recorded: %+v", cr)
	}
	if p := f.plan(PlanOptions{}); len(p.Changes) != 0 && p.Changes[0].Action != plans.NoOp {
		t.Errorf("plan after finishing: %s", p.Changes[0].Action)
	}
}

func TestCanaryCommandOfAnAppNoLongerConfigured(t *testing.T) {
	f := canaryFixture(t, "v2")
	p, _ := f.partOf(PlanOptions{})
	f.applyWith(p, &recorder{}, nil)
	f.write(`resource "test_fleet" "other" {
  name     = "other"
  version  = "v1"
  replicas = 1
}
`)
	_, _, diags := f.operation().Plan(context.Background(), PlanOptions{Refresh: true, Canary: map[string]plans.CanaryPart{"test_fleet.f": plans.CanaryAbort}})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "no longer in the configuration") {
		t.Errorf("abort of an app removed from the configuration: %v", diags)
	}
}

// berth killed during a promote, after its waves and before the routers
// retired the canary: the state records the canary still, and every
// step's result, or none of them (the refresh then finds every instance
// on the canary's spec while the recorded spec is the previous one).
// berth rollout promote again retires the canary and settles the app on
// the canary's spec.
func TestCanaryPromoteFinishedAfterAKill(t *testing.T) {
	for _, tc := range []struct {
		name string
		// killed is the state the kill leaves, from the state of the
		// canary phase and the one after a complete promote.
		killed func(canary, promoted *state.State) *state.State
	}{
		{"every step recorded", func(canary, promoted *state.State) *state.State {
			promoted.Instance(mustInstance(t, "test_fleet.f")).Canary = canaryOf(t, canary)
			return promoted
		}},
		{"no step recorded", func(canary, _ *state.State) *state.State { return canary }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := canaryFixture(t, "v2")
			p, _ := f.partOf(PlanOptions{})
			canary, _ := f.applyWith(p, &recorder{}, nil)
			p, _ = f.partOf(PlanOptions{Canary: map[string]plans.CanaryPart{"test_fleet.f": plans.CanaryPromote}})
			promoted, errs := f.applyWith(p, &recorder{}, nil)
			if errs != "" {
				t.Fatalf("promote: %s", errs)
			}
			if err := statemgr.New(local.New(filepath.Join(f.dir, "berth.state"))).Write(context.Background(), tc.killed(canary, promoted)); err != nil {
				t.Fatal(err)
			}

			p, c := f.partOf(PlanOptions{Canary: map[string]plans.CanaryPart{"test_fleet.f": plans.CanaryPromote}})
			if c.Canary != plans.CanaryPromote || c.Action != plans.Update || (c.Rollout != nil && len(c.Rollout.Waves) > 0) {
				t.Fatalf("promote plan again: %s, canary part %q, rollout %+v; want a promote without waves", c.Action, c.Canary, c.Rollout)
			}
			rec := &recorder{}
			st, errs := f.applyWith(p, rec, nil)
			if errs != "" {
				t.Fatalf("promote again: %s", errs)
			}
			want := []string{"hook AfterReady wave 1: f-0@v2 f-1@v2 f-2@v2 f-3@v2 f-4@v2 f-5@v2", "hook Canary 0%: "}
			if !slices.Equal(rec.log, want) {
				t.Errorf("hooks of the promote again: %q, want %q", rec.log, want)
			}
			if got := f.storeVersions(); got != "f-0@v2 f-1@v2 f-2@v2 f-3@v2 f-4@v2 f-5@v2" {
				t.Errorf("running after the promote again: %s", got)
			}
			if cr := canaryOf(t, st); cr != nil {
				t.Errorf("the state still records a canary: %+v", cr)
			}
			if v := app.Str(st.Instance(mustInstance(t, "test_fleet.f")).Value, "version"); v != "v2" {
				t.Errorf("recorded version %q after the promote again", v)
			}
			f.checkStateIsReality(st, "test_fleet.f")
			if p := f.plan(PlanOptions{}); len(p.Changes) != 0 && p.Changes[0].Action != plans.NoOp {
				t.Errorf("plan after the promote again: %s", p.Changes[0].Action)
			}
		})
	}
}

// What depends on an app is planned against the app's value as
// pausedValue gives it: instances known after apply where the canary's
// instances may move between load balancer groups in the run.
func TestPausedValue(t *testing.T) {
	obj := func(spec, id string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"spec": cty.StringVal(spec),
			"instances": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(id)})})})
	}
	before, after := obj("v1", "a"), obj("v2", "b")
	unknownOf := func(v cty.Value) cty.Value {
		m := v.AsValueMap()
		m["instances"] = cty.UnknownVal(v.Type().AttributeType("instances"))
		return cty.ObjectVal(m)
	}
	waves := &providers.Rollout{Waves: []providers.Wave{{}}}
	for _, tc := range []struct {
		name    string
		part    plans.CanaryPart
		rollout *providers.Rollout
		want    cty.Value
	}{
		{"a rolling update", plans.CanaryNone, waves, after},
		{"a canary starts: the recorded spec, instances unknown", plans.CanaryStart, waves, unknownOf(before)},
		{"an abort: the recorded spec, instances unknown", plans.CanaryAbort, nil, unknownOf(before)},
		{"a promote with waves: as planned", plans.CanaryPromote, waves, after},
		{"a promote without waves: as planned, instances unknown", plans.CanaryPromote, &providers.Rollout{}, unknownOf(after)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &plans.ResourceChange{Action: plans.Update, Before: before, After: after, Canary: tc.part, Rollout: tc.rollout}
			if got := pausedValue(c); !got.RawEquals(tc.want) {
				t.Errorf("pausedValue: %#v, want %#v", got, tc.want)
			}
		})
	}
}
