// Package builtin is the one list of the providers compiled into the berth
// binary. Each registers itself from an init function in its own package
// (the Caddy module pattern), which the berth binary imports (see
// providers/builtin/all); berth serves one of them when it is re-executed
// in provider mode (see plugin.BuiltinSpec), so a built-in provider runs
// out of process like any other.
//
// Everything that needs to know the built-ins asks this list: the language
// (which cluster kinds exist, which provider serves an app or a load
// balancer), the installer (which provider sources are built in) and the
// CLI.
package builtin

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/berth-sh/berth/platform"
	"github.com/berth-sh/berth/providers"
)

// Provider is a built-in provider as it registers itself.
type Provider struct {
	// Name is the provider's name in configuration and sources ("docker").
	Name string
	// New makes a fresh, unconfigured provider.
	New func() providers.Interface
	// Platform is the kind of cluster whose apps (and scaling policies)
	// this provider deploys, for a platform provider; nil otherwise.
	Platform *platform.Platform
	// DefaultFor lists the domain block kinds ("load_balancer") whose
	// provider this one is when a block names none.
	DefaultFor []string
}

var (
	mu         sync.RWMutex
	registered = map[string]Provider{}
)

// Register adds a built-in provider. It panics when the name, the
// platform's kind or a DefaultFor kind is taken, since two of them is a
// build mistake.
func Register(p Provider) {
	mu.Lock()
	defer mu.Unlock()
	if p.Name == "" || p.New == nil {
		panic("builtin.Register: empty name or nil New")
	}
	if _, dup := registered[p.Name]; dup {
		panic(fmt.Sprintf("builtin.Register: provider %q registered twice", p.Name))
	}
	for _, o := range registered {
		if p.Platform != nil && o.Platform != nil && p.Platform.Kind == o.Platform.Kind {
			panic(fmt.Sprintf("builtin.Register: cluster kind %q registered by %q and %q", p.Platform.Kind, o.Name, p.Name))
		}
		for _, k := range p.DefaultFor {
			if slices.Contains(o.DefaultFor, k) {
				panic(fmt.Sprintf("builtin.Register: %q and %q both the default provider of %s blocks", o.Name, p.Name, k))
			}
		}
	}
	registered[p.Name] = p
}

// Lookup returns the built-in provider name.
func Lookup(name string) (Provider, bool) {
	mu.RLock()
	defer mu.RUnlock()
	p, ok := registered[name]
	return p, ok
}

// Names lists the built-in providers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(registered))
	for n := range registered {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Platform returns the platform of cluster kind kind and the name of the
// provider that serves its apps.
func Platform(kind string) (*platform.Platform, string, bool) {
	mu.RLock()
	defer mu.RUnlock()
	for _, p := range registered {
		if p.Platform != nil && p.Platform.Kind == kind {
			return p.Platform, p.Name, true
		}
	}
	return nil, "", false
}

// Platforms lists the registered platforms, sorted by kind.
func Platforms() []*platform.Platform {
	mu.RLock()
	defer mu.RUnlock()
	var out []*platform.Platform
	for _, p := range registered {
		if p.Platform != nil {
			out = append(out, p.Platform)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// DefaultFor returns the provider of blocks of kind blockKind that name
// none ("load_balancer").
func DefaultFor(blockKind string) (string, bool) {
	mu.RLock()
	defer mu.RUnlock()
	for _, p := range registered {
		if slices.Contains(p.DefaultFor, blockKind) {
			return p.Name, true
		}
	}
	return "", false
}
