package local

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-sh/berth/state/backend"
	"github.com/zclconf/go-cty/cty"
)

// TestRegistered: the local backend is the default, and opens the file
// its configuration names, relative to the configuration's directory.
func TestRegistered(t *testing.T) {
	spec, ok := backend.Default()
	if !ok || spec.Name != Name {
		t.Fatalf("the default backend is %q, %v; want %q", spec.Name, ok, Name)
	}
	if a := spec.Schema.Attributes["path"]; a == nil || !a.Optional || a.Default.AsString() != DefaultPath {
		t.Errorf("the path attribute is %+v", a)
	}
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "elsewhere.state")
	for _, tt := range []struct {
		config cty.Value
		want   string
	}{
		{cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(DefaultPath)}), filepath.Join(dir, DefaultPath)},
		{cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal("env/prod.state")}), filepath.Join(dir, "env/prod.state")},
		{cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(abs)}), abs},
		{cty.ObjectVal(map[string]cty.Value{"path": cty.NullVal(cty.String)}), filepath.Join(dir, DefaultPath)},
	} {
		ws, err := spec.New(tt.config, dir)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ws.Workspace(backend.DefaultWorkspace)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Location(); got != tt.want {
			t.Errorf("%#v opens %s, want %s", tt.config, got, tt.want)
		}
		if bl, ok := b.(backend.Backups); !ok || bl.BackupLocation("") != tt.want+".backup" {
			t.Errorf("%s keeps no backup beside it", tt.want)
		}
	}
}

// TestWorkspaces: each workspace has its own state file, lock and journal
// under PATH.d, a workspace exists once it has a state, and deleting one
// removes its directory and nothing else.
func TestWorkspaces(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	ws := NewWorkspaces(filepath.Join(dir, DefaultPath))
	list := func() []string {
		t.Helper()
		names, err := ws.Workspaces(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	if got := list(); !slices.Equal(got, []string{"default"}) {
		t.Fatalf("fresh: %v", got)
	}
	dev, err := ws.Workspace("dev")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "berth.state.d", "dev", "berth.state"); dev.Location() != want {
		t.Errorf("dev is at %s, want %s", dev.Location(), want)
	}
	if got := list(); !slices.Equal(got, []string{"default"}) {
		t.Errorf("before dev has a state: %v", got)
	}
	ctxPut := func(b backend.Backend, data string) {
		t.Helper()
		if err := b.Put(ctx, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	ctxPut(dev, "dev-state")
	prod, _ := ws.Workspace("prod")
	ctxPut(prod, "prod-state")
	def, _ := ws.Workspace(backend.DefaultWorkspace)
	ctxPut(def, "default-state")
	if got := list(); !slices.Equal(got, []string{"default", "dev", "prod"}) {
		t.Errorf("with states: %v", got)
	}

	// Separate locks: dev locked does not lock prod.
	info := backend.LockInfo{ID: "dev-lock", Operation: "apply"}
	if err := dev.Lock(ctx, info); err != nil {
		t.Fatal(err)
	}
	info.ID = "prod-lock"
	if err := prod.Lock(ctx, info); err != nil {
		t.Fatalf("prod is locked by dev's lock: %v", err)
	}
	for _, b := range []backend.Backend{dev, prod} {
		id := "dev-lock"
		if b == prod {
			id = "prod-lock"
		}
		if err := b.Unlock(ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	if err := ws.DeleteWorkspace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if got := list(); !slices.Equal(got, []string{"default", "prod"}) {
		t.Errorf("after deleting dev: %v", got)
	}
	for _, b := range []backend.Backend{prod, def} {
		if data, found, err := b.Get(ctx); err != nil || !found || !strings.HasSuffix(string(data), "-state") {
			t.Errorf("%s after deleting dev: %q %v %v", b.Location(), data, found, err)
		}
	}
	for _, bad := range []string{"default", "dev", "../x", ""} {
		if err := ws.DeleteWorkspace(ctx, bad); err == nil {
			t.Errorf("deleting %q succeeded", bad)
		}
	}
}
