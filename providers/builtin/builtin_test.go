package builtin

import (
	"slices"
	"testing"

	"github.com/berth-sh/berth/platform"
	"github.com/berth-sh/berth/providers"
)

func TestRegistry(t *testing.T) {
	// The registry is global: start empty and leave it as found.
	saved := registered
	registered = map[string]Provider{}
	t.Cleanup(func() { registered = saved })

	var made int
	Register(Provider{Name: "zz-test", New: func() providers.Interface { made++; return nil },
		Platform: &platform.Platform{Kind: "zz"}})
	Register(Provider{Name: "aa-test", New: func() providers.Interface { return nil }, DefaultFor: []string{"load_balancer"}})

	p, ok := Lookup("zz-test")
	if !ok {
		t.Fatal("zz-test not found")
	}
	p.New()
	if made != 1 {
		t.Errorf("New called %d times, want 1", made)
	}
	if _, ok := Lookup("missing"); ok {
		t.Error("found a provider that was never registered")
	}
	names := Names()
	if !slices.IsSorted(names) || !slices.Contains(names, "aa-test") || !slices.Contains(names, "zz-test") {
		t.Errorf("Names() = %v", names)
	}
	if pl, name, ok := Platform("zz"); !ok || name != "zz-test" || pl.Kind != "zz" {
		t.Errorf("Platform(zz) = %v, %q, %v", pl, name, ok)
	}
	if _, _, ok := Platform("kubernetes"); ok {
		t.Error("found a platform that was never registered")
	}
	if got := Platforms(); len(got) != 1 || got[0].Kind != "zz" {
		t.Errorf("Platforms() = %v", got)
	}
	if name, ok := DefaultFor("load_balancer"); !ok || name != "aa-test" {
		t.Errorf("DefaultFor(load_balancer) = %q, %v", name, ok)
	}

	nop := func() providers.Interface { return nil }
	for _, tt := range []struct {
		what string
		p    Provider
	}{
		{"a taken name", Provider{Name: "zz-test", New: nop}},
		{"an empty name", Provider{Name: "", New: nop}},
		{"no New", Provider{Name: "nil-new"}},
		{"a taken cluster kind", Provider{Name: "other", New: nop, Platform: &platform.Platform{Kind: "zz"}}},
		{"a taken default", Provider{Name: "other", New: nop, DefaultFor: []string{"load_balancer"}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register with %s did not panic", tt.what)
				}
			}()
			Register(tt.p)
		}()
	}
}
