package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

func newLocal(t *testing.T) *Local {
	t.Helper()
	return NewLocal(filepath.Join(t.TempDir(), DefaultPath))
}

func setID(t *testing.T, s *State, addr, id string) {
	t.Helper()
	s.SetInstance(mustInstance(t, addr), "test", &Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(id)})})
}

func TestLocalSerialAndBackup(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	if s, err := l.Read(ctx); s != nil || err != nil {
		t.Fatalf("Read of a missing file = %v, %v; want nil, nil", s, err)
	}
	s := New()
	setID(t, s, "app.a", "1")
	if err := l.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Serial != 1 {
		t.Errorf("serial after the first write = %d, want 1", s.Serial)
	}
	if _, err := os.Stat(l.BackupPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a backup exists after the first write of a new state: %v", err)
	}
	st, _ := os.Stat(l.Path())
	if st.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v, want 0600", st.Mode().Perm())
	}

	// A new run (a new Local) reads, changes, writes twice.
	l2 := NewLocal(l.Path())
	s2, err := l2.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	firstFile, _ := os.ReadFile(l.Path())
	before, _ := os.Stat(l.Path())
	if err := l2.Write(ctx, s2); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(l.Path())
	if s2.Serial != 1 || !os.SameFile(before, after) {
		t.Errorf("an unchanged state was rewritten (serial %d)", s2.Serial)
	}
	setID(t, s2, "app.b", "2")
	if err := l2.Write(ctx, s2); err != nil {
		t.Fatal(err)
	}
	setID(t, s2, "app.c", "3")
	if err := l2.Write(ctx, s2); err != nil {
		t.Fatal(err)
	}
	if s2.Serial != 3 {
		t.Errorf("serial after two changes = %d, want 3", s2.Serial)
	}
	backup, err := os.ReadFile(l.BackupPath())
	if err != nil {
		t.Fatal(err)
	}
	if string(backup) != string(firstFile) {
		t.Errorf("the backup is not the state before this run:\n%s", backup)
	}
	got, err := NewLocal(l.Path()).Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 3 || got.InstanceCount() != 3 || got.Lineage != s.Lineage {
		t.Errorf("read back serial %d, %d instances, lineage %s", got.Serial, got.InstanceCount(), got.Lineage)
	}

	// Another history is refused.
	other := New()
	setID(t, other, "app.x", "9")
	err = NewLocal(l.Path()).Write(ctx, other)
	if err == nil || !strings.Contains(err.Error(), "lineage") {
		t.Errorf("writing another lineage: err = %v", err)
	}
}

func TestLocalWriteFailureLeavesOldState(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	s := New()
	setID(t, s, "app.a", "1")
	if err := l.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(l.Path())
	l.writeData = func(f *os.File, data []byte) error {
		f.Write(data[:len(data)/2]) // the disk fills up half-way
		return errors.New("no space left on device")
	}
	setID(t, s, "app.b", "2")
	err := l.Write(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Write error = %v", err)
	}
	now, _ := os.ReadFile(l.Path())
	if string(now) != string(old) {
		t.Error("a failed write changed the state file")
	}
	entries, _ := os.ReadDir(filepath.Dir(l.Path()))
	for _, e := range entries {
		if strings.Contains(e.Name(), "tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if _, err := NewLocal(l.Path()).Read(ctx); err != nil {
		t.Errorf("the old state no longer reads: %v", err)
	}
	// Once the disk has room again, the same Local writes.
	l.writeData = NewLocal("").writeData
	if err := l.Write(ctx, s); err != nil || s.Serial != 2 {
		t.Errorf("Write after recovery = %v, serial %d", err, s.Serial)
	}
}

func TestLocalCorruptFileRefused(t *testing.T) {
	ctx := context.Background()
	good := New()
	setID(t, good, "app.a", "1")
	goodData, err := Encode(good)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want string
	}{
		{"truncated", string(goodData[:len(goodData)-20]), "truncated"},
		{"empty", "", "empty"},
		{"garbage", "PK\x03\x04 not json", "invalid JSON at byte offset 0"},
		{"future format", `{"format_version": 9, "lineage": "x"}`, "unsupported format_version 9"},
		{"no lineage", `{"format_version": 1, "serial": 4}`, "lineage is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLocal(t)
			os.WriteFile(l.Path(), []byte(tt.data), 0o600)
			os.WriteFile(l.BackupPath(), goodData, 0o600)
			_, err := l.Read(ctx)
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), l.Path()) {
				t.Fatalf("Read error = %v, want a CorruptError naming the file and containing %q", err, tt.want)
			}
			if err := l.Write(ctx, good); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
				t.Errorf("Write over a corrupt file: err = %v", err)
			}
			if err := NewLocal(l.Path()).Write(ctx, good); err == nil {
				t.Error("a fresh Local wrote over a corrupt file")
			}
			now, _ := os.ReadFile(l.Path())
			backup, _ := os.ReadFile(l.BackupPath())
			if string(now) != tt.data || string(backup) != string(goodData) {
				t.Error("the state file or its backup was changed")
			}
		})
	}
}

func TestLockContention(t *testing.T) {
	ctx := context.Background()
	a := newLocal(t)
	b := NewLocal(a.Path())
	info := NewLockInfo("apply")
	id, err := a.Lock(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(ctx, NewLockInfo("plan"))
	var le *LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.ID != id || le.HolderDead {
		t.Fatalf("second Lock = %v, want a LockError naming the live holder", err)
	}
	for _, want := range []string{info.Who, fmt.Sprintf("pid %d", os.Getpid()), "for apply", id, info.Created.Format(time.RFC3339)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lock error %q lacks %q", err, want)
		}
	}
	if err := b.Unlock(ctx, id); err == nil {
		t.Error("a Local that does not hold the lock unlocked it")
	}

	// A waiter gets the lock as soon as the holder lets go.
	done := make(chan error, 1)
	go func() {
		_, err := Lock(ctx, b, NewLockInfo("plan"), 5*time.Second)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the waiter returned while the lock was held: %v", err)
	default:
	}
	if err := a.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the waiter did not get the lock: %v", err)
	}
}

func TestLockTimeoutAndCancel(t *testing.T) {
	ctx := context.Background()
	a := newLocal(t)
	b := NewLocal(a.Path())
	if _, err := a.Lock(ctx, NewLockInfo("apply")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Lock(ctx, b, NewLockInfo("plan"), 300*time.Millisecond)
	var le *LockError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "gave up after waiting 300ms") {
		t.Fatalf("Lock = %v, want a timeout wrapping a LockError", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("Lock gave up after %v, want about 300ms", d)
	}
	if _, err := Lock(ctx, b, NewLockInfo("plan"), 0); !errors.As(err, &le) {
		t.Errorf("Lock with no timeout = %v, want an immediate LockError", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = Lock(cctx, b, NewLockInfo("plan"), time.Hour)
	if !errors.As(err, &le) || !errors.Is(context.Cause(cctx), context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("Lock with a cancelled context = %v after %v", err, time.Since(start))
	}
}

func TestForceUnlock(t *testing.T) {
	ctx := context.Background()
	a := newLocal(t)
	id, err := a.Lock(ctx, NewLockInfo("apply"))
	if err != nil {
		t.Fatal(err)
	}
	other := NewLocal(a.Path())
	if err := other.ForceUnlock(ctx, "wrong-id"); err == nil || !strings.Contains(err.Error(), id) {
		t.Errorf("ForceUnlock with a wrong ID = %v", err)
	}
	if err := other.ForceUnlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lock(ctx, NewLockInfo("plan")); err != nil {
		t.Errorf("Lock after force-unlock: %v", err)
	}
	if err := NewLocal(t.TempDir()+"/x").ForceUnlock(ctx, id); err == nil || !strings.Contains(err.Error(), "not locked") {
		t.Errorf("ForceUnlock of an unlocked state = %v", err)
	}
}

// TestLockHelperProcess is not a test: the lock tests re-execute the test
// binary to hold the lock from another process.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv("BERTH_TEST_LOCK_HELPER")
	if path == "" {
		return
	}
	l := NewLocal(path)
	id, err := l.Lock(context.Background(), NewLockInfo("apply"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked", id)
	bufio.NewReader(os.Stdin).ReadString('\n') // hold until told
	if err := l.Unlock(context.Background(), id); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func startLockHolder(t *testing.T, path string) (*exec.Cmd, io.WriteCloser, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "BERTH_TEST_LOCK_HELPER="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "locked ") {
		t.Fatalf("lock holder said %q, %v", line, err)
	}
	return cmd, stdin, strings.TrimSpace(strings.TrimPrefix(line, "locked "))
}

func TestLockBetweenProcesses(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	cmd, stdin, id := startLockHolder(t, l.Path())
	_, err := l.Lock(ctx, NewLockInfo("plan"))
	var le *LockError
	if !errors.As(err, &le) || le.Info.PID != cmd.Process.Pid || le.Info.ID != id || le.HolderDead {
		t.Fatalf("Lock while another process holds it = %v", err)
	}
	// The other process releases it while we wait.
	done := make(chan error, 1)
	go func() {
		_, err := Lock(ctx, l, NewLockInfo("plan"), 10*time.Second)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	stdin.Close()
	if err := <-done; err != nil {
		t.Fatalf("waiting for the other process's lock: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("lock holder: %v", err)
	}
}

func TestLockDeadHolder(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	cmd, _, id := startLockHolder(t, l.Path())
	cmd.Process.Kill() // crashes while holding the lock
	cmd.Wait()
	_, err := l.Lock(ctx, NewLockInfo("plan"))
	var le *LockError
	if !errors.As(err, &le) || !le.HolderDead {
		t.Fatalf("Lock held by a dead process = %v, want HolderDead", err)
	}
	for _, want := range []string{fmt.Sprintf("pid %d", cmd.Process.Pid), "no longer exists", "berth force-unlock " + id} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := l.ForceUnlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lock(ctx, NewLockInfo("plan")); err != nil {
		t.Errorf("Lock after force-unlock: %v", err)
	}
}

// BenchmarkLocalWriteRead10k is one persist (encode, fsync, rename) and one
// read of a 10,000-instance state through the local backend.
func BenchmarkLocalWriteRead10k(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), DefaultPath)
	s := bigState(10000)
	l := NewLocal(path)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// A change per iteration, so every Write really writes.
		i++
		s.SetOutput("n", &Output{Value: cty.NumberIntVal(int64(i))})
		if err := l.Write(ctx, s); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLocalReusesEncodings: a Persister's writes reuse the encodings of
// unchanged objects and re-encode replaced ones; the file is what Encode
// makes of the same state.
func TestLocalReusesEncodings(t *testing.T) {
	ctx := withImmutableObjects(context.Background())
	l := newLocal(t)
	ss := NewSyncState(bigState(50))
	write := func() *State {
		t.Helper()
		snap := ss.Snapshot()
		if err := l.Write(ctx, snap); err != nil {
			t.Fatal(err)
		}
		want, err := Encode(snap)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(l.Path())
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("the file differs from Encode of the same state:\n%s\nwant:\n%s", got, want)
		}
		return snap
	}
	snap := write()
	if len(l.frags.cur) != 50 {
		t.Fatalf("%d encodings cached, want 50", len(l.frags.cur))
	}
	// Replace one object, remove another, move a third: the replaced one
	// is re-encoded, the removed one's encoding is dropped.
	a := mustInstance(t, "test_object.obj0[0]")
	old := snap.Instance(a)
	nobj := *old
	nobj.Value = cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("changed")})
	ss.SetInstance(a, "test", &nobj)
	gone := snap.Instance(mustInstance(t, "test_object.obj0[1]"))
	ss.RemoveInstance(mustInstance(t, "test_object.obj0[1]"))
	moved := snap.Instance(mustInstance(t, "test_object.obj0[2]"))
	ss.RemoveInstance(mustInstance(t, "test_object.obj0[2]"))
	ss.SetInstance(mustInstance(t, `test_object.obj0["two"]`), "test", moved)
	write()
	if _, ok := l.frags.cur[old]; ok {
		t.Error("the replaced object's encoding is still cached")
	}
	if _, ok := l.frags.cur[gone]; ok {
		t.Error("the removed object's encoding is still cached")
	}
	if len(l.frags.cur) != 49 {
		t.Errorf("%d encodings cached, want 49", len(l.frags.cur))
	}

	// A state that is not a snapshot is encoded afresh: its owner may
	// modify its objects in place.
	plain := NewLocal(l.Path())
	s, err := plain.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Write(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if len(plain.frags.cur) != 0 {
		t.Errorf("%d encodings cached for a write outside a Persister", len(plain.frags.cur))
	}
}

// BenchmarkLocalWriteSnapshot10k: what a Persister pays per write during
// an apply, one object of 10,000 changed since the last write: with the
// encodings of the others reused ("snapshot"), and encoded afresh as any
// other state is ("fresh").
func BenchmarkLocalWriteSnapshot10k(b *testing.B) {
	for _, mode := range []string{"snapshot", "fresh"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			if mode == "snapshot" {
				ctx = withImmutableObjects(ctx)
			}
			l := NewLocal(filepath.Join(b.TempDir(), DefaultPath))
			ss := NewSyncState(bigState(10000))
			a := mustInstance(b, "test_object.obj0[0]")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				nobj := *ss.Instance(a)
				nobj.Value = cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(fmt.Sprint(i))})
				ss.SetInstance(a, "test", &nobj)
				if err := l.Write(ctx, ss.Snapshot()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
