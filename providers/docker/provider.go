// Package docker is berth's Docker-hosts provider: a cluster is a set of
// Docker Engine endpoints; berth places each app's replicas on them
// (package scheduler), labels the containers as berth's, resolves images to
// digests through the registry's HTTP API, and probes readiness from the
// berth process.
//
// The Engine API client is package engine and the registry client package
// registry; this package decodes an app, plans it and applies the plan.
// docs/docker.md records the decisions.
package docker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// Provider is the Docker-hosts provider: the providers.Interface that the
// plugin process serves. It needs no configuration: each app's Config
// carries its cluster (the hosts) and its registry's credentials.
// Connections to engines are opened on first use and cached per endpoint.
type Provider struct {
	mu    sync.Mutex
	hosts map[string]*hostEntry
	// pulls serialises pulls of one image on one host.
	pulls map[string]*sync.Mutex

	// listings caches each endpoint's listing of berth's containers,
	// taken by refresh or a plan, for the plans that follow: one list call
	// per host for a whole plan, not one per app. Any apply invalidates it.
	listings map[string]cachedListing
	listGen  uint64

	stop providers.Stopper

	// placeMu serialises placements, and reserved holds what the apps
	// placed by this process (one berth command) will request on each host:
	// apps planned in the same run count each other's instances, not only
	// the containers that already run.
	placeMu  sync.Mutex
	reserved map[string]reservation

	// CreateParallelism bounds the containers created and started at once
	// by one apply call (probing is not bounded: it is waiting).
	CreateParallelism int
	// observeProbe, when set, sees how long each instance waited on its
	// probes (readiness and min_healthy); the benchmark uses it.
	observeProbe func(instance string, d time.Duration)
}

type hostEntry struct {
	once sync.Once
	host *engine.Host
	info engine.HostInfo
	err  error
}

// New returns an unconfigured provider.
func New() *Provider {
	return &Provider{hosts: map[string]*hostEntry{}, listings: map[string]cachedListing{}, pulls: map[string]*sync.Mutex{},
		CreateParallelism: 8, reserved: map[string]reservation{}}
}

// GetSchema lists app and scaling_policy. Their schemas are berth's
// language's (they are domain blocks, the same on every platform: see
// docs/providers.md), so the provider declares them empty and works with
// the values the engine sends, of the language's types. Both are looked
// up by key (LookupResources): an app by its create's key on its
// containers; a scaling_policy exists only in the state, so an unrecorded
// create of one made nothing.
func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	empty := func() *providers.Block {
		return &providers.Block{Attributes: map[string]*providers.Attribute{}, BlockTypes: map[string]*providers.NestedBlock{}}
	}
	return providers.GetSchemaResponse{
		Provider: providers.Schema{Block: empty()},
		ResourceTypes: map[string]providers.Schema{
			TypeApp:           {Version: 1, Block: empty(), LookupByKey: true},
			TypeScalingPolicy: {Version: 1, Block: empty(), LookupByKey: true},
		},
		DataSources: map[string]providers.Schema{},
	}
}

// ValidateProviderConfig accepts an empty configuration.
func (p *Provider) ValidateProviderConfig(context.Context, providers.ValidateProviderConfigRequest) providers.ValidateResponse {
	return providers.ValidateResponse{}
}

// ConfigureProvider has nothing to configure.
func (p *Provider) ConfigureProvider(context.Context, providers.ConfigureProviderRequest) providers.ConfigureProviderResponse {
	return providers.ConfigureProviderResponse{}
}

// ValidateResourceConfig checks the rules that depend on the platform:
// what Docker hosts cannot do. Unknown values are skipped.
func (p *Provider) ValidateResourceConfig(_ context.Context, req providers.ValidateResourceConfigRequest) providers.ValidateResponse {
	if req.TypeName == TypeScalingPolicy {
		return providers.ValidateResponse{}
	}
	if req.TypeName != TypeApp {
		return providers.ValidateResponse{Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
	}
	return providers.ValidateResponse{Diagnostics: validateApp(req.Config)}
}

func attr(v cty.Value, name string) cty.Value {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

func errDiag(summary string, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: err.Error()}
}

func unknownType(t string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown resource type",
		Detail: fmt.Sprintf("The docker provider has no resource type %q (it has app and scaling_policy).", t)}
}

// ReadDataSource: the provider has no data sources.
func (p *Provider) ReadDataSource(_ context.Context, req providers.ReadDataSourceRequest) providers.ReadDataSourceResponse {
	return providers.NoDataSource("docker", req.TypeName)
}

// Stop cancels the work in flight: calls return promptly with the state
// that exists. Later calls run normally.
func (p *Provider) Stop(context.Context) error {
	p.stop.Stop()
	return nil
}

// Close closes the engine connections.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for k, e := range p.hosts {
		if e.host != nil {
			errs = append(errs, e.host.Close())
		}
		delete(p.hosts, k)
	}
	return errors.Join(errs...)
}

// host returns the connection to cfg's engine and its info, connecting on
// first use. The returned Host carries cfg (name and labels as this
// cluster knows them) and shares the cached connection.
func (p *Provider) host(ctx context.Context, cfg engine.HostConfig) (*engine.Host, engine.HostInfo, error) {
	key := cfg.Endpoint
	if cfg.TLS != nil {
		key += "|" + cfg.TLS.CAFile + "|" + cfg.TLS.CertFile + "|" + cfg.TLS.KeyFile
	}
	p.mu.Lock()
	e := p.hosts[key]
	if e == nil {
		e = &hostEntry{}
		p.hosts[key] = e
	}
	p.mu.Unlock()
	e.once.Do(func() {
		h, err := engine.Connect(ctx, cfg)
		if err == nil {
			e.info, err = h.Info(ctx)
			if err != nil {
				_ = h.Close()
			}
		}
		e.host, e.err = h, err
	})
	if e.err != nil {
		// A failed connection is not cached: the next call tries again.
		p.mu.Lock()
		if p.hosts[key] == e {
			delete(p.hosts, key)
		}
		p.mu.Unlock()
		return nil, engine.HostInfo{}, e.err
	}
	h := *e.host
	h.Config = cfg
	return &h, e.info, nil
}

// clusterHosts connects to every host of a cluster, concurrently; the
// error joins every host that failed.
func (p *Provider) clusterHosts(ctx context.Context, c cluster) ([]*engine.Host, []engine.HostInfo, error) {
	cfgs := c.Hosts
	hosts := make([]*engine.Host, len(cfgs))
	infos := make([]engine.HostInfo, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Go(func() { hosts[i], infos[i], errs[i] = p.host(ctx, cfg) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return hosts, infos, nil
}

type cachedListing struct {
	cs  []engine.Container
	at  time.Time
	gen uint64
}

// listingTTL bounds how long a listing serves plans.
const listingTTL = time.Minute

// listHost lists berth's containers on h (all deployments), reusing the
// listing refresh or another plan took moments ago when no apply has run
// since in this process.
func (p *Provider) listHost(ctx context.Context, h *engine.Host) ([]engine.Container, error) {
	key := h.Config.Endpoint
	p.mu.Lock()
	c, ok := p.listings[key]
	gen := p.listGen
	p.mu.Unlock()
	if ok && c.gen == gen && time.Since(c.at) < listingTTL {
		return c.cs, nil
	}
	cs, err := h.ListManaged(ctx, "")
	if err != nil {
		return nil, err
	}
	p.storeListing(key, cs, gen)
	return cs, nil
}

// storeListing caches a listing taken at generation gen, unless an apply
// began since.
func (p *Provider) storeListing(endpoint string, cs []engine.Container, gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen == p.listGen {
		p.listings[endpoint] = cachedListing{cs: cs, at: time.Now(), gen: gen}
	}
}

// invalidateListings forgets every cached listing: containers change.
func (p *Provider) invalidateListings() {
	p.mu.Lock()
	p.listGen++
	clear(p.listings)
	p.mu.Unlock()
}

// pullLock serialises pulls of image on one engine.
func (p *Provider) pullLock(endpoint, image string) *sync.Mutex {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := endpoint + "|" + image
	m := p.pulls[k]
	if m == nil {
		m = &sync.Mutex{}
		p.pulls[k] = m
	}
	return m
}
