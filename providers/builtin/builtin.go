// Package builtin is the registry of the providers compiled into the berth
// binary (docker, kubernetes, aws). Each registers itself by name from an
// init function in its own package, which cmd/berth imports; berth serves
// one of them when it is re-executed in provider mode (see
// plugin.BuiltinSpec), so a built-in provider runs out of process like any
// other.
package builtin

import (
	"fmt"
	"sort"
	"sync"

	"github.com/berth-sh/berth/providers"
)

// Factory makes a fresh, unconfigured provider.
type Factory func() providers.Interface

var (
	mu        sync.RWMutex
	factories = map[string]Factory{}
)

// Register makes a built-in provider available under name. It panics if
// the name is taken, since two providers of one name is a build mistake.
func Register(name string, factory Factory) {
	mu.Lock()
	defer mu.Unlock()
	if name == "" || factory == nil {
		panic("builtin.Register: empty name or nil factory")
	}
	if _, dup := factories[name]; dup {
		panic(fmt.Sprintf("builtin.Register: provider %q registered twice", name))
	}
	factories[name] = factory
}

// Lookup returns the factory of the built-in provider name.
func Lookup(name string) (Factory, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := factories[name]
	return f, ok
}

// Names lists the built-in providers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
