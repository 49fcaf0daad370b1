package core

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statemgr"
)

// forEachConfig is 40 instances of one resource, of which the 10 listed in
// changing take their value from var.v.
func forEachConfig(v string) string {
	var keys, changing []string
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("%q", fmt.Sprintf("k%02d", i)))
		if i%4 == 0 {
			changing = append(changing, fmt.Sprintf("%q", fmt.Sprintf("k%02d", i)))
		}
	}
	return fmt.Sprintf(`
resource "test_object" "m" {
  for_each = toset([%s])
  name     = each.key
  value    = contains([%s], each.key) ? %q : "fixed"
}
`, strings.Join(keys, ", "), strings.Join(changing, ", "), v)
}

// Changing some instances of a resource while the others stay: the
// unchanged ones are collected while the changed ones are applied
// concurrently (a map written from both sides crashed berth before).
// Run with -race to see the race itself.
func TestApplySomeInstancesOfAResource(t *testing.T) {
	f := newFixture(t, forEachConfig("one"))
	f.apply(f.plan(PlanOptions{}))
	for _, v := range []string{"two", "three"} {
		f.write(forEachConfig(v))
		p := f.plan(PlanOptions{})
		if got := p.Summarize().Change; got != 10 {
			t.Fatalf("%d to change, want 10", got)
		}
		st := f.apply(p)
		for i := range 40 {
			addr := mustInstance(t, fmt.Sprintf(`test_object.m["k%02d"]`, i))
			want := "fixed"
			if i%4 == 0 {
				want = v
			}
			if got := st.Instance(addr).Value.GetAttr("value").AsString(); got != want {
				t.Errorf("%s = %q, want %q", addr, got, want)
			}
		}
	}
}

// -target plans some instances of a resource while the others keep their
// recorded values (the same map, written from both sides).
func TestPlanTargetSomeInstances(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "m" {
  count = 40
  name  = "n${count.index}"
  value = "v"
}
`)
	f.apply(f.plan(PlanOptions{}))
	f.write(`
resource "test_object" "m" {
  count = 40
  name  = "n${count.index}"
  value = "w"
}
`)
	var targets []addrs.Instance
	for i := 0; i < 40; i += 3 {
		targets = append(targets, mustInstance(t, fmt.Sprintf("test_object.m[%d]", i)))
	}
	p := f.plan(PlanOptions{Targets: targets})
	if got := p.Summarize().Change; got != len(targets) {
		t.Fatalf("%d to change, want the %d targeted", got, len(targets))
	}
}

// cancelAfterConfigure cancels the apply's context as soon as the provider
// is configured: a second Ctrl-C before any object was changed.
type cancelAfterConfigure struct {
	providers.Interface
	cancel context.CancelFunc
}

func (c cancelAfterConfigure) ConfigureProvider(ctx context.Context, req providers.ConfigureProviderRequest) providers.ConfigureProviderResponse {
	r := c.Interface.ConfigureProvider(ctx, req)
	c.cancel()
	return r
}

// An apply aborted before it changed anything must not report success.
func TestAbortedApplyIsNotASuccess(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  count = 3
  name  = "a${count.index}"
}
`)
	p := f.plan(PlanOptions{})
	op := f.operation()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inner := op.Engine.Launcher
	op.Engine.Launcher = LauncherFunc(func(lctx context.Context, name, source string) (providers.Interface, error) {
		pr, err := inner.Launch(lctx, name, source)
		if err != nil {
			return nil, err
		}
		return cancelAfterConfigure{pr, cancel}, nil
	})
	st, diags := op.Apply(ctx, p, ApplyOptions{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Apply interrupted") {
		t.Fatalf("an aborted apply reported %v", diags)
	}
	if n, created := st.InstanceCount(), f.storeCount(); n != created {
		t.Errorf("the state records %d objects, the provider has %d", n, created)
	}
}

// A graceful stop while a provider is still starting: stopAll must see the
// provider safely (or not at all), and the apply ends as interrupted.
func TestStopWhileAProviderStarts(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	p := f.plan(PlanOptions{})
	op := f.operation()
	inner := op.Engine.Launcher
	stop := make(chan struct{})
	op.Engine.Launcher = LauncherFunc(func(ctx context.Context, name, source string) (providers.Interface, error) {
		close(stop)
		time.Sleep(100 * time.Millisecond)
		return inner.Launch(ctx, name, source)
	})
	st, diags := op.Apply(context.Background(), p, ApplyOptions{Stop: stop})
	created := f.storeCount()
	if n := st.InstanceCount(); n != created {
		t.Errorf("the state records %d objects, the provider has %d", n, created)
	}
	if created == 0 && !diags.HasErrors() {
		t.Errorf("a stopped apply that created nothing reported success")
	}
}

// storeCount is the number of objects in the test provider's store (none
// before its first create).
func (f *fixture) storeCount() int {
	if _, err := os.Stat(filepath.Join(f.dir, "store.json")); errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	return len(f.store())
}

// failDelete refuses every destroy.
type failDelete struct{ providers.Interface }

func (f failDelete) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, ev func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	if req.PlannedState.IsNull() {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: errDiag("delete failed", "the platform refused", nil)}
	}
	return f.Interface.ApplyResourceChange(ctx, req, ev)
}

// create_before_destroy whose destroy of the previous object fails: the
// previous object, which still exists, is kept in the state as deposed,
// and the next plan and apply destroy it.
func TestCreateBeforeDestroyKeepsTheObjectLeftBehind(t *testing.T) {
	cfg := func(name string) string {
		return fmt.Sprintf(`
resource "test_object" "a" {
  name = %q
  lifecycle {
    create_before_destroy = true
  }
}
`, name)
	}
	f := newFixture(t, cfg("old"))
	old := f.apply(f.plan(PlanOptions{})).Instance(mustInstance(t, "test_object.a")).Value.GetAttr("id").AsString()
	f.write(cfg("new"))
	p := f.plan(PlanOptions{})
	op := f.operation()
	inner := op.Engine.Launcher
	op.Engine.Launcher = LauncherFunc(func(ctx context.Context, name, source string) (providers.Interface, error) {
		pr, err := inner.Launch(ctx, name, source)
		return failDelete{pr}, err
	})
	st, diags := op.Apply(context.Background(), p, ApplyOptions{})
	named := false
	for _, d := range diags {
		named = named || d.Summary == "Previous object left behind" && strings.Contains(d.Detail, fmt.Sprintf("its previous object (id %q) could not be destroyed", old))
	}
	if !named {
		t.Fatalf("apply does not name the object left behind: %v", diags)
	}
	if got := st.Instance(mustInstance(t, "test_object.a")).Value.GetAttr("id").AsString(); got == old {
		t.Errorf("the state records the old object %s, want the new one", got)
	}
	// The state (on disk) keeps the old object, which the provider still has.
	onDisk, err := statemgr.New(local.New(filepath.Join(f.dir, "berth.state"))).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk.Deposed) != 1 || onDisk.Deposed[0].Object.Value.GetAttr("id").AsString() != old {
		t.Fatalf("deposed objects on disk: %+v", onDisk.Deposed)
	}
	if n := f.storeCount(); n != 2 {
		t.Fatalf("the provider holds %d objects, want the new and the old", n)
	}

	// The next plan destroys it; then nothing is left behind.
	p = f.plan(PlanOptions{})
	if len(p.Changes) != 2 || p.Summarize().Destroy != 1 {
		t.Fatalf("plan after the failed destroy: %v", actions(p))
	}
	var dep *plans.ResourceChange
	for _, c := range p.Changes {
		if c.Deposed != "" {
			dep = c
		}
	}
	if dep == nil || dep.Action != plans.Delete || dep.Deposed != onDisk.Deposed[0].Key {
		t.Fatalf("no destroy of the deposed object planned: %+v", p.Changes)
	}
	st = f.apply(p)
	if len(st.Deposed) != 0 || f.storeCount() != 1 {
		t.Errorf("after the next apply: %d deposed, %d objects in the provider", len(st.Deposed), f.storeCount())
	}
	if p := f.plan(PlanOptions{}); p.HasChanges() {
		t.Errorf("changes after the cleanup: %v", actions(p))
	}
}

// A saved plan is refused by the engine itself, not only by the CLI, once
// the configuration files have changed since it was made.
func TestApplyRefusesAPlanOfOtherFiles(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	p := f.plan(PlanOptions{})
	if d := BindPlan(f.dir, p); d.HasErrors() {
		t.Fatal(d)
	}
	f.write(`
resource "test_object" "a" {
  name = "b"
}
`)
	_, diags := f.operation().Apply(context.Background(), p, ApplyOptions{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Saved plan does not match the configuration") {
		t.Fatalf("apply of a plan of other files: %v", diags)
	}
	if n := f.storeCount(); n != 0 {
		t.Errorf("%d objects created", n)
	}
}
