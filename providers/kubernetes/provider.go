// Package kubernetes is berth's Kubernetes provider: a cluster is reached
// through a kubeconfig (or the pod's service account); each app becomes a
// Deployment per revision of its pod template, a Service for its named
// ports and a pull Secret for its registry, all applied with server-side
// apply as field manager "berth"; a scaling_policy becomes a
// HorizontalPodAutoscaler; kubernetes_manifest applies any other object.
//
// Rollouts move replica counts between the Deployments of the old and
// the new revision one wave at a time, driven by core's rollout driver;
// docs/kubernetes.md records the decisions. The API access is package
// kube, the objects package manifest.
package kubernetes

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/platform/registry"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// Resource types of the provider.
const (
	TypeApp           = "app"
	TypeScalingPolicy = "scaling_policy"
	TypeManifest      = "manifest" // resource "kubernetes_manifest"
)

// Provider is the Kubernetes provider. It needs no configuration: each
// app's value carries its cluster. Connections are opened on first use
// and cached per target for the life of the plugin process.
type Provider struct {
	mu       sync.Mutex
	clusters map[kube.Target]*clusterEntry

	// listings caches, per cluster, what refresh listed of berth's objects
	// (one list per kind), for the plans that follow; any apply drops it.
	listMu   sync.Mutex
	listings map[kube.Target]*listing

	stop providers.Stopper

	// images resolves each image reference once per process: 200 apps
	// of one image cost one registry round trip per plan.
	images registry.Resolutions
}

type clusterEntry struct {
	once sync.Once
	c    *kube.Cluster
	err  error
}

// New returns a provider.
func New() *Provider {
	return &Provider{clusters: map[kube.Target]*clusterEntry{}, listings: map[kube.Target]*listing{}}
}

// cluster connects to t, once per process; a failed connection is not
// kept, so the next call tries again.
func (p *Provider) cluster(ctx context.Context, t kube.Target) (*kube.Cluster, error) {
	p.mu.Lock()
	e := p.clusters[t]
	if e == nil {
		e = &clusterEntry{}
		p.clusters[t] = e
	}
	p.mu.Unlock()
	e.once.Do(func() { e.c, e.err = kube.Connect(ctx, t) })
	if e.err != nil {
		p.mu.Lock()
		if p.clusters[t] == e {
			delete(p.clusters, t)
		}
		p.mu.Unlock()
	}
	return e.c, e.err
}

// GetSchema lists app, scaling_policy and kubernetes_manifest. The first
// two are the language's domain blocks (declared empty: the provider works
// with the values the engine sends); kubernetes_manifest is the
// provider's own.
func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	empty := func() *providers.Block {
		return &providers.Block{Attributes: map[string]*providers.Attribute{}, BlockTypes: map[string]*providers.NestedBlock{}}
	}
	return providers.GetSchemaResponse{
		Provider: providers.Schema{Block: empty()},
		ResourceTypes: map[string]providers.Schema{
			TypeApp:           {Version: 1, Block: empty(), LookupByKey: true},
			TypeScalingPolicy: {Version: 1, Block: empty()},
			TypeManifest:      {Version: 1, Block: manifestSchema()},
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

// ValidateResourceConfig checks what Kubernetes cannot take.
func (p *Provider) ValidateResourceConfig(_ context.Context, req providers.ValidateResourceConfigRequest) providers.ValidateResponse {
	switch req.TypeName {
	case TypeApp:
		return providers.ValidateResponse{Diagnostics: validateApp(req.Config)}
	case TypeScalingPolicy:
		return providers.ValidateResponse{Diagnostics: manifest.CheckScalingPolicy(req.Config)}
	case TypeManifest:
		return providers.ValidateResponse{Diagnostics: validateManifest(req.Config)}
	}
	return providers.ValidateResponse{Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
}

func unknownType(t string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown resource type",
		Detail: fmt.Sprintf("The kubernetes provider has no resource type %q (it has app, scaling_policy and kubernetes_manifest).", t)}
}

// ReadDataSource: the provider has no data sources.
func (p *Provider) ReadDataSource(_ context.Context, req providers.ReadDataSourceRequest) providers.ReadDataSourceResponse {
	return providers.NoDataSource("kubernetes", req.TypeName)
}

// Stop cancels the work in flight: calls return promptly with the state
// that exists. Later calls run normally.
func (p *Provider) Stop(context.Context) error {
	p.stop.Stop()
	return nil
}

// Close forgets the connections (client-go's transports need no closing).
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.clusters)
	return nil
}
