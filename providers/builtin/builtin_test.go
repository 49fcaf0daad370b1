package builtin

import (
	"slices"
	"testing"

	"github.com/berth-sh/berth/providers"
)

func TestRegistry(t *testing.T) {
	// The registry is global: start empty and leave it as found.
	saved := factories
	factories = map[string]Factory{}
	t.Cleanup(func() { factories = saved })

	var made int
	Register("zz-test", func() providers.Interface { made++; return nil })
	Register("aa-test", func() providers.Interface { return nil })

	f, ok := Lookup("zz-test")
	if !ok {
		t.Fatal("zz-test not found")
	}
	f()
	if made != 1 {
		t.Errorf("factory called %d times, want 1", made)
	}
	if _, ok := Lookup("missing"); ok {
		t.Error("found a provider that was never registered")
	}
	names := Names()
	if !slices.IsSorted(names) || !slices.Contains(names, "aa-test") || !slices.Contains(names, "zz-test") {
		t.Errorf("Names() = %v", names)
	}

	for _, tt := range []struct {
		name    string
		factory Factory
	}{
		{"zz-test", func() providers.Interface { return nil }},
		{"", func() providers.Interface { return nil }},
		{"nil-factory", nil},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", tt.name)
				}
			}()
			Register(tt.name, tt.factory)
		}()
	}
}
