package docker

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// ReadResources refreshes a batch of objects with ONE label-filtered list
// call per Docker host, whatever the number of apps on it: the objects'
// clusters are grouped by endpoint, every endpoint is listed once
// (berth's containers only), and the containers are mapped back to apps
// by their deployment id and app labels.
//
// An app always still exists: with its containers gone it reads with
// empty (or fewer) instances, and the plan re-creates them. Drift shows as
// a change of "instances": a missing container (entry gone), a stopped
// one (status), one running another image (image_digest) or failing its
// liveness (status "unhealthy").
func (p *Provider) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	ctx, cancel := p.opCtx(ctx)
	defer cancel()
	results := make([]providers.ReadResult, len(req.Objects))

	// Which endpoints to list, and the cluster of each app.
	type appRef struct {
		id, name string
		hosts    []engine.HostConfig
		ports    []app.Port
		retired  int // the last hosts are retired ones (removed from the cluster)
	}
	refs := make([]*appRef, len(req.Objects))
	endpoints := map[string]engine.HostConfig{}
	for i, o := range req.Objects {
		results[i] = providers.ReadResult{ID: o.ID, NewState: o.State, Private: o.Private}
		if o.TypeName != TypeApp || o.State.IsNull() || !o.State.IsKnown() {
			continue
		}
		a, err := decodeApp(o.State)
		if err != nil {
			results[i].Diagnostics = hcl.Diagnostics{errDiag("Cannot read the app's state", err)}
			continue
		}
		// Hosts removed from the cluster that still held containers of
		// the app at the last apply are listed too.
		retired := decodePrivate(o.Private).Retired
		r := &appRef{id: a.ID, name: a.Name, hosts: append(slices.Clone(a.Cluster.Hosts), retired...), ports: a.Spec.Ports, retired: len(retired)}
		refs[i] = r
		for _, h := range r.hosts {
			if _, ok := endpoints[h.Endpoint]; !ok {
				endpoints[h.Endpoint] = h
			}
		}
	}

	type listing struct {
		cs   []engine.Container
		addr netip.Addr
		err  error
	}
	lists := map[string]*listing{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for ep, cfg := range endpoints {
		wg.Go(func() {
			l := &listing{}
			p.mu.Lock()
			gen := p.listGen
			p.mu.Unlock()
			h, _, err := p.host(ctx, cfg)
			if err == nil {
				l.addr = h.Address()
				if l.cs, l.err = h.ListManaged(ctx, ""); l.err == nil {
					p.storeListing(ep, l.cs, gen)
				}
			} else {
				l.err = err
			}
			mu.Lock()
			lists[ep] = l
			mu.Unlock()
		})
	}
	wg.Wait()

	for i, r := range refs {
		if r == nil {
			continue
		}
		var ls []live
		var diags hcl.Diagnostics
		for j, h := range r.hosts {
			l := lists[h.Endpoint]
			if l.err != nil {
				err := l.err
				if j >= len(r.hosts)-r.retired {
					err = fmt.Errorf("%w; %s", err, retiredHostHint(h, r.name, r.id))
				}
				diags = append(diags, errDiag("Cannot refresh app "+r.name, err))
				continue
			}
			for _, c := range l.cs {
				if c.Labels.ID == r.id && c.Labels.App == r.name {
					ls = append(ls, live{Container: c, Host: h.Name, Address: l.addr})
				}
			}
		}
		if diags.HasErrors() {
			// The state stays as recorded: an unreachable host is not drift.
			results[i].Diagnostics = diags
			continue
		}
		notReady := map[string]bool{}
		for _, in := range app.DecodeInstances(req.Objects[i].State) {
			if in.Status == statusNotReady {
				notReady[in.ID] = true
			}
		}
		results[i].NewState = withInstances(req.Objects[i].State, instancesOf(ls, r.ports, notReady))
	}
	return providers.ReadResourcesResponse{Results: results}
}

var _ providers.Interface = (*Provider)(nil)
