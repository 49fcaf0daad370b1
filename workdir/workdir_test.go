package workdir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestWorkspaceSelection: the default workspace until one is selected;
// the selection survives; BERTH_WORKSPACE overrides it; invalid names are
// refused wherever they come from.
func TestWorkspaceSelection(t *testing.T) {
	d := New(t.TempDir())
	noEnv := func(string) string { return "" }
	check := func(getenv func(string) string, want string, wantEnv bool) {
		t.Helper()
		got, fromEnv, err := d.Workspace(getenv)
		if err != nil || got != want || fromEnv != wantEnv {
			t.Errorf("Workspace() = %q, %v, %v; want %q, %v", got, fromEnv, err, want, wantEnv)
		}
	}
	check(noEnv, "default", false)
	if err := d.SelectWorkspace("prod"); err != nil {
		t.Fatal(err)
	}
	check(noEnv, "prod", false)
	check(func(k string) string {
		if k == EnvWorkspace {
			return "dev"
		}
		return ""
	}, "dev", true)
	if _, _, err := d.Workspace(func(string) string { return "../etc" }); err == nil {
		t.Error("BERTH_WORKSPACE=../etc accepted")
	}
	if err := d.SelectWorkspace("a/b"); err == nil {
		t.Error("selected a/b")
	}
	if err := d.SelectWorkspace("default"); err != nil {
		t.Fatal(err)
	}
	check(noEnv, "default", false)
	if _, err := os.Stat(filepath.Join(d.path, DataDirName, environmentFile)); !os.IsNotExist(err) {
		t.Errorf("selecting default left %s: %v", environmentFile, err)
	}
	if err := os.WriteFile(filepath.Join(d.path, DataDirName, environmentFile), []byte("bad name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Workspace(noEnv); err == nil {
		t.Error("a damaged selection was accepted")
	}
}

// TestBackendRecord: what init records comes back, readable only by its
// owner (it may hold secrets); a damaged record is an error that says to
// run init again.
func TestBackendRecord(t *testing.T) {
	d := New(t.TempDir())
	if b, err := d.Backend(); b != nil || err != nil {
		t.Fatalf("fresh directory: %v, %v", b, err)
	}
	rec := &Backend{Type: "postgres", BlockDigest: "abc", Overrides: map[string]json.RawMessage{"conn_str": json.RawMessage(`"postgres://x"`)}, Config: json.RawMessage(`{"conn_str":"postgres://x","schema":"s"}`)}
	if err := d.SetBackend(rec); err != nil {
		t.Fatal(err)
	}
	got, err := d.Backend()
	if err != nil || got.Type != "postgres" || got.BlockDigest != "abc" || string(got.Overrides["conn_str"]) != `"postgres://x"` {
		t.Fatalf("read back %+v, %v", got, err)
	}
	fi, err := os.Stat(filepath.Join(d.path, DataDirName, backendFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backend.json mode %v, %v", fi.Mode(), err)
	}
	if err := os.WriteFile(filepath.Join(d.path, DataDirName, backendFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Backend(); err == nil {
		t.Error("a damaged record was read")
	}
}
