package core

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/core/rollout"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/testprovider"
	"github.com/berth-sh/berth/state"
)

// recorder is the Hooks of a rollout and the engine's events, in the order
// they happen.
type recorder struct {
	mu     sync.Mutex
	log    []string
	onHook func(call string)
	// retireErr fails every retire of a canary (Canary with weight 0).
	retireErr error
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

func (r *recorder) BeforeStop(_ context.Context, wave int, leaving []app.Instance) error {
	call := fmt.Sprintf("hook BeforeStop wave %d: %s", wave, instancesString(leaving))
	r.add(call)
	if r.onHook != nil {
		r.onHook(call)
	}
	return nil
}

func (r *recorder) AfterReady(_ context.Context, wave int, joining []app.Instance) error {
	call := fmt.Sprintf("hook AfterReady wave %d: %s", wave, instancesString(joining))
	r.add(call)
	if r.onHook != nil {
		r.onHook(call)
	}
	return nil
}

func (r *recorder) Canary(_ context.Context, weight int, canary []app.Instance) error {
	call := fmt.Sprintf("hook Canary %d%%: %s", weight, instancesString(canary))
	r.add(call)
	if r.onHook != nil {
		r.onHook(call)
	}
	if weight == 0 {
		return r.retireErr
	}
	return nil
}

func (r *recorder) event(ev Event) {
	switch ev.Type {
	case EventWaveStart, EventWaveComplete, EventRevert:
		var names []string
		for _, in := range ev.WaveInstances {
			names = append(names, in.Name)
		}
		r.add(fmt.Sprintf("event %s %d/%d %s", ev.Type, ev.Wave, ev.Waves, strings.Join(names, ",")))
	}
}

// instancesString is "f-0@v2 f-1@v1!" (! for not ready), sorted.
func instancesString(ins []app.Instance) string {
	var out []string
	for _, in := range ins {
		s := in.Name + "@" + in.ConfigHash
		if !in.Ready {
			s += "!"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func (f *fixture) fleets() map[string]testprovider.Fleet {
	f.t.Helper()
	st, err := testprovider.ReadStore(filepath.Join(f.dir, "store.json"))
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]testprovider.Fleet{}
	for _, fl := range st.Fleets {
		out[fl.Name] = *fl
	}
	return out
}

// applyWith applies p with the recorder's hooks and events; stop, when
// not nil, is the graceful stop (the first Ctrl-C).
func (f *fixture) applyWith(p *plans.Plan, rec *recorder, stop <-chan struct{}) (*state.State, string) {
	f.t.Helper()
	op := f.operation()
	op.Engine.RolloutHooks = func(addrs.Instance) rollout.Hooks { return rec }
	op.Engine.Events = rec.event
	st, diags := op.Apply(context.Background(), p, ApplyOptions{Stop: stop})
	if len(diags) == 0 {
		return st, ""
	}
	return st, diags.Error()
}

// checkStateIsReality: the recorded instances of fleet f are exactly those
// of the store, by id, version and readiness.
func (f *fixture) checkStateIsReality(st *state.State, addr string) {
	f.t.Helper()
	obj := st.Instance(mustInstance(f.t, addr))
	if obj == nil {
		f.t.Fatalf("%s is not in the state", addr)
	}
	var recorded, real []string
	for _, in := range app.DecodeInstances(obj.Value) {
		recorded = append(recorded, fmt.Sprintf("%s %s %s %v", in.ID, in.Name, in.ConfigHash, in.Ready))
	}
	for _, in := range f.fleets()["f"].Instances {
		real = append(real, fmt.Sprintf("%s %s %s %v", in.ID, in.Name, in.Version, in.Ready))
	}
	sort.Strings(recorded)
	sort.Strings(real)
	if !slices.Equal(recorded, real) {
		f.t.Errorf("state records\n%s\nbut the store holds\n%s", strings.Join(recorded, "\n"), strings.Join(real, "\n"))
	}
}

func fleetConfig(version, extra string) string {
	return fmt.Sprintf(`
resource "test_fleet" "f" {
  name     = "f"
  version  = %q
  replicas = 6
  %s
}
`, version, extra)
}

// TestRolloutFailedWaveReverts drives a three-wave rollout whose second
// wave fails, with the test provider and no platform: the driver admits
// and drains around the first wave, stops at the failed one, and reverts
// to the recorded spec, admitting what the revert starts before draining
// what it removes.
func TestRolloutFailedWaveReverts(t *testing.T) {
	f := newFixture(t, fleetConfig("v1", ""))
	f.apply(f.plan(PlanOptions{}))

	f.write(fleetConfig("v2", `fail = ["f-2"]`))
	p := f.plan(PlanOptions{})
	c := p.Changes[0]
	if c.Action != plans.Update || c.Rollout == nil || len(c.Rollout.Waves) != 3 {
		t.Fatalf("plan: %s with rollout %+v, want an update in 3 waves", c.Action, c.Rollout)
	}
	rec := &recorder{}
	st, errs := f.applyWith(p, rec, nil)
	if !strings.Contains(errs, "Instances of fleet f failed") || !strings.Contains(errs, "The rollout was reverted to the previous spec") {
		t.Fatalf("apply errors: %s", errs)
	}
	want := []string{
		"event wave_start 1/3 f-0",
		"hook AfterReady wave 1: f-0@v2",
		"hook BeforeStop wave 1: f-0@v1",
		"event wave_complete 1/3 f-0",
		"event wave_start 2/3 f-1,f-2",
		"event revert 2/3 f-1,f-2",
		"hook AfterReady wave 0: f-0@v1 f-1@v1 f-2@v1 f-3@v1 f-4@v1 f-5@v1",
		"hook BeforeStop wave 0: f-0@v2 f-1@v2 f-2@v2!",
	}
	if !slices.Equal(rec.log, want) {
		t.Errorf("hooks and events:\n%s\nwant\n%s", strings.Join(rec.log, "\n"), strings.Join(want, "\n"))
	}
	obj := st.Instance(mustInstance(t, "test_fleet.f"))
	if v := app.Str(obj.Value, "version"); v != "v1" {
		t.Errorf("recorded version %q after the revert, want v1", v)
	}
	if got := instancesString(app.DecodeInstances(obj.Value)); got != "f-0@v1 f-1@v1 f-2@v1 f-3@v1 f-4@v1 f-5@v1" {
		t.Errorf("recorded instances after the revert: %s", got)
	}
	f.checkStateIsReality(st, "test_fleet.f")

	// The next plan rolls out again from what the state says.
	f.write(fleetConfig("v2", ""))
	if p := f.plan(PlanOptions{}); p.Changes[0].Rollout == nil || len(p.Changes[0].Rollout.Waves) != 3 {
		t.Errorf("plan after the revert: %+v", p.Changes[0].Rollout)
	}
}

// TestRolloutInterruptStopsBetweenSteps: a graceful stop during a wave
// lets the step in flight finish and starts nothing more, not even a
// revert; the state records both instances of the wave's member, and the
// next apply finishes the rollout.
func TestRolloutInterruptStopsBetweenSteps(t *testing.T) {
	f := newFixture(t, fleetConfig("v1", ""))
	f.apply(f.plan(PlanOptions{}))
	f.write(fleetConfig("v2", ""))

	stop := make(chan struct{})
	rec := &recorder{onHook: func(call string) {
		if strings.HasPrefix(call, "hook AfterReady wave 1") {
			close(stop)
		}
	}}
	st, errs := f.applyWith(f.plan(PlanOptions{}), rec, stop)
	if !strings.Contains(errs, "Rollout interrupted") || strings.Contains(errs, "reverted") {
		t.Fatalf("apply errors: %s", errs)
	}
	want := []string{
		"event wave_start 1/3 f-0",
		"hook AfterReady wave 1: f-0@v2",
	}
	if !slices.Equal(rec.log, want) {
		t.Errorf("hooks and events:\n%s\nwant\n%s", strings.Join(rec.log, "\n"), strings.Join(want, "\n"))
	}
	obj := st.Instance(mustInstance(t, "test_fleet.f"))
	if got := instancesString(app.DecodeInstances(obj.Value)); got != "f-0@v1 f-0@v2 f-1@v1 f-2@v1 f-3@v1 f-4@v1 f-5@v1" {
		t.Errorf("recorded instances after the interrupt: %s", got)
	}
	if v := app.Str(obj.Value, "version"); v != "v1" {
		t.Errorf("recorded version %q mid-rollout, want the previous v1", v)
	}
	f.checkStateIsReality(st, "test_fleet.f")

	rec = &recorder{}
	p := f.plan(PlanOptions{})
	if ro := p.Changes[0].Rollout; ro == nil || len(ro.Waves) != 3 || ro.Waves[0].Instances[0].Name != "f-1" {
		t.Fatalf("plan after the interrupt: %+v", ro)
	}
	st, errs = f.applyWith(p, rec, nil)
	if errs != "" {
		t.Fatalf("apply: %s", errs)
	}
	obj = st.Instance(mustInstance(t, "test_fleet.f"))
	if got := instancesString(app.DecodeInstances(obj.Value)); got != "f-0@v2 f-1@v2 f-2@v2 f-3@v2 f-4@v2 f-5@v2" {
		t.Errorf("recorded instances after the rollout: %s", got)
	}
	if v := app.Str(obj.Value, "version"); v != "v2" {
		t.Errorf("recorded version %q, want v2", v)
	}
	if last := rec.log[len(rec.log)-2]; last != "hook BeforeStop wave 3: f-0@v1 f-4@v1 f-5@v1" {
		t.Errorf("the last wave drains %q; want its members and the interrupted wave's old instance", last)
	}
	f.checkStateIsReality(st, "test_fleet.f")
}
