package core

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/berth-sh/berth/core/plans"
)

// eventLog records the engine's events in the order they are emitted.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) add(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
}

func (l *eventLog) ofType(t EventType) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, ev := range l.evs {
		if ev.Type == t {
			out = append(out, ev)
		}
	}
	return out
}

// progressConfig has 22 objects, 2 of them replaced on a change of gen,
// a create_before_destroy object replaced too, and a fleet rolled out:
// 24 objects of provider test, and 24 changes when gen changes.
func progressConfig(gen string) string {
	return fmt.Sprintf(`
resource "test_object" "o" {
  count = 22
  name  = count.index < 2 ? "o${count.index}-%[1]s" : "o${count.index}"
  value = %[1]q
}
resource "test_object" "cbd" {
  name = "cbd-%[1]s"
  lifecycle {
    create_before_destroy = true
  }
}
resource "test_fleet" "f" {
  name     = "f"
  version  = %[1]q
  replicas = 3
}
`, gen)
}

// TestProgressEvents: a refresh announces how many objects of each
// provider it reads, before it reads them, and nothing when there are
// none; the completions of an apply are numbered 1..N in the order they
// are reported, N its changes, once per change: the first call of a
// replacement (create_before_destroy or not) is not counted, a rollout is
// counted once.
func TestProgressEvents(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, progressConfig("v1"))
	run := func() (*plans.Plan, *eventLog) {
		t.Helper()
		log := &eventLog{}
		op := f.operation()
		op.Engine.Events = log.add
		p, _, diags := op.Plan(ctx, PlanOptions{Refresh: true})
		if diags.HasErrors() {
			t.Fatalf("plan: %v", diags)
		}
		op = f.operation()
		op.Engine.Events = log.add
		if _, diags := op.Apply(ctx, p, ApplyOptions{}); diags.HasErrors() {
			t.Fatalf("apply: %v", diags)
		}
		return p, log
	}

	p, log := run()
	if got := log.ofType(EventRefreshStart); len(got) != 0 {
		t.Errorf("refresh announced with no object recorded: %+v", got)
	}
	checkNumbered(t, log, len(p.Changes), 0)

	f.write(progressConfig("v2"))
	p, log = run()
	starts, completes := log.ofType(EventRefreshStart), log.ofType(EventRefreshComplete)
	if len(starts) != 1 || starts[0].Provider != "test" || starts[0].Objects != 24 || len(completes) != 1 || completes[0].Objects != 24 {
		t.Fatalf("refresh events: start %+v, complete %+v; want one each for 24 objects of provider test", starts, completes)
	}
	log.mu.Lock()
	first := slices.IndexFunc(log.evs, func(ev Event) bool { return ev.Type == EventRefreshStart })
	last := slices.IndexFunc(log.evs, func(ev Event) bool { return ev.Type == EventRefreshComplete })
	log.mu.Unlock()
	if first > last {
		t.Errorf("the refresh completed (event %d) before it was announced (event %d)", last, first)
	}
	replaced := 0
	for _, c := range p.Changes {
		if c.Action.IsReplace() {
			replaced++
		}
	}
	if len(p.Changes) != 24 || replaced != 3 {
		t.Fatalf("second plan: %d changes, %d replacements; want 24 and 3: %v", len(p.Changes), replaced, actions(p))
	}
	checkNumbered(t, log, 24, replaced)
}

// checkNumbered checks that the completions of an apply of total changes
// carry 1..total, in order, and that unnumbered are the first calls of
// the replacements.
func checkNumbered(t *testing.T, log *eventLog, total, unnumbered int) {
	t.Helper()
	next, skipped := 1, 0
	for _, ev := range log.ofType(EventApplyComplete) {
		if ev.Done == 0 {
			skipped++
			continue
		}
		if ev.Done != next || ev.Total != total {
			t.Errorf("%s: [%d/%d], want [%d/%d]", ev.Addr, ev.Done, ev.Total, next, total)
		}
		next++
	}
	if next-1 != total || skipped != unnumbered {
		t.Errorf("%d completions numbered, %d not; want %d and %d", next-1, skipped, total, unnumbered)
	}
}
