package core

import (
	"sync"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
)

// callPart says whether a provider call ends its planned change: a
// replacement is two calls (a destroy and a create, in either order), and
// only the second one finishes it.
type callPart bool

const (
	firstCall callPart = false
	lastCall  callPart = true
)

// changeCounter numbers the planned changes of an apply as they finish,
// for the "[n/N]" of the progress lines (Event.Done, Event.Total).
type changeCounter struct {
	// mu is held while a completion is emitted, so that the numbers
	// reach the view in order.
	mu    sync.Mutex
	total int
	done  int
}

// finished counts a change that ended without a call (its object was
// already gone): the next completion's number includes it.
func (c *changeCounter) finished() {
	c.mu.Lock()
	c.done++
	c.mu.Unlock()
}

// completed emits the completion of a call; when the call ends its
// planned change, the event carries the change's number.
func (a *applyWalker) completed(ev Event, part callPart) {
	if part == firstCall {
		a.e.emit(ev)
		return
	}
	a.count.mu.Lock()
	defer a.count.mu.Unlock()
	a.count.done++
	ev.Done, ev.Total = a.count.done, a.count.total
	a.e.emit(ev)
}

// carriedOut counts the changes of p that an apply carries out: every
// change but no-ops and the dropping of a data source from the state,
// which calls no provider; none for a refresh-only plan, which only
// records its drift.
func carriedOut(p *plans.Plan) int {
	if p.Mode == plans.RefreshOnlyMode {
		return 0
	}
	n := 0
	for _, c := range p.Changes {
		if c.Action == plans.NoOp || (c.Action == plans.Delete && c.Addr.Resource.Mode == addrs.Data) {
			continue
		}
		n++
	}
	return n
}
