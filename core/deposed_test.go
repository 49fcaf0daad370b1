package core

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
)

// scripted wraps the test provider: it logs every destroy (with whether
// the object's secret arrived) and can refuse destroys or creates.
type scripted struct {
	providers.Interface
	mu                  *sync.Mutex
	log                 *[]string
	failDelete, failNew bool
}

func (s scripted) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, ev func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	switch {
	case req.PlannedState.IsNull():
		u, _ := req.PriorState.UnmarkDeep()
		s.mu.Lock()
		*s.log = append(*s.log, fmt.Sprintf("destroy %s secret=%v", u.GetAttr("name").AsString(), !u.GetAttr("secret").IsNull()))
		s.mu.Unlock()
		if s.failDelete {
			return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: errDiag("delete failed", "the platform refused", nil)}
		}
	case req.PriorState.IsNull() && s.failNew:
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: errDiag("create failed", "the platform refused", nil)}
	}
	return s.Interface.ApplyResourceChange(ctx, req, ev)
}

func (f *fixture) scripted(log *[]string, failDelete, failNew bool) *Operation {
	op := f.operation()
	inner := op.Engine.Launcher
	mu := &sync.Mutex{}
	op.Engine.Launcher = LauncherFunc(func(ctx context.Context, name, source string) (providers.Interface, error) {
		pr, err := inner.Launch(ctx, name, source)
		return scripted{pr, mu, log, failDelete, failNew}, err
	})
	return op
}

// cbdConfig: b, replaced before it is destroyed, depends on a and holds a
// secret.
func cbdConfig(name string) string {
	return fmt.Sprintf(`
resource "test_object" "a" {
  name = "base"
}
resource "test_object" "b" {
  name   = %q
  secret = "s3cret-s3cret"
  value  = test_object.a.id
  lifecycle {
    create_before_destroy = true
  }
}
`, name)
}

// leaveDeposed replaces b while destroys fail: its previous object is
// kept as deposed.
func leaveDeposed(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, cbdConfig("old"))
	f.apply(f.plan(PlanOptions{}))
	f.write(cbdConfig("new"))
	var log []string
	st, diags := f.scripted(&log, true, false).Apply(context.Background(), f.plan(PlanOptions{}), ApplyOptions{})
	if !diags.HasErrors() || len(st.Deposed) != 1 {
		t.Fatalf("setup: %d deposed, %v", len(st.Deposed), diags)
	}
	return f
}

// A deposed object destroyed from a saved plan is destroyed as the state
// records it: the plan file holds its secrets only as digests.
func TestDeposedFromASavedPlan(t *testing.T) {
	f := leaveDeposed(t)
	path := filepath.Join(f.dir, "x.plan")
	saved := f.plan(PlanOptions{})
	if d := BindPlan(f.dir, saved); d.HasErrors() {
		t.Fatal(d)
	}
	if err := plans.WritePlanFile(context.Background(), path, saved, nil); err != nil {
		t.Fatal(err)
	}
	p, err := plans.ReadPlanFile(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	st, diags := f.scripted(&log, false, false).Apply(context.Background(), p, ApplyOptions{})
	if diags.HasErrors() || len(st.Deposed) != 0 {
		t.Fatalf("apply of the saved plan: %d deposed left, %v", len(st.Deposed), diags)
	}
	if len(log) != 1 || log[0] != "destroy old secret=true" {
		t.Errorf("destroys %v, want the deposed object with its secret", log)
	}
}

// berth destroy: the deposed b goes before a, which it depends on.
func TestDeposedDestroyOrder(t *testing.T) {
	f := leaveDeposed(t)
	var log []string
	if _, diags := f.scripted(&log, false, false).Apply(context.Background(), f.plan(PlanOptions{Mode: plans.DestroyMode}), ApplyOptions{}); diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(log) != 3 || log[2] != "destroy base secret=false" {
		t.Errorf("destroy order %v, want base last", log)
	}
}

// create_before_destroy whose create fails: the previous object, which
// still exists, stays the instance's object.
func TestCreateBeforeDestroyWhoseCreateFails(t *testing.T) {
	f := newFixture(t, cbdConfig("old"))
	old := f.apply(f.plan(PlanOptions{})).Instance(mustInstance(t, "test_object.b"))
	f.write(cbdConfig("new"))
	var log []string
	st, diags := f.scripted(&log, false, true).Apply(context.Background(), f.plan(PlanOptions{}), ApplyOptions{})
	if !diags.HasErrors() {
		t.Fatal("a failed create reported success")
	}
	b := st.Instance(mustInstance(t, "test_object.b"))
	if b == nil || b.Value.GetAttr("id").AsString() != old.Value.GetAttr("id").AsString() || len(st.Deposed) != 0 {
		t.Fatalf("after the failed create: b %v, %d deposed", b, len(st.Deposed))
	}
	if n := f.storeCount(); n != st.InstanceCount() {
		t.Errorf("the provider holds %d objects, the state records %d", n, st.InstanceCount())
	}
}
