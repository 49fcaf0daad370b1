package statemgr

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/berth-sh/berth/atomicfile"
	"github.com/berth-sh/berth/state"
)

// Pacing of the Persister's writes (see Persister).
const (
	// pauseRatio is k: after a write that took d, the next one waits k·d,
	// so that writing takes at most 1/(k+1) of the wall time of an apply.
	pauseRatio = 3
	// minPause keeps a tiny state from being rewritten back to back
	// (an fsync or two per object applied).
	minPause = 10 * time.Millisecond
)

// Persister writes the state of a SyncState through a Manager in the
// background
// while an apply runs.
//
// The engine calls Changed after every object it records. Rewriting the
// whole state for each of N changes would cost O(N²) at scale, and so
// would rewriting it back to back (one core always encoding an O(N) state
// while the apply goes on). So the Persister keeps at most one write in
// flight, folds every change that arrives meanwhile into the next one,
// and paces the writes: after a write that took d, the next one starts no
// sooner than max(3·d, 10ms) after it ended, so writing costs at most a
// quarter of the apply's wall time whatever the state's size. Flush cuts
// any pause short.
//
// The guarantee: every change reported by Changed is in a write that
// starts after the change. That write starts at the latest
// max(3·d, 10ms) after the write in flight at the time of the change (of
// duration d) ended, so the change is stored within about 4·d + d' (d'
// the duration of the write that holds it; about 5·d when the state's
// size barely changed) or 10ms + d + d' for small states. After Flush
// returns without error, everything reported before it is stored.
type Persister struct {
	mgr   *Manager
	state *state.SyncState
	ctx   context.Context // for writes: detached from the apply's cancellation

	// ratio and floor pace the writes (pauseRatio and minPause; tests
	// change them).
	ratio float64
	floor time.Duration

	mu        sync.Mutex
	gen       uint64 // count of Changed calls
	written   uint64 // gen covered by the last successful write
	running   bool   // a writer goroutine is active
	err       error  // error of the last write attempt (nil after a success)
	idle      chan struct{}
	notBefore time.Time     // earliest start of the next write, unless flushing
	flushing  int           // Flush calls waiting: write without pausing
	hurry     chan struct{} // wakes a pausing writer when a Flush starts
	failed    chan struct{} // closed at the first failed write
	firstErr  error         // the error of that write

	// intents are those recorded in the journal during this apply, by
	// key; settled tells those whose outcome is in the SyncState. Guarded
	// by imu.
	imu     sync.Mutex
	intents map[string]state.Intent
	settled map[string]bool
}

// NewPersister returns a Persister writing s through m. Writes use a
// context detached from ctx's cancellation (but keeping its values): an
// interrupted apply must still persist what it did.
func NewPersister(ctx context.Context, m *Manager, s *state.SyncState) *Persister {
	return &Persister{
		mgr: m, state: s,
		ctx:   context.WithoutCancel(ctx),
		ratio: pauseRatio, floor: minPause,
		hurry:  make(chan struct{}, 1),
		failed: make(chan struct{}),
	}
}

// Check writes the state as it is now, even when it has not changed, and
// returns the error: an apply calls it before it changes anything, so that
// a backend that cannot store the state (a full disk) stops it before the
// first change rather than after. It does not count as a failed write of
// the apply (Failed).
func (p *Persister) Check(ctx context.Context) error {
	snap := p.state.Snapshot()
	if err := p.mgr.write(ctx, snap, true, true); err != nil {
		return err
	}
	p.state.SetSerial(snap.Serial)
	return nil
}

// JournalLocation names the intent journal in messages.
func (p *Persister) JournalLocation() string { return p.mgr.Journal().Location() }

// Location names the stored state in messages (Manager.Location).
func (p *Persister) Location() string { return p.mgr.Location() }

// Failed is closed as soon as a write fails, and stays closed even if a
// later write succeeds: the engine stops starting changes at once, since
// what it would do next could not be recorded.
func (p *Persister) Failed() <-chan struct{} { return p.failed }

// FirstErr returns the error of the first write that failed, nil when
// none did.
func (p *Persister) FirstErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.firstErr
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

// run writes snapshots, pacing them, until the written state covers every
// change.
//
// After a failed write it stops rather than retrying in a tight loop: the
// next Changed or Flush tries again (after the pause, for Changed).
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
		if wait := time.Until(p.notBefore); wait > 0 && p.flushing == 0 {
			p.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-p.hurry: // a Flush: look again
			}
			t.Stop()
			continue
		}
		p.mu.Unlock()

		// Changes made up to target happened before the snapshot is
		// taken (Changed is called after the change), so it holds them.
		start := time.Now()
		snap := p.state.Snapshot()
		// The snapshot shares the SyncState's immutable objects, whose
		// encodings the manager may reuse.
		err := p.mgr.write(p.ctx, snap, true, false)
		end := time.Now()

		p.mu.Lock()
		p.err = err
		failed = err != nil
		if err == nil {
			p.written = target
		} else if p.firstErr == nil {
			p.firstErr = err
			close(p.failed)
		}
		p.notBefore = end.Add(max(time.Duration(p.ratio*float64(end.Sub(start))), p.floor))
		p.mu.Unlock()
		if err == nil {
			p.state.SetSerial(snap.Serial)
		}
	}
}

// Intend records in in the intent journal (Manager.Journal) and returns
// once it is stored: the engine calls it before it asks a provider to
// create or destroy an object, and does not make the change when it
// fails. The intent stays open until Settled, and is dropped from the
// journal by the first Flush after that.
func (p *Persister) Intend(ctx context.Context, in state.Intent) error {
	p.imu.Lock()
	if p.intents == nil {
		p.intents, p.settled = map[string]state.Intent{}, map[string]bool{}
	}
	p.intents[in.Key] = in
	p.imu.Unlock()
	return p.mgr.Journal().Record(ctx, in)
}

// Settled reports that the outcome of the intent key (what exists now) is
// recorded in the SyncState, and will be in the next write.
func (p *Persister) Settled(key string) {
	p.imu.Lock()
	defer p.imu.Unlock()
	if _, ok := p.intents[key]; ok {
		p.settled[key] = true
	}
}

// Unsettled returns the intents of this apply whose outcome is unknown:
// the provider failed without saying what exists (it crashed). They stay
// in the journal, for the next run to resolve.
func (p *Persister) Unsettled() []state.Intent {
	p.imu.Lock()
	defer p.imu.Unlock()
	var out []state.Intent
	for k, in := range p.intents {
		if !p.settled[k] {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b state.Intent) int { return a.Time.Compare(b.Time) })
	return out
}

// SettleJournal drops from the journal the intents whose outcome is
// stored: call it after a Flush that succeeded, once no change is in
// flight (at the end of an apply), so that every intent Settled before is
// in the state written. The unsettled ones stay, for the next run. An
// error leaves the journal as it was: the next run then finds the settled
// intents recorded in the state, and drops them.
func (p *Persister) SettleJournal() error {
	p.imu.Lock()
	done := make(map[string]bool, len(p.settled))
	for k := range p.settled {
		done[k] = true
	}
	p.imu.Unlock()
	if len(done) == 0 {
		return nil
	}
	return p.mgr.Journal().Rewrite(p.ctx, func() []state.Intent {
		p.imu.Lock()
		defer p.imu.Unlock()
		for k := range done {
			delete(p.intents, k)
			delete(p.settled, k)
		}
		out := make([]state.Intent, 0, len(p.intents))
		for _, in := range p.intents {
			out = append(out, in)
		}
		slices.SortFunc(out, func(a, b state.Intent) int { return a.Time.Compare(b.Time) })
		return out
	})
}

// Err returns the error of the last write if it failed.
func (p *Persister) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Flush waits until every change reported before it is written, and
// returns the error of the last write if that failed. It writes at once,
// without the pause that paces background writes, and retries a failed
// write once. Cancelling ctx stops the waiting, not the write in flight.
func (p *Persister) Flush(ctx context.Context) error {
	p.mu.Lock()
	p.flushing++
	defer func() {
		p.mu.Lock()
		p.flushing--
		p.mu.Unlock()
	}()
	select { // wake a writer that is pausing
	case p.hurry <- struct{}{}:
	default:
	}
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

// ErroredStateFile is the file, in the working directory, that an apply
// writes its state to when the backend cannot store it (Terraform's
// errored.tfstate): the objects it records exist, and the backend's state
// does not know them until the file is put back.
const ErroredStateFile = "errored.berth.state"

// WriteErrored writes the state as it is now to path, encoded (and
// encrypted) as the manager would store it next (Manager.Encode), and
// returns its bytes, also when writing them failed (the disk the backend
// could not write to may be the same): the caller then prints them. Only
// the owner may read the file, which holds secrets like the state. An
// existing file is not replaced: it holds the state of an earlier run
// that was not put back.
func (p *Persister) WriteErrored(path string) ([]byte, error) {
	data, err := p.mgr.Encode(p.ctx, p.state.Snapshot())
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		return data, fmt.Errorf("%s already exists (the state of an earlier apply that was not put back); it was left as it is", path)
	}
	return data, atomicfile.Write(path, data, 0o600)
}
