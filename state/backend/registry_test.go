package backend

import (
	"slices"
	"testing"

	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

func TestRegistry(t *testing.T) {
	// The registry is global: start empty and leave it as found.
	saved := registered
	registered = map[string]Spec{}
	t.Cleanup(func() { registered = saved })

	if _, ok := Default(); ok {
		t.Error("a default backend before any registered")
	}
	schema := &providers.Block{}
	var opened string
	open := func(config cty.Value, dir string) (Workspaces, error) { opened = dir; return nil, nil }
	Register(Spec{Name: "zz-test", Schema: schema, New: open})
	Register(Spec{Name: "aa-test", Schema: schema, New: open, Default: true})

	s, ok := Lookup("zz-test")
	if !ok || s.Schema != schema {
		t.Fatalf("Lookup(zz-test) = %+v, %v", s, ok)
	}
	s.New(cty.EmptyObjectVal, "/work")
	if opened != "/work" {
		t.Errorf("New was not the registered constructor")
	}
	if _, ok := Lookup("s3"); ok {
		t.Error("found a backend that was never registered")
	}
	opened = ""
	if _, err := Open("zz-test", cty.EmptyObjectVal, "/conf"); err != nil || opened != "/conf" {
		t.Errorf("Open(zz-test) = %v, opened in %q", err, opened)
	}
	if _, err := Open("s3", cty.EmptyObjectVal, "/conf"); err == nil || err.Error() != `"s3" is not a backend of this build of berth` {
		t.Errorf("Open(s3) = %v", err)
	}
	if names := Names(); !slices.Equal(names, []string{"aa-test", "zz-test"}) {
		t.Errorf("Names() = %v", names)
	}
	if d, ok := Default(); !ok || d.Name != "aa-test" {
		t.Errorf("Default() = %q, %v", d.Name, ok)
	}

	for _, tt := range []struct {
		what string
		s    Spec
	}{
		{"a taken name", Spec{Name: "zz-test", Schema: schema, New: open}},
		{"an empty name", Spec{Schema: schema, New: open}},
		{"no New", Spec{Name: "nil-new", Schema: schema}},
		{"no schema", Spec{Name: "nil-schema", New: open}},
		{"a second default", Spec{Name: "other", Schema: schema, New: open, Default: true}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register with %s did not panic", tt.what)
				}
			}()
			Register(tt.s)
		}()
	}
}
