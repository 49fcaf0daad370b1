package atomicfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.hcl")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new" {
		t.Fatalf("content %q, %v", b, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	// No temporary file is left behind, and a failed write leaves the old
	// content.
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("%d files in the directory, want 1", len(es))
	}
	if err := Write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}

func TestTempTarget(t *testing.T) {
	dir := t.TempDir()
	f, err := TempFile(filepath.Join(dir, "web.plan"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if target, ok := TempTarget(filepath.Base(f.Name())); !ok || target != "web.plan" {
		t.Fatalf("TempTarget(%q) = %q, %v: TempFile's names are not recognised", filepath.Base(f.Name()), target, ok)
	}
	for _, tt := range []struct {
		name   string
		target string
		ok     bool
	}{
		{".berth.state.tmp-123", "berth.state", true},
		{".berth.state.backup.tmp-9", "berth.state.backup", true},
		{".a.tmp-1.tmp-2", "a.tmp-1", true},
		{".berth.state.tmp-", "", false},       // no digits
		{".berth.state.tmp-12a", "", false},    // not only digits
		{".berth.state.tmp-12.x", "", false},   // something after
		{"berth.state.tmp-123", "", false},     // not hidden
		{"..tmp-1", "", false},                 // no target
		{".tmp-1", "", false},                  // no target
		{".berth.state.tmp-1 ", "", false},     // trailing space
		{".berth.state.TMP-1", "", false},      // another spelling
		{".berth.state", "", false},            // the file itself
		{".berth.state.backup.tmp", "", false}, // no dash
	} {
		target, ok := TempTarget(tt.name)
		if target != tt.target || ok != tt.ok {
			t.Errorf("TempTarget(%q) = %q, %v; want %q, %v", tt.name, target, ok, tt.target, tt.ok)
		}
	}
}

// TestRemoveStale: only temporary files of the targets asked for, left
// before this process started, are removed.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	old := processStart.Add(-time.Minute)
	files := []struct {
		name    string
		dir     bool // a directory, not a file
		old     bool // modified before this process started
		removed bool
	}{
		{name: ".web.plan.tmp-4242", old: true, removed: true},
		{name: ".web.plan.tmp-1", old: true, removed: true},
		{name: ".web.plan.tmp-77", old: false},          // possibly being written
		{name: ".other.plan.tmp-5", old: true},          // another target
		{name: ".web.plan.tmp-5x", old: true},           // not berth's name
		{name: "web.plan.tmp-5", old: true},             // not berth's name
		{name: ".web.plan", old: true},                  // not a temporary file
		{name: "web.plan", old: true},                   // the target itself
		{name: ".web.plan.tmp-9", dir: true, old: true}, // not a regular file
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		var err error
		if f.dir {
			err = os.Mkdir(p, 0o755)
		} else {
			err = os.WriteFile(p, []byte("x"), 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.old {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A symbolic link with a temporary file's name is not followed or removed.
	target := filepath.Join(dir, "web.plan")
	if err := os.Symlink(target, filepath.Join(dir, ".web.plan.tmp-3")); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(dir, ".web.plan.tmp-3"), old, old)

	removed, err := RemoveStale(dir, func(target string) bool { return target == "web.plan" })
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if f.removed {
			want = append(want, filepath.Join(dir, f.name))
		}
		_, err := os.Lstat(filepath.Join(dir, f.name))
		if exists := err == nil; exists == f.removed {
			t.Errorf("%s: exists = %v, want %v", f.name, exists, !f.removed)
		}
	}
	slices.Sort(removed)
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	if _, err := os.Lstat(filepath.Join(dir, ".web.plan.tmp-3")); err != nil {
		t.Errorf("the symbolic link was removed: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the link's target was removed: %v", err)
	}
}

// TestWriteRemovesStale: the next write of a file removes what a killed
// write of that file left, and nothing of other files.
func TestWriteRemovesStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "berth.lock.hcl")
	old := processStart.Add(-time.Hour)
	left := filepath.Join(dir, ".berth.lock.hcl.tmp-31337")
	other := filepath.Join(dir, ".main.berth.hcl.tmp-31337")
	for _, p := range []string{left, other} {
		if err := os.WriteFile(p, []byte("half a fi"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	if err := Write(path, []byte("whole"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("the killed write's temporary file is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
}
