package statemgr

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statetest"
)

// slowBackend delays every write and counts them.
type slowBackend struct {
	*local.Local
	delay    time.Duration
	writes   atomic.Int32
	inFlight atomic.Int32
	overlap  atomic.Bool
	mu       sync.Mutex
	fail     error
}

func (b *slowBackend) Put(ctx context.Context, data []byte) error {
	if b.inFlight.Add(1) > 1 {
		b.overlap.Store(true)
	}
	defer b.inFlight.Add(-1)
	time.Sleep(b.delay)
	b.writes.Add(1)
	b.mu.Lock()
	fail := b.fail
	b.mu.Unlock()
	if fail != nil {
		return fail
	}
	return b.Local.Put(ctx, data)
}

// newLocal returns a state file backend in a fresh directory.
func newLocal(t *testing.T) *local.Local {
	t.Helper()
	return local.New(filepath.Join(t.TempDir(), local.DefaultPath))
}

// readBack reads the state at path as a new run would.
func readBack(t *testing.T, path string) *state.State {
	t.Helper()
	got, err := New(local.New(path)).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPersisterFlushWritesEveryChange(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	ss := state.NewSyncState(state.New())
	p := NewPersister(ctx, New(l), ss)
	for i := range 5 {
		addr := statetest.Instance(t, fmt.Sprintf("app.web[%d]", i))
		ss.SetInstance(addr, "docker", &state.Object{Value: statetest.Big(1).Instance(statetest.Instance(t, "test_object.obj0[0]")).Value})
		p.Changed()
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got := readBack(t, l.Path())
		if got.Instance(addr) == nil || got.InstanceCount() != i+1 {
			t.Fatalf("after Flush, %s is not on disk (%d instances)", addr, got.InstanceCount())
		}
	}
	if ss.Serial() != 5 {
		t.Errorf("the live state's serial = %d, want 5 (one per write)", ss.Serial())
	}
	// Removing an object is a change like any other.
	ss.RemoveInstance(statetest.Instance(t, "app.web[0]"))
	p.Changed()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := readBack(t, l.Path())
	if got.InstanceCount() != 4 {
		t.Errorf("after a removal, %d instances on disk, want 4", got.InstanceCount())
	}
}

func TestPersisterCoalescesSlowWrites(t *testing.T) {
	ctx := context.Background()
	b := &slowBackend{Local: newLocal(t), delay: 30 * time.Millisecond}
	ss := state.NewSyncState(state.New())
	p := NewPersister(ctx, New(b), ss)
	const n = 200
	var wg sync.WaitGroup
	for w := range 4 { // the engine's parallel walk reports from many goroutines
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				ss.SetInstance(statetest.Instance(t, fmt.Sprintf("app.x[%d]", i)), "t", &state.Object{Value: statetest.Big(1).Instance(statetest.Instance(t, "test_object.obj0[0]")).Value})
				p.Changed()
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	writes := int(b.writes.Load())
	if writes >= n/4 {
		t.Errorf("%d writes for %d changes: they were not coalesced", writes, n)
	}
	if b.overlap.Load() {
		t.Error("two writes were in flight at once")
	}
	got := readBack(t, b.Path())
	if got.InstanceCount() != n {
		t.Errorf("%d instances on disk after Flush, want %d", got.InstanceCount(), n)
	}
	t.Logf("%d changes, %d writes", n, writes)
}

func TestPersisterErrors(t *testing.T) {
	ctx := context.Background()
	b := &slowBackend{Local: newLocal(t)}
	b.fail = errors.New("disk on fire")
	ss := state.NewSyncState(state.New())
	p := NewPersister(ctx, New(b), ss)
	setIDSync(t, ss, "app.a")
	p.Changed()
	if err := p.Flush(ctx); err == nil || err.Error() != "disk on fire" {
		t.Fatalf("Flush = %v, want the write's error", err)
	}
	if p.Err() == nil {
		t.Error("Err() = nil after a failed write")
	}
	b.mu.Lock()
	b.fail = nil
	b.mu.Unlock()
	// Flush retries even without a new change.
	if err := p.Flush(ctx); err != nil {
		t.Fatalf("Flush after the disk recovered = %v", err)
	}
	if p.Err() != nil {
		t.Errorf("Err() = %v after a good write", p.Err())
	}
	got := readBack(t, b.Path())
	if got == nil || got.Instance(statetest.Instance(t, "app.a")) == nil {
		t.Error("app.a is not on disk")
	}

	// A cancelled Flush returns at once, and the write still lands.
	b.delay = 200 * time.Millisecond
	setIDSync(t, ss, "app.b")
	p.Changed()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Flush(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush with a cancelled context = %v", err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got = readBack(t, b.Path())
	if got.Instance(statetest.Instance(t, "app.b")) == nil {
		t.Error("app.b is not on disk")
	}
}

func setIDSync(t *testing.T, ss *state.SyncState, addr string) {
	ss.SetInstance(statetest.Instance(t, addr), "test", statetest.Object(addr))
}

// TestPersisterChangeDuringWrite: a change reported while a write is in
// flight is not lost: another write starts after it.
func TestPersisterChangeDuringWrite(t *testing.T) {
	ctx := context.Background()
	b := &slowBackend{Local: newLocal(t), delay: 100 * time.Millisecond}
	ss := state.NewSyncState(state.New())
	p := NewPersister(ctx, New(b), ss)
	setIDSync(t, ss, "app.a")
	p.Changed()
	for b.inFlight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	setIDSync(t, ss, "app.b")
	p.Changed()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := readBack(t, b.Path())
	if got.Instance(statetest.Instance(t, "app.b")) == nil || b.writes.Load() != 2 {
		t.Errorf("app.b on disk: %v, after %d writes (want 2)", got.Instance(statetest.Instance(t, "app.b")) != nil, b.writes.Load())
	}
}

// TestPersisterPacesWrites: after a write that took d, the next one waits
// ratio·d (or the floor), so that a slow write does not make the
// Persister write back to back; Flush cuts the pause short.
func TestPersisterPacesWrites(t *testing.T) {
	ctx := context.Background()
	b := &slowBackend{Local: newLocal(t), delay: 20 * time.Millisecond}
	ss := state.NewSyncState(state.New())
	p := NewPersister(ctx, New(b), ss)
	p.ratio, p.floor = 50, time.Millisecond // pause ≥ 1s after each write: a sleep of 50ms stays within it on a loaded machine
	setIDSync(t, ss, "app.a")
	p.Changed()
	for b.writes.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	setIDSync(t, ss, "app.b")
	p.Changed()
	time.Sleep(50 * time.Millisecond) // within the pause
	if n := b.writes.Load(); n != 1 {
		t.Fatalf("%d writes during the pause, want 1", n)
	}
	// The paused write happens by itself, after the pause (50 times the
	// first write, which a loaded machine can stretch to seconds).
	deadline := time.Now().Add(2 * time.Minute)
	caughtUp := func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.written == p.gen
	}
	for !caughtUp() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := b.writes.Load(); n != 2 {
		t.Fatalf("%d writes after the pause, want 2", n)
	}
	got := readBack(t, b.Path())
	if got.Instance(statetest.Instance(t, "app.b")) == nil {
		t.Error("app.b is not on disk after the pause")
	}

	// With a pause of an hour, Flush still writes at once. (The write of
	// app.c, by Flush, is followed by an hour's pause.)
	p.mu.Lock()
	p.floor = time.Hour
	p.mu.Unlock()
	setIDSync(t, ss, "app.c")
	p.Changed()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	setIDSync(t, ss, "app.d")
	p.Changed() // now paused for an hour
	time.Sleep(10 * time.Millisecond)
	if n := b.writes.Load(); n != 3 {
		t.Fatalf("%d writes, want 3: the pause was not observed", n)
	}
	start := time.Now()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Flush took %v: it waited for the pause", el)
	}
	got = readBack(t, b.Path())
	if got.Instance(statetest.Instance(t, "app.d")) == nil {
		t.Error("app.d is not on disk after Flush")
	}
}

// TestPersisterFailedAndErroredState: Failed closes at the first failed
// write and stays closed after a good one; WriteErrored then keeps the
// whole state in a file, with the serial the backend would have given
// it, never over an earlier errored state, and returns the bytes when no
// file can hold them.
func TestPersisterFailedAndErroredState(t *testing.T) {
	ctx := context.Background()
	b := &slowBackend{Local: newLocal(t)}
	ss := state.NewSyncState(state.New())
	p := NewPersister(ctx, New(b), ss)
	setIDSync(t, ss, "app.a")
	p.Changed()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Failed():
		t.Fatal("Failed is closed after a good write")
	default:
	}
	stored := readBack(t, b.Path()).Serial

	b.mu.Lock()
	b.fail = errors.New("no space left on device")
	b.mu.Unlock()
	setIDSync(t, ss, "app.b")
	p.Changed()
	<-p.Failed() // a background write fails: no Flush needed to see it
	if err := p.FirstErr(); err == nil || err.Error() != "no space left on device" {
		t.Fatalf("FirstErr = %v", err)
	}
	setIDSync(t, ss, "app.c")
	p.Changed()
	if err := p.Flush(ctx); err == nil {
		t.Fatal("Flush succeeded on a failing backend")
	}

	dir := t.TempDir()
	path := filepath.Join(dir, ErroredStateFile)
	data, err := p.WriteErrored(path)
	if err != nil {
		t.Fatal(err)
	}
	errored := readBack(t, path)
	if errored.InstanceCount() != 3 || errored.Serial != stored+1 || errored.Lineage != ss.Snapshot().Lineage {
		t.Errorf("errored state: %d instances at serial %d, lineage %s; want 3 at %d, lineage %s",
			errored.InstanceCount(), errored.Serial, errored.Lineage, stored+1, ss.Snapshot().Lineage)
	}
	if on := readBack(t, b.Path()); on.InstanceCount() != 1 {
		t.Errorf("the backend holds %d instances, want 1 (nothing was written)", on.InstanceCount())
	}

	// An earlier errored state is not replaced; the bytes still come back.
	setIDSync(t, ss, "app.d")
	again, err := p.WriteErrored(path)
	if err == nil {
		t.Error("WriteErrored replaced an existing errored state")
	}
	if got := readBack(t, path); got.InstanceCount() != 3 {
		t.Errorf("the earlier errored state now holds %d instances", got.InstanceCount())
	}
	if len(again) <= len(data) {
		t.Errorf("WriteErrored returned %d bytes, want the 4-object state", len(again))
	}

	// The disk recovers: Failed stays closed (the apply has stopped).
	b.mu.Lock()
	b.fail = nil
	b.mu.Unlock()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Failed():
	default:
		t.Error("Failed reopened after a good write")
	}
}

// TestPersisterCheck: Check writes an unchanged state as stored (same
// serial), so that a backend that cannot store it is found before
// anything changes; its failure is not one of the apply's writes.
func TestPersisterCheck(t *testing.T) {
	ctx := context.Background()
	b := &slowBackend{Local: newLocal(t)}
	ss := state.NewSyncState(state.New())
	setIDSync(t, ss, "app.a")
	if err := New(b).Write(ctx, ss.Snapshot()); err != nil {
		t.Fatal(err)
	}
	p := NewPersister(ctx, New(b), ss)
	if err := p.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if b.writes.Load() != 2 || readBack(t, b.Path()).Serial != 1 {
		t.Errorf("%d writes, serial %d: want the unchanged state written again at serial 1", b.writes.Load(), readBack(t, b.Path()).Serial)
	}
	b.mu.Lock()
	b.fail = errors.New("no space left on device")
	b.mu.Unlock()
	if err := p.Check(ctx); err == nil {
		t.Error("Check succeeded on a failing backend")
	}
	select {
	case <-p.Failed():
		t.Error("a failed Check closed Failed")
	default:
	}
}
