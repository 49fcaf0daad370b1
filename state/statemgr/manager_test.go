package statemgr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statetest"
	"github.com/zclconf/go-cty/cty"
)

// memBackend is storage in memory: the dumbest backend there is. It counts
// the Puts, and can be made to fail them.
type memBackend struct {
	mu      sync.Mutex
	data    []byte
	found   bool
	lock    *backend.LockInfo
	puts    int
	failPut error

	journal      []byte
	journalFound bool
	appends      int   // AppendJournal calls
	failAppend   error // makes AppendJournal fail
}

func (b *memBackend) Location() string { return "mem://state" }

func (b *memBackend) JournalLocation() string { return "mem://state.journal" }

func (b *memBackend) AppendJournal(ctx context.Context, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failAppend != nil {
		return b.failAppend
	}
	b.journal, b.journalFound = append(b.journal, data...), true
	b.appends++
	return nil
}

func (b *memBackend) GetJournal(ctx context.Context) ([]byte, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.journal), b.journalFound, nil
}

func (b *memBackend) PutJournal(ctx context.Context, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.journal, b.journalFound = bytes.Clone(data), len(data) > 0
	return nil
}

func (b *memBackend) Get(ctx context.Context) ([]byte, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.data...), b.found, nil
}

func (b *memBackend) Put(ctx context.Context, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failPut != nil {
		return b.failPut
	}
	b.data, b.found = append([]byte(nil), data...), true
	b.puts++
	return nil
}

func (b *memBackend) Lock(ctx context.Context, info backend.LockInfo) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lock != nil {
		holder := *b.lock
		return &backend.LockError{Info: &holder}
	}
	b.lock = &info
	return nil
}

func (b *memBackend) Unlock(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.lock == nil:
		return errors.New("not locked")
	case b.lock.ID != id:
		return fmt.Errorf("locked with ID %s, not %s", b.lock.ID, id)
	}
	b.lock = nil
	return nil
}

func (b *memBackend) putCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.puts
}

// stored decodes what b holds.
func (b *memBackend) stored(t *testing.T) *state.State {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := statefile.Decode(b.data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func setID(t *testing.T, s *state.State, addr, id string) {
	t.Helper()
	s.SetInstance(statetest.Instance(t, addr), "test", statetest.Object(id))
}

// TestWriteSerials: the serial starts at 1 and moves by one with each
// write that changes the content, whatever manager writes it; a write
// that changes nothing is not stored and leaves the serial alone.
func TestWriteSerials(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	s := state.New()
	type step struct {
		name       string
		change     func(s *state.State)
		newManager bool // a new run: a manager that has read nothing
		wantSerial uint64
		wantPuts   int
	}
	steps := []step{
		{"first write", func(s *state.State) { setID(t, s, "app.a", "1") }, false, 1, 1},
		{"unchanged", func(*state.State) {}, false, 1, 1},
		{"unchanged, by a new run", func(*state.State) {}, true, 1, 1},
		{"an object added", func(s *state.State) { setID(t, s, "app.b", "2") }, false, 2, 2},
		{"an object changed", func(s *state.State) { setID(t, s, "app.b", "3") }, false, 3, 3},
		{"changed back", func(s *state.State) { setID(t, s, "app.b", "2") }, false, 4, 4},
		{"an output, by a new run", func(s *state.State) { s.SetOutput("o", &state.Output{Value: cty.True}) }, true, 5, 5},
		{"an object removed", func(s *state.State) { s.RemoveInstance(statetest.Instance(t, "app.a")) }, false, 6, 6},
		{"unchanged again", func(*state.State) {}, false, 6, 6},
	}
	m := New(b)
	for _, st := range steps {
		if st.newManager {
			m = New(b)
			read, err := m.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s = read
		}
		st.change(s)
		if err := m.Write(ctx, s); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if s.Serial != st.wantSerial || b.putCount() != st.wantPuts {
			t.Errorf("%s: serial %d after %d puts, want %d after %d", st.name, s.Serial, b.putCount(), st.wantSerial, st.wantPuts)
		}
		if got := b.stored(t); got.Serial != st.wantSerial {
			t.Errorf("%s: stored serial %d, want %d", st.name, got.Serial, st.wantSerial)
		}
	}
}

// TestWriteKeepsAHigherSerial: a state whose serial is already past the
// stored one's (a state pushed from elsewhere) keeps it.
func TestWriteKeepsAHigherSerial(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	s := state.New()
	setID(t, s, "app.a", "1")
	s.Serial = 7
	if err := New(b).Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Serial != 7 || b.stored(t).Serial != 7 {
		t.Errorf("serial %d, stored %d, want 7", s.Serial, b.stored(t).Serial)
	}
}

func TestWriteRefusesAnotherLineage(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	s := state.New()
	setID(t, s, "app.a", "1")
	if err := New(b).Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	other := state.New()
	setID(t, other, "app.x", "9")
	for name, m := range map[string]*Manager{"a new manager": New(b), "one that has read": readManager(t, b)} {
		err := m.Write(ctx, other)
		want := fmt.Sprintf("refusing to write the state: mem://state holds lineage %s, this state is lineage %s (a different history)", s.Lineage, other.Lineage)
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
	if b.putCount() != 1 || b.stored(t).Lineage != s.Lineage {
		t.Error("the other lineage was stored")
	}
	noLineage := state.New()
	noLineage.Lineage = ""
	if err := New(b).Write(ctx, noLineage); err == nil || !strings.Contains(err.Error(), "no lineage") {
		t.Errorf("a state without lineage: err = %v", err)
	}
}

func readManager(t *testing.T, b backend.Backend) *Manager {
	t.Helper()
	m := New(b)
	if _, err := m.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCorruptStateRefused: what does not decode is refused, named with
// the backend's location, and nothing is written over it.
func TestCorruptStateRefused(t *testing.T) {
	ctx := context.Background()
	for name, data := range map[string]string{"empty": "  \n", "garbage": "PK\x03\x04", "no lineage": `{"format_version": 1}`} {
		t.Run(name, func(t *testing.T) {
			b := &memBackend{data: []byte(data), found: true}
			m := New(b)
			_, err := m.Read(ctx)
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "the state file mem://state cannot be used: ") || !strings.HasSuffix(err.Error(), "(berth has not changed it)") {
				t.Fatalf("Read = %v, want a CorruptError naming mem://state without a backup", err)
			}
			s := state.New()
			setID(t, s, "app.a", "1")
			if err := m.Write(ctx, s); err == nil || !strings.Contains(err.Error(), "refusing to overwrite it") {
				t.Errorf("Write over it = %v", err)
			}
			if b.putCount() != 0 {
				t.Error("a corrupt state was overwritten")
			}
		})
	}
}

// TestFailedPutChangesNothing: a Put that fails leaves the manager as it
// was, so the next write tries the same serial again.
func TestFailedPutChangesNothing(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	m := New(b)
	s := state.New()
	setID(t, s, "app.a", "1")
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	b.failPut = errors.New("network down")
	setID(t, s, "app.b", "2")
	if err := m.Write(ctx, s); err == nil || err.Error() != "network down" {
		t.Fatalf("Write = %v, want the backend's error as is", err)
	}
	if s.Serial != 1 {
		t.Errorf("serial %d after a failed write, want 1", s.Serial)
	}
	b.failPut = nil
	if err := m.Write(ctx, s); err != nil || s.Serial != 2 || b.stored(t).Instance(statetest.Instance(t, "app.b")) == nil {
		t.Errorf("Write after recovery = %v, serial %d", err, s.Serial)
	}
}

// TestPullIsWhatWasChecked: Pull returns the stored bytes themselves with
// the state they decode to.
func TestPullIsWhatWasChecked(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	if data, s, err := New(b).Pull(ctx); data != nil || s != nil || err != nil {
		t.Fatalf("Pull of nothing = %q, %v, %v", data, s, err)
	}
	s := state.New()
	setID(t, s, "app.a", "1")
	if err := New(b).Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	data, got, err := New(b).Pull(ctx)
	if err != nil || string(data) != string(b.data) || got.Lineage != s.Lineage || got.Serial != 1 {
		t.Errorf("Pull = %v, %v", got, err)
	}
}

// TestPlainWritesEncodedAfresh: the owner of a state other than a
// snapshot may modify its objects in place between writes; each write
// stores what the state holds then.
func TestPlainWritesEncodedAfresh(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	m := New(b)
	s := state.New()
	a := statetest.Instance(t, "app.a")
	s.SetInstance(a, "test", statetest.Object("1"))
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.Instance(a).Value = cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("2")})
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got := b.stored(t).Instance(a).Value.GetAttr("id").AsString(); got != "2" || s.Serial != 2 {
		t.Errorf("stored id %q at serial %d, want \"2\" at 2", got, s.Serial)
	}
}

// TestSnapshotWritesAreEncode: a Persister's writes, which reuse the
// encodings of unchanged objects, store what Encode makes of the state.
func TestSnapshotWritesAreEncode(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	ss := state.NewSyncState(statetest.Big(30))
	p := NewPersister(ctx, New(b), ss)
	for i := range 3 {
		a := statetest.Instance(t, fmt.Sprintf("test_object.obj%d[0]", i))
		nobj := *ss.Instance(a)
		nobj.Value = cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(fmt.Sprint(i))})
		ss.SetInstance(a, "test", &nobj)
		p.Changed()
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		want, err := statefile.Encode(ss.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		if string(b.data) != string(want) {
			t.Fatalf("write %d stored:\n%s\nwant:\n%s", i, b.data, want)
		}
	}
}

// TestLockWaitsThenFails: while another holds the lock, Lock retries
// until its timeout, then fails with the holder's information; once the
// holder lets go, a waiter gets it.
func TestLockWaitsThenFails(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	holder, waiter := New(b), New(b)
	info := NewLockInfo("apply")
	id, err := holder.Lock(ctx, info, 0)
	if err != nil || id != info.ID {
		t.Fatalf("Lock = %q, %v", id, err)
	}
	start := time.Now()
	_, err = waiter.Lock(ctx, NewLockInfo("plan"), 200*time.Millisecond)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.ID != id || le.Info.Operation != "apply" {
		t.Fatalf("Lock while held = %v, want a LockError naming the holder", err)
	}
	for _, want := range []string{"gave up after waiting 200ms", info.Who, fmt.Sprintf("pid %d", info.PID), "for apply", id} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("Lock gave up after %v: it did not wait", d)
	}
	if err := waiter.Unlock(ctx, id); err == nil || !strings.Contains(err.Error(), "was not taken here") {
		t.Errorf("Unlock of another's lock = %v", err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := waiter.Lock(ctx, NewLockInfo("plan"), 5*time.Second)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := holder.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the waiter did not get the lock: %v", err)
	}
}

// TestLockOtherErrorsAreNotWaitedOn: an error other than a held lock
// (the backend cannot be reached) is returned at once.
func TestLockOtherErrorsAreNotWaitedOn(t *testing.T) {
	m := New(failingLock{&memBackend{}})
	start := time.Now()
	if _, err := m.Lock(context.Background(), NewLockInfo("plan"), time.Hour); err == nil || err.Error() != "unreachable" || time.Since(start) > time.Second {
		t.Errorf("Lock = %v after %v", err, time.Since(start))
	}
}

type failingLock struct{ *memBackend }

func (failingLock) Lock(context.Context, backend.LockInfo) error { return errors.New("unreachable") }

func TestForceUnlockChecksTheID(t *testing.T) {
	ctx := context.Background()
	b := &memBackend{}
	id, err := New(b).Lock(ctx, NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	other := New(b)
	if err := other.ForceUnlock(ctx, "wrong"); err == nil {
		t.Error("ForceUnlock with a wrong ID released the lock")
	}
	if err := other.ForceUnlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lock(ctx, NewLockInfo("plan"), 0); err != nil {
		t.Errorf("Lock after ForceUnlock: %v", err)
	}
}

// BenchmarkLocalWriteSnapshot10k: what a Persister pays per write during
// an apply, one object of 10,000 changed since the last write, through the
// local backend: with the encodings of the others reused ("snapshot"),
// and encoded afresh as any other state is ("fresh").
func BenchmarkLocalWriteSnapshot10k(b *testing.B) {
	for _, mode := range []string{"snapshot", "fresh"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			m := New(local.New(filepath.Join(b.TempDir(), local.DefaultPath)))
			ss := state.NewSyncState(statetest.Big(10000))
			a := statetest.Instance(b, "test_object.obj0[0]")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				nobj := *ss.Instance(a)
				nobj.Value = cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(fmt.Sprint(i))})
				ss.SetInstance(a, "test", &nobj)
				if err := m.write(ctx, ss.Snapshot(), mode == "snapshot", false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
