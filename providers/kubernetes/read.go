package kubernetes

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
)

// ReadResources refreshes apps, scaling policies and manifests. Apps are
// read with one list per kind and cluster (not one request per object),
// and the listing is kept for the plans that follow.
func (p *Provider) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	resp := providers.ReadResourcesResponse{Results: make([]providers.ReadResult, len(req.Objects))}
	listings := map[kube.Target]*listing{}
	listErrs := map[kube.Target]error{}
	// One attempt per cluster: an unreachable one fails every object of
	// it at once, not after one connection timeout each.
	listingOf := func(t kube.Target) (*kube.Cluster, *listing, error) {
		if err := listErrs[t]; err != nil {
			return nil, nil, err
		}
		c, err := p.cluster(ctx, t)
		if err != nil {
			listErrs[t] = err
			return nil, nil, err
		}
		if ls, ok := listings[t]; ok {
			return c, ls, nil
		}
		ls, err := list(ctx, c, managedSelector)
		listings[t], listErrs[t] = ls, err
		if err == nil {
			p.storeListing(t, ls)
		}
		return c, ls, err
	}
	for i, o := range req.Objects {
		r := providers.ReadResult{ID: o.ID, NewState: o.State, Private: o.Private}
		switch o.TypeName {
		case TypeApp:
			r = p.readApp(o, listingOf)
		case TypeScalingPolicy:
			r = p.readScaling(ctx, o, listingOf)
		case TypeManifest:
			r = p.readManifest(ctx, o)
		default:
			r.Diagnostics = hcl.Diagnostics{unknownType(o.TypeName)}
		}
		resp.Results[i] = r
	}
	return resp
}

// readApp is an app as it exists: gone when none of its objects is left,
// else its recorded state with its pods as instances. Pods of a
// Deployment changed outside berth, or of an app whose Service or pull
// Secret was, are "modified": the next plan repairs them.
func (p *Provider) readApp(o providers.ReadObject, listingOf func(kube.Target) (*kube.Cluster, *listing, error)) providers.ReadResult {
	r := providers.ReadResult{ID: o.ID, NewState: o.State, Private: o.Private}
	prior, _ := o.State.UnmarkDeep()
	a, err := decodeApp(prior)
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Invalid app in the state", err)}
		return r
	}
	c, ls, err := listingOf(a.Target)
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Cannot refresh the app", err)}
		return r
	}
	l := ls.of(a.Object)
	if !l.exists() {
		r.Gone, r.NewState = true, cty.NullVal(o.State.Type())
		return r
	}
	current := a.deploymentName(a.Hash)
	revisions := map[string]string{current: a.Hash}
	if !a.renders() {
		revisions = nil // imported: berth's fields of it are what ran, not the configuration
	}
	drifted, shared, err := appDrift(a, c.Namespace(), l, revisions)
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Cannot compare the app's objects", fmt.Errorf("%s: %w", a.Name, err))}
		return r
	}
	pods := make([]pod, len(l.Pods))
	for i, pd := range l.Pods {
		if shared || (pd.ConfigHash == a.Hash && drifted[current]) {
			pd.Status = statusModified
		}
		pods[i] = pd
	}
	ins := assignment{App: a.Name, Ports: a.Spec.Ports, Prior: app.DecodeInstances(prior)}.instances(pods)
	r.NewState = app.WithInstances(o.State, ins)
	return r
}
