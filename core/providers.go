package core

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/redact"
	"github.com/berth-sh/berth/version"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Launcher starts the plugin process of a provider. The CLI wires it to
// providers/install (third-party lookup and checksum verification) and
// providers/plugin (the go-plugin client); the engine only ever sees the
// resulting providers.Interface.
type Launcher interface {
	// Launch starts the provider known in the configuration by localName,
	// whose source is e.g. "acme/dns", or the name of a built-in provider.
	Launch(ctx context.Context, localName, source string) (providers.Interface, error)
}

// LauncherFunc adapts a function to Launcher.
type LauncherFunc func(ctx context.Context, localName, source string) (providers.Interface, error)

// Launch calls f.
func (f LauncherFunc) Launch(ctx context.Context, localName, source string) (providers.Interface, error) {
	return f(ctx, localName, source)
}

// providerSet starts each provider the walk needs once, on first use, and
// keeps it configured for the rest of the walk.
type providerSet struct {
	launcher Launcher
	cfg      *lang.Config
	// perProvider bounds the calls in flight to one provider (0: none).
	perProvider int

	mu      sync.Mutex
	entries map[string]*providerEntry
}

type providerEntry struct {
	name   string
	once   sync.Once
	p      providers.Interface
	schema providers.GetSchemaResponse
	diags  hcl.Diagnostics
	sem    chan struct{}
}

// newProviderSet makes the set of providers of one walk; the sensitive
// values of vars, the input variables, are secrets from then on (see
// registering).
func newProviderSet(l Launcher, cfg *lang.Config, perProvider int, vars map[string]cty.Value) *providerSet {
	addSecrets(vars)
	return &providerSet{launcher: l, cfg: cfg, perProvider: perProvider,
		entries: map[string]*providerEntry{}}
}

// source returns the source of the provider known as localName.
func (ps *providerSet) source(localName string) string {
	if ps.cfg != nil && ps.cfg.Berth != nil {
		if rp, ok := ps.cfg.Berth.RequiredProviders[localName]; ok {
			return rp.Source
		}
	}
	return localName
}

// configFunc evaluates a provider's configuration block against the
// provider's schema, which is only known once the provider has started.
type configFunc func(schema *providers.Block) (cty.Value, hcl.Diagnostics)

// get returns the started, configured provider known as name; the first
// caller's conf (nil: no provider block) configures it. Errors are
// remembered: every later caller gets the same diagnostics.
func (ps *providerSet) get(ctx context.Context, name string, conf configFunc) (*providerEntry, hcl.Diagnostics) {
	ps.mu.Lock()
	e, ok := ps.entries[name]
	if !ok {
		e = &providerEntry{name: name}
		if ps.perProvider > 0 {
			e.sem = make(chan struct{}, ps.perProvider)
		}
		ps.entries[name] = e
	}
	ps.mu.Unlock()
	e.once.Do(func() { e.diags = ps.start(ctx, e, conf) })
	if e.diags.HasErrors() {
		return nil, e.diags
	}
	return e, nil
}

func (ps *providerSet) start(ctx context.Context, e *providerEntry, confFn configFunc) hcl.Diagnostics {
	if ps.launcher == nil {
		return errDiag(fmt.Sprintf("Provider %s is not available", e.name), "No provider launcher was configured.", nil)
	}
	launched, err := ps.launcher.Launch(ctx, e.name, ps.source(e.name))
	if err != nil {
		// The error may quote what the provider printed.
		return errDiag(fmt.Sprintf("Failed to start provider %s", ps.source(e.name)), redact.String(err.Error()), nil)
	}
	p := registering{launched}
	ps.mu.Lock() // stopAll and closeAll read it under ps.mu
	e.p = p
	ps.mu.Unlock()
	e.schema = p.GetSchema(ctx)
	if e.schema.Diagnostics.HasErrors() {
		return e.schema.Diagnostics
	}
	var diags hcl.Diagnostics
	conf := emptyObjectOf(e.schema.Provider.Block)
	if confFn != nil {
		var d hcl.Diagnostics
		conf, d = confFn(e.schema.Provider.Block)
		diags = diags.Extend(d)
		if diags.HasErrors() {
			return diags
		}
	}
	v := p.ValidateProviderConfig(ctx, providers.ValidateProviderConfigRequest{Config: conf})
	diags = diags.Extend(redactDiags(v.Diagnostics))
	if diags.HasErrors() {
		return diags
	}
	c := p.ConfigureProvider(ctx, providers.ConfigureProviderRequest{BerthVersion: berthVersion(), Config: conf})
	return diags.Extend(redactDiags(c.Diagnostics))
}

// acquire takes a slot of the provider's own bound, if it has one.
func (e *providerEntry) acquire(ctx context.Context) error {
	if e.sem == nil {
		return nil
	}
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *providerEntry) release() {
	if e.sem != nil {
		<-e.sem
	}
}

// resourceSchema returns the provider's schema of a resource type, given
// the configuration's type name ("acmedns_record" → "record").
func (e *providerEntry) resourceSchema(mode string, typ string) (providers.Schema, string, bool) {
	name := providerTypeName(e.name, typ)
	m := e.schema.ResourceTypes
	if mode == lang.KindData {
		m = e.schema.DataSources
	}
	s, ok := m[name]
	return s, name, ok
}

// schemaOf returns the provider's schema of a resource's type.
func (e *providerEntry) schemaOf(r addrs.Resource) (providers.Schema, bool) {
	m := e.schema.ResourceTypes
	if r.Mode == addrs.Data {
		m = e.schema.DataSources
	}
	s, ok := m[providerTypeName(e.name, r.Type)]
	return s, ok
}

// blockOf returns the provider's schema block of a resource's type (nil
// when the provider has none), for marking sensitive attributes.
func (e *providerEntry) blockOf(r addrs.Resource) *providers.Block {
	s, _ := e.schemaOf(r)
	return s.Block
}

// providerTypeName maps a configuration type to the provider's own name of
// it: domain kinds are themselves, "<local>_<type>" is "<type>" (see
// docs/providers.md).
func providerTypeName(localName, typ string) string {
	if t, ok := strings.CutPrefix(typ, localName+"_"); ok {
		return t
	}
	return typ
}

// stopAll asks every started provider to stop in-flight work, all at
// once and outside the lock; it waits at most stopTimeout, so that a
// provider whose Stop hangs cannot hold up berth's shutdown.
func (ps *providerSet) stopAll(ctx context.Context) {
	ps.mu.Lock()
	var started []providers.Interface
	for _, e := range ps.entries {
		if e.p != nil {
			started = append(started, e.p)
		}
	}
	ps.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range started {
		wg.Go(func() { _ = p.Stop(ctx) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// stopTimeout bounds how long stopAll waits for providers' Stop calls.
const stopTimeout = 10 * time.Second

// closeAll ends every provider process.
func (ps *providerSet) closeAll() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, e := range ps.entries {
		if e.p != nil {
			_ = e.p.Close()
		}
	}
}

// emptyObjectOf returns the value of an empty block of the given schema
// (null attributes, no nested blocks): the configuration of a provider
// that has no provider block.
func emptyObjectOf(b *providers.Block) cty.Value {
	if b == nil {
		return cty.EmptyObjectVal
	}
	v, _ := lang.SchemaFromProvider(b).Decode(hcl.EmptyBody(), nil)
	return v
}

func errDiag(summary, detail string, subject *hcl.Range) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject}}
}

func berthVersion() string { return version.String() }

// bounds limits the provider calls in flight: Parallelism of them in all,
// and each provider's own bound (see providerEntry.acquire).
type bounds chan struct{}

func newBounds(n int) bounds { return make(bounds, n) }

// acquire takes a slot of the global bound and of the provider's own.
func (b bounds) acquire(ctx context.Context, entry *providerEntry) error {
	select {
	case b <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := entry.acquire(ctx); err != nil {
		<-b
		return err
	}
	return nil
}

// release gives back what acquire took.
func (b bounds) release(entry *providerEntry) {
	entry.release()
	<-b
}
