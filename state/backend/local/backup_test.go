package local

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statemgr"
)

// run is one berth run against the state file at path: it reads the
// state (a new one when there is none), and writes it after each of
// changes objects added, as an apply persists after every object.
func run(t *testing.T, path string, changes int) *statemgr.Manager {
	t.Helper()
	ctx := context.Background()
	m := manage(path)
	s, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s == nil {
		s = state.New()
	}
	for i := range changes {
		setID(t, s, fmt.Sprintf("app.n%d", s.InstanceCount()), fmt.Sprint(i))
		if err := m.Write(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// backups lists the backup files beside the state at path.
func backups(t *testing.T, path string) []string {
	t.Helper()
	found, err := filepath.Glob(path + ".backup*")
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range found {
		found[i] = filepath.Base(f)
	}
	slices.Sort(found)
	return found
}

// TestLostStateKeepsItsBackup is the audit's case: berth.state deleted by
// mistake, then apply. The backup, the only copy of the old lineage,
// stays as it was, byte for byte, through that run and the next ones;
// the new lineage's backups go beside it.
func TestLostStateKeepsItsBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultPath)
	run(t, path, 2)
	run(t, path, 3) // backs up the first run's state
	oldBackup := read(t, path+".backup")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}

	m := run(t, path, 3) // a new lineage, persisted three times
	if f := m.ForeignBackup(); f == nil || f.StateLineage != "" || f.Location != path+".backup" {
		t.Errorf("ForeignBackup() = %+v, want the old backup, with no state", f)
	}
	if now := read(t, path+".backup"); !bytes.Equal(now, oldBackup) {
		t.Fatalf("the backup of the lost state was overwritten within the run:\n%s", now)
	}
	if got := backups(t, path); !slices.Equal(got, []string{"berth.state.backup"}) {
		t.Errorf("backups after a run that found no state: %v", got)
	}

	// The next runs of the new lineage back up beside the old backup.
	for i := range 2 {
		before := read(t, path)
		m := manage(path)
		st, err := m.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f := m.ForeignBackup()
		beside := path + ".backup." + st.Lineage[:8]
		if f == nil || f.StateLineage != st.Lineage || f.Beside != beside {
			t.Fatalf("run %d: ForeignBackup() = %+v, want one naming %s", i+1, f, beside)
		}
		run(t, path, 2)
		if now := read(t, path+".backup"); !bytes.Equal(now, oldBackup) {
			t.Fatalf("run %d: the backup of the lost state was overwritten", i+1)
		}
		if now := read(t, beside); !bytes.Equal(now, before) {
			t.Errorf("run %d: %s is not the state before the run", i+1, beside)
		}
	}

	// Restored as the warning says, the old lineage is read back whole.
	if err := os.WriteFile(path, oldBackup, 0o600); err != nil {
		t.Fatal(err)
	}
	m = run(t, path, 1)
	if f := m.ForeignBackup(); f != nil {
		t.Errorf("after the restore: ForeignBackup() = %+v", f)
	}
	if now := read(t, path+".backup"); !bytes.Equal(now, oldBackup) {
		t.Error("the backup after the restore is not the restored state")
	}
}

// TestStaleTempFilesRemoved: temporary files a killed berth left beside
// the state, its backups and its lock are removed at the next run, when
// it takes the lock or (with -lock=false) first writes; nothing else is.
func TestStaleTempFilesRemoved(t *testing.T) {
	files := []struct {
		name    string
		fresh   bool // written after this process started
		removed bool
	}{
		{name: ".berth.state.tmp-3141592", removed: true},
		{name: ".berth.state.backup.tmp-27", removed: true},
		{name: ".berth.state.backup.8a0c1f0e.tmp-1", removed: true},
		{name: ".berth.state.lock.tmp-99", removed: true},
		{name: ".berth.state.tmp-4", fresh: true}, // another berth may be writing it
		{name: ".prod.state.tmp-5"},               // another state's
		{name: ".berth.state.backup.a.b.tmp-6"},   // not a backup name
		{name: ".berth.state.tmp-7x"},             // not berth's name
		{name: "berth.state.tmp-8"},               // not berth's name
		{name: ".berth.state.old.tmp-9"},          // not a file of the state
		{name: "berth.state.backup.8a0c1f0e"},     // a backup
	}
	for _, start := range []string{"lock", "write"} {
		t.Run(start, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, DefaultPath)
			old := time.Now().Add(-time.Hour)
			for _, f := range files {
				p := filepath.Join(dir, f.name)
				if err := os.WriteFile(p, []byte("half a sta"), 0o600); err != nil {
					t.Fatal(err)
				}
				if !f.fresh {
					if err := os.Chtimes(p, old, old); err != nil {
						t.Fatal(err)
					}
				}
			}
			m := manage(path)
			switch start {
			case "lock":
				if _, err := m.Lock(ctx, statemgr.NewLockInfo("plan"), 0); err != nil {
					t.Fatal(err)
				}
			case "write":
				s := state.New()
				setID(t, s, "app.a", "1")
				if err := m.Write(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range files {
				_, err := os.Stat(filepath.Join(dir, f.name))
				if exists := err == nil; exists == f.removed {
					t.Errorf("%s: exists = %v, want %v", f.name, exists, !f.removed)
				}
			}
		})
	}
}

// TestBackupNames: a backup name cannot reach outside PATH.backup.*.
func TestBackupNames(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := New(filepath.Join(dir, DefaultPath))
	var _ backend.Backups = l
	for _, name := range []string{"../x", "a/b", ".", "a.b", "a b"} {
		if err := l.PutBackup(ctx, name, []byte("x")); err == nil || !strings.Contains(err.Error(), "not a backup name") {
			t.Errorf("PutBackup(%q) = %v", name, err)
		}
		if _, _, err := l.GetBackup(ctx, name); err == nil {
			t.Errorf("GetBackup(%q) succeeded", name)
		}
	}
	if err := l.PutBackup(ctx, "8a0c-1f0e", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if data, found, err := l.GetBackup(ctx, "8a0c-1f0e"); err != nil || !found || string(data) != "x" {
		t.Errorf("GetBackup = %q, %v, %v", data, found, err)
	}
	if got := backups(t, l.Path()); !slices.Equal(got, []string{"berth.state.backup.8a0c-1f0e"}) {
		t.Errorf("files: %v", got)
	}
	if st, _ := os.Stat(l.BackupLocation("8a0c-1f0e")); st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
	}
}
