package local

import (
	"path/filepath"
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
		b, err := spec.New(tt.config, dir)
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
