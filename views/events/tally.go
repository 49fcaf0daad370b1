package events

import (
	"sync"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
)

// Tally counts what an apply did, for its summary line.
type Tally struct {
	Added, Changed, Destroyed int
	// Failed are the addresses whose provider call failed.
	Failed []string
	// Started counts the provider calls begun: none means the apply was
	// refused before it changed anything (a stale plan, a lock).
	Started int
}

// tally is a Tally that events from many goroutines update.
type tally struct {
	mu sync.Mutex
	t  Tally
}

func (t *tally) record(ev core.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch ev.Type {
	case core.EventApplyStart:
		t.t.Started++
	case core.EventApplyErrored:
		t.t.Failed = append(t.t.Failed, ev.Addr.String())
	case core.EventApplyComplete:
		switch ev.Action {
		case plans.Create, plans.DeleteThenCreate, plans.CreateThenDelete:
			t.t.Added++
		case plans.Update:
			t.t.Changed++
		case plans.Delete:
			t.t.Destroyed++
		}
	}
}

func (t *tally) get() Tally {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.t
	out.Failed = append([]string(nil), t.t.Failed...)
	return out
}
