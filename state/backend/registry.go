package backend

import (
	"fmt"
	"sort"
	"sync"

	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

// Spec is a backend as it registers itself.
type Spec struct {
	// Name is the backend's label in configuration: backend "local" {}.
	Name string
	// Schema is the schema of the backend block's body. Attributes may
	// have defaults (providers.Attribute.Default), which the language
	// applies when it decodes the block.
	Schema *providers.Block
	// Default says this is the backend of a configuration that names
	// none. At most one backend is.
	Default bool
	// New opens the backend configured with config, the block's body
	// decoded with Schema: the states of every workspace. Relative paths
	// in the configuration are relative to dir, the configuration's
	// directory.
	New func(config cty.Value, dir string) (Workspaces, error)
}

var (
	mu         sync.RWMutex
	registered = map[string]Spec{}
)

// Register adds a backend. It panics when the name is taken or a second
// backend claims to be the default, since either is a build mistake.
func Register(s Spec) {
	mu.Lock()
	defer mu.Unlock()
	if s.Name == "" || s.New == nil || s.Schema == nil {
		panic("backend.Register: empty name, nil New or nil Schema")
	}
	if _, dup := registered[s.Name]; dup {
		panic(fmt.Sprintf("backend.Register: backend %q registered twice", s.Name))
	}
	for _, o := range registered {
		if s.Default && o.Default {
			panic(fmt.Sprintf("backend.Register: %q and %q both the default backend", o.Name, s.Name))
		}
	}
	registered[s.Name] = s
}

// Lookup returns the backend called name.
func Lookup(name string) (Spec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := registered[name]
	return s, ok
}

// Names lists the registered backends, sorted.
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

// Default returns the backend of a configuration that names none.
func Default() (Spec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	for _, s := range registered {
		if s.Default {
			return s, true
		}
	}
	return Spec{}, false
}

// Open opens the backend called name with config, the backend block's
// body decoded with the backend's Schema; dir is the configuration's
// directory.
func Open(name string, config cty.Value, dir string) (Workspaces, error) {
	s, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%q is not a backend of this build of berth", name)
	}
	return s.New(config, dir)
}
