package state

import (
	"context"
	"sync"
)

// Persister writes the state of a SyncState to a Backend in the background
// while an apply runs.
//
// The engine calls Changed after every object it records. Rewriting the
// whole state for each of N changes would cost O(N²) at scale, so the
// Persister keeps at most one write in flight and folds every change that
// arrives meanwhile into the next one. Every change is therefore on disk
// in the first write that starts after it; with fast writes that is one
// write per change, with slow ones far fewer writes than changes.
type Persister struct {
	backend Backend
	state   *SyncState
	ctx     context.Context // for writes: detached from the apply's cancellation

	mu      sync.Mutex
	gen     uint64 // count of Changed calls
	written uint64 // gen covered by the last successful write
	running bool   // a writer goroutine is active
	err     error  // error of the last write attempt (nil after a success)
	idle    chan struct{}
}

// NewPersister returns a Persister writing s to b. Writes use a context
// detached from ctx's cancellation (but keeping its values): an interrupted
// apply must still persist what it did.
func NewPersister(ctx context.Context, b Backend, s *SyncState) *Persister {
	return &Persister{backend: b, state: s, ctx: context.WithoutCancel(ctx)}
}

// Changed reports that the state changed; it never blocks on I/O.
func (p *Persister) Changed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	p.startLocked()
}

func (p *Persister) startLocked() {
	if p.running || p.written == p.gen {
		return
	}
	p.running = true
	p.idle = make(chan struct{})
	go p.run()
}

// run writes snapshots until the written state covers every change.
//
// After a failed write it stops rather than retrying in a tight loop: the
// next Changed or Flush tries again.
func (p *Persister) run() {
	failed := false
	for {
		p.mu.Lock()
		target := p.gen
		if p.written >= target || failed {
			p.running = false
			close(p.idle)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()

		// Changes made up to target happened before the snapshot is
		// taken (Changed is called after the change), so it holds them.
		snap := p.state.Snapshot()
		err := p.backend.Write(p.ctx, snap)

		p.mu.Lock()
		p.err = err
		failed = err != nil
		if err == nil {
			p.written = target
		}
		p.mu.Unlock()
		if err == nil {
			p.state.SetSerial(snap.Serial)
		}
	}
}

// Err returns the error of the last write if it failed.
func (p *Persister) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Flush waits until every change reported before it is written, and
// returns the error of the last write if that failed. It retries a failed
// write once. Cancelling ctx stops the waiting, not the write in flight.
func (p *Persister) Flush(ctx context.Context) error {
	p.mu.Lock()
	target := p.gen
	retried := false
	for {
		if p.written >= target {
			p.mu.Unlock()
			return nil
		}
		if !p.running {
			if p.err != nil {
				if retried {
					err := p.err
					p.mu.Unlock()
					return err
				}
				retried = true
				p.err = nil
			}
			p.startLocked()
		}
		idle := p.idle
		p.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		p.mu.Lock()
	}
}
