package core

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/core/plans"
)

// What a saved plan forbids and what binds it, decided in one place.
func TestOpenSavedPlan(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	p := f.plan(PlanOptions{})
	if d := BindPlan(f.dir, p); d.HasErrors() {
		t.Fatal(d)
	}
	path := filepath.Join(f.dir, "tfplan")
	if err := plans.WritePlanFile(path, p); err != nil {
		t.Fatal(err)
	}
	if got, d := OpenSavedPlan(path, f.dir, nil); d.HasErrors() || got.ConfigHash != p.ConfigHash {
		t.Fatalf("open of a plan of these files: %v", d)
	}
	tests := []struct {
		name     string
		path     string
		planning []string
		edit     bool
		want     string
	}{
		{name: "a planning option", path: path, planning: []string{"-target"}, want: "Options not allowed with a saved plan"},
		{name: "not a plan", path: filepath.Join(f.dir, "main.berth.hcl"), want: "Cannot read the saved plan"},
		{name: "edited configuration", path: path, edit: true, want: "Saved plan does not match the configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.edit {
				f.write(`
resource "test_object" "a" {
  name = "b"
}
`)
			}
			got, d := OpenSavedPlan(tt.path, f.dir, tt.planning)
			if got != nil || !d.HasErrors() || !strings.Contains(d.Error(), tt.want) {
				t.Errorf("OpenSavedPlan = %v, %v; want %q", got, d, tt.want)
			}
		})
	}
}
