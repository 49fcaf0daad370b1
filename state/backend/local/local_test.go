package local

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

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/state/statetest"
	"github.com/zclconf/go-cty/cty"
)

// newLocal returns a manager of a state file in a fresh directory, and
// the file's backend.
func newLocal(t *testing.T) (*statemgr.Manager, *Local) {
	t.Helper()
	l := New(filepath.Join(t.TempDir(), DefaultPath))
	return statemgr.New(l), l
}

// manage returns a manager of the state file at path, as a new run opens
// it.
func manage(path string) *statemgr.Manager { return statemgr.New(New(path)) }

func setID(t *testing.T, s *state.State, addr, id string) {
	t.Helper()
	s.SetInstance(statetest.Instance(t, addr), "test", statetest.Object(id))
}

func TestLocalSerialAndBackup(t *testing.T) {
	ctx := context.Background()
	m, l := newLocal(t)
	if s, err := m.Read(ctx); s != nil || err != nil {
		t.Fatalf("Read of a missing file = %v, %v; want nil, nil", s, err)
	}
	s := state.New()
	setID(t, s, "app.a", "1")
	if err := m.Write(ctx, s); err != nil {
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

	// A new run (a new manager) reads, changes, writes twice.
	m2 := manage(l.Path())
	s2, err := m2.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	firstFile, _ := os.ReadFile(l.Path())
	before, _ := os.Stat(l.Path())
	if err := m2.Write(ctx, s2); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(l.Path())
	if s2.Serial != 1 || !os.SameFile(before, after) {
		t.Errorf("an unchanged state was rewritten (serial %d)", s2.Serial)
	}
	setID(t, s2, "app.b", "2")
	if err := m2.Write(ctx, s2); err != nil {
		t.Fatal(err)
	}
	setID(t, s2, "app.c", "3")
	if err := m2.Write(ctx, s2); err != nil {
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
	got, err := manage(l.Path()).Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 3 || got.InstanceCount() != 3 || got.Lineage != s.Lineage {
		t.Errorf("read back serial %d, %d instances, lineage %s", got.Serial, got.InstanceCount(), got.Lineage)
	}

	// Another history is refused.
	other := state.New()
	setID(t, other, "app.x", "9")
	err = manage(l.Path()).Write(ctx, other)
	if err == nil || !strings.Contains(err.Error(), "lineage") {
		t.Errorf("writing another lineage: err = %v", err)
	}
}

func TestLocalWriteFailureLeavesOldState(t *testing.T) {
	ctx := context.Background()
	m, l := newLocal(t)
	s := state.New()
	setID(t, s, "app.a", "1")
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(l.Path())
	l.writeData = func(f *os.File, data []byte) error {
		f.Write(data[:len(data)/2]) // the disk fills up half-way
		return errors.New("no space left on device")
	}
	setID(t, s, "app.b", "2")
	err := m.Write(ctx, s)
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
	if _, err := manage(l.Path()).Read(ctx); err != nil {
		t.Errorf("the old state no longer reads: %v", err)
	}
	// Once the disk has room again, the same manager writes.
	l.writeData = New("").writeData
	if err := m.Write(ctx, s); err != nil || s.Serial != 2 {
		t.Errorf("Write after recovery = %v, serial %d", err, s.Serial)
	}
}

func TestLocalCorruptFileRefused(t *testing.T) {
	ctx := context.Background()
	good := state.New()
	setID(t, good, "app.a", "1")
	goodData, err := statefile.Encode(good)
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
			m, l := newLocal(t)
			os.WriteFile(l.Path(), []byte(tt.data), 0o600)
			os.WriteFile(l.BackupPath(), goodData, 0o600)
			_, err := m.Read(ctx)
			var ce *statemgr.CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), l.Path()) {
				t.Fatalf("Read error = %v, want a CorruptError naming the file and containing %q", err, tt.want)
			}
			if err := m.Write(ctx, good); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
				t.Errorf("Write over a corrupt file: err = %v", err)
			}
			if err := manage(l.Path()).Write(ctx, good); err == nil {
				t.Error("a fresh manager wrote over a corrupt file")
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
	a, l := newLocal(t)
	b := manage(l.Path())
	info := statemgr.NewLockInfo("apply")
	id, err := a.Lock(ctx, info, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(ctx, statemgr.NewLockInfo("plan"), 0)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.ID != id {
		t.Fatalf("second Lock = %v, want a LockError naming the live holder", err)
	}
	for _, want := range []string{info.Who, fmt.Sprintf("pid %d", os.Getpid()), "for apply", id, info.Created.Format(time.RFC3339)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lock error %q lacks %q", err, want)
		}
	}
	if err := b.Unlock(ctx, id); err == nil {
		t.Error("a manager that does not hold the lock unlocked it")
	}

	// A waiter gets the lock as soon as the holder lets go.
	done := make(chan error, 1)
	go func() {
		_, err := b.Lock(ctx, statemgr.NewLockInfo("plan"), 5*time.Second)
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
	a, l := newLocal(t)
	b := manage(l.Path())
	if _, err := a.Lock(ctx, statemgr.NewLockInfo("apply"), 0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := b.Lock(ctx, statemgr.NewLockInfo("plan"), 300*time.Millisecond)
	var le *backend.LockError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "gave up after waiting 300ms") {
		t.Fatalf("Lock = %v, want a timeout wrapping a LockError", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("Lock gave up after %v, want about 300ms", d)
	}
	if _, err := b.Lock(ctx, statemgr.NewLockInfo("plan"), 0); !errors.As(err, &le) {
		t.Errorf("Lock with no timeout = %v, want an immediate LockError", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = b.Lock(cctx, statemgr.NewLockInfo("plan"), time.Hour)
	if !errors.As(err, &le) || !errors.Is(context.Cause(cctx), context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("Lock with a cancelled context = %v after %v", err, time.Since(start))
	}
}

func TestForceUnlock(t *testing.T) {
	ctx := context.Background()
	a, l := newLocal(t)
	id, err := a.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	other := manage(l.Path())
	if err := other.ForceUnlock(ctx, "wrong-id"); err == nil || !strings.Contains(err.Error(), id) {
		t.Errorf("ForceUnlock with a wrong ID = %v", err)
	}
	if err := other.ForceUnlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lock(ctx, statemgr.NewLockInfo("plan"), 0); err != nil {
		t.Errorf("Lock after force-unlock: %v", err)
	}
	if err := manage(t.TempDir()+"/x").ForceUnlock(ctx, id); err == nil || !strings.Contains(err.Error(), "not locked") {
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
	m := manage(path)
	id, err := m.Lock(context.Background(), statemgr.NewLockInfo("apply"), 0)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked", id)
	bufio.NewReader(os.Stdin).ReadString('\n') // hold until told
	if err := m.Unlock(context.Background(), id); err != nil {
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
	m, l := newLocal(t)
	cmd, stdin, id := startLockHolder(t, l.Path())
	_, err := m.Lock(ctx, statemgr.NewLockInfo("plan"), 0)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info.PID != cmd.Process.Pid || le.Info.ID != id {
		t.Fatalf("Lock while another process holds it = %v", err)
	}
	// The other process releases it while we wait.
	done := make(chan error, 1)
	go func() {
		_, err := m.Lock(ctx, statemgr.NewLockInfo("plan"), 10*time.Second)
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

// A berth killed while holding the lock leaves its lock file, but the
// kernel released its file lock: the next Lock takes it over at once, no
// force-unlock needed.
func TestLockDeadHolder(t *testing.T) {
	ctx := context.Background()
	m, l := newLocal(t)
	cmd, _, id := startLockHolder(t, l.Path())
	cmd.Process.Kill() // killed while holding the lock
	cmd.Wait()
	if info, err := l.readLock(); err != nil || info.ID != id {
		t.Fatalf("the killed holder's lock file: %v, %v", info, err)
	}
	start := time.Now()
	mine, err := m.Lock(ctx, statemgr.NewLockInfo("plan"), 0)
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	t.Logf("lock taken over %v after the holder died", time.Since(start))
	if info, err := l.readLock(); err != nil || info.ID != mine {
		t.Errorf("the lock file after the takeover: %v, %v", info, err)
	}
	// And it is held: a second locker is refused.
	if _, err := manage(l.Path()).Lock(ctx, statemgr.NewLockInfo("apply"), 0); err == nil {
		t.Error("a second Lock succeeded while the lock was taken over")
	}
	if err := m.Unlock(ctx, mine); err != nil {
		t.Fatal(err)
	}
}

// A lock record nobody holds and nobody can read (a torn write) blocks
// nothing; force-unlock removes one whatever the ID.
func TestLockUnreadableRecord(t *testing.T) {
	ctx := context.Background()
	m, l := newLocal(t)
	if err := os.WriteFile(l.LockPath(), []byte("{torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.ForceUnlock(ctx, "any-id"); err != nil {
		t.Fatalf("force-unlock of an unreadable lock record: %v", err)
	}
	if _, err := os.Stat(l.LockPath()); !os.IsNotExist(err) {
		t.Errorf("the unreadable record is still there: %v", err)
	}
	if err := os.WriteFile(l.LockPath(), []byte("{torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatalf("Lock over an unheld, unreadable record: %v", err)
	}
	if err := m.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkLocalWriteRead10k is one persist (encode, fsync, rename) and one
// read of a 10,000-instance state through the local backend.
func BenchmarkLocalWriteRead10k(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), DefaultPath)
	s := statetest.Big(10000)
	m := manage(path)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// A change per iteration, so every Write really writes.
		i++
		s.SetOutput("n", &state.Output{Value: cty.NumberIntVal(int64(i))})
		if err := m.Write(ctx, s); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
