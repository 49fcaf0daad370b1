package workdir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func noEnv(string) string { return "" }

// env returns a getenv that knows only name=value.
func env(name, value string) func(string) string {
	return func(k string) string {
		if k == name {
			return value
		}
		return ""
	}
}

// TestDataDir: .berth in the working directory, or BERTH_DATA_DIR (a
// relative one from the working directory), and every record goes there.
func TestDataDir(t *testing.T) {
	tests := []struct {
		work, env, want string
	}{
		{"/w", "", "/w/.berth"},
		{"/w", "/var/lib/berth/w", "/var/lib/berth/w"},
		{"/w", "data", "/w/data"},
		{"/w", "../data/./x", "/data/x"},
	}
	for _, tt := range tests {
		if got := DataDir(tt.work, env(EnvDataDir, tt.env)); got != tt.want {
			t.Errorf("DataDir(%q) with %s=%q = %q, want %q", tt.work, EnvDataDir, tt.env, got, tt.want)
		}
	}

	work, data := t.TempDir(), t.TempDir()
	d := New(work, env(EnvDataDir, data))
	if err := d.SelectWorkspace("prod"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetBackend(&Backend{Type: "local", Config: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := d.SetPluginDirs([]string{"plugins"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{environmentFile, backendFile, pluginDirsFile} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("%s is not in %s: %v", f, EnvDataDir, err)
		}
	}
	if _, err := os.Stat(filepath.Join(work, DataDirName)); !os.IsNotExist(err) {
		t.Errorf("%s was made in the working directory although %s is set: %v", DataDirName, EnvDataDir, err)
	}
	if got, _, _ := New(work, noEnv).Workspace(noEnv); got != "default" {
		t.Errorf("without %s the workspace is %q, want default (the selection is in the other data directory)", EnvDataDir, got)
	}
}

// TestPluginDirs: the -plugin-dir flags of init come back absolute (from
// the working directory), and an init without them forgets them.
func TestPluginDirs(t *testing.T) {
	work := t.TempDir()
	d := New(work, noEnv)
	if got, err := d.PluginDirs(); got != nil || err != nil {
		t.Fatalf("fresh directory: %q, %v", got, err)
	}
	if err := d.SetPluginDirs([]string{"plugins", "/opt/berth/plugins"}); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(work, "plugins"), "/opt/berth/plugins"}
	if got, err := d.PluginDirs(); !slices.Equal(got, want) || err != nil {
		t.Errorf("PluginDirs() = %q, %v; want %q", got, err, want)
	}
	if err := d.SetPluginDirs(nil); err != nil {
		t.Fatal(err)
	}
	if got, err := d.PluginDirs(); got != nil || err != nil {
		t.Errorf("after forgetting: %q, %v", got, err)
	}
}

// TestWorkspaceSelection: the default workspace until one is selected;
// the selection survives; BERTH_WORKSPACE overrides it; invalid names are
// refused wherever they come from.
func TestWorkspaceSelection(t *testing.T) {
	d := New(t.TempDir(), noEnv)
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
	if _, err := os.Stat(filepath.Join(d.work, DataDirName, environmentFile)); !os.IsNotExist(err) {
		t.Errorf("selecting default left %s: %v", environmentFile, err)
	}
	if err := os.WriteFile(filepath.Join(d.work, DataDirName, environmentFile), []byte("bad name\n"), 0o644); err != nil {
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
	d := New(t.TempDir(), noEnv)
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
	fi, err := os.Stat(filepath.Join(d.work, DataDirName, backendFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backend.json mode %v, %v", fi.Mode(), err)
	}
	if err := os.WriteFile(filepath.Join(d.work, DataDirName, backendFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Backend(); err == nil {
		t.Error("a damaged record was read")
	}
}
