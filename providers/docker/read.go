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
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	results := make([]providers.ReadResult, len(req.Objects))

	// Which endpoints to list, and the cluster of each app.
	type appRef struct {
		id, name string
		hosts    []engine.HostConfig
		ports    []app.Port
		retired  int // the last hosts are outside the cluster (private.Retired)
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
		// Hosts outside the recorded cluster that held containers of the
		// app at the last apply are listed too: removed from the cluster,
		// or added by a rollout that has not completed.
		retired := decodePrivate(o.Private).Retired
		r := &appRef{id: a.ID, name: a.Name, hosts: append(slices.Clone(a.Cluster.Hosts), retired...), ports: a.Spec.Ports, retired: len(retired)}
		refs[i] = r
		for _, h := range r.hosts {
			if _, ok := endpoints[h.Endpoint]; !ok {
				endpoints[h.Endpoint] = h
			}
		}
	}

	lists := p.listEndpoints(ctx, endpoints)
	for i, r := range refs {
		if r == nil {
			continue
		}
		ls, errs := collect(lists, r.hosts, func(c engine.Container) bool { return c.Labels.ID == r.id && c.Labels.App == r.name })
		var diags hcl.Diagnostics
		for j, err := range errs {
			if err == nil {
				continue
			}
			if j >= len(r.hosts)-r.retired {
				err = fmt.Errorf("%w; %s", err, retiredHostHint(r.hosts[j], r.name, r.id))
			}
			diags = append(diags, errDiag("Cannot refresh app "+r.name, err))
		}
		if diags.HasErrors() {
			// The state stays as recorded: an unreachable host is not drift.
			results[i].Diagnostics = diags
			continue
		}
		recorded := app.DecodeInstances(req.Objects[i].State)
		results[i].NewState = app.WithInstances(req.Objects[i].State, instancesOf(ls, r.ports, unvouched(ls, recorded)))
	}
	return providers.ReadResourcesResponse{Results: results}
}

// hostListing is one endpoint's listing of berth's containers, and the
// address its published ports are reached at.
type hostListing struct {
	cs   []engine.Container
	addr netip.Addr
	err  error
}

// listEndpoints lists berth's containers (all deployments) ONCE on each
// endpoint, concurrently, and keeps each listing for the plans that
// follow (see listHost).
func (p *Provider) listEndpoints(ctx context.Context, endpoints map[string]engine.HostConfig) map[string]*hostListing {
	lists := map[string]*hostListing{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for ep, cfg := range endpoints {
		wg.Go(func() {
			l := &hostListing{}
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
	return lists
}

// collect picks the containers that match from the listings of hosts
// (listed by listEndpoints); errs[j] is why hosts[j] could not be listed.
func collect(lists map[string]*hostListing, hosts []engine.HostConfig, match func(engine.Container) bool) (ls []live, errs []error) {
	errs = make([]error, len(hosts))
	for j, h := range hosts {
		l := lists[h.Endpoint]
		if l.err != nil {
			errs[j] = l.err
			continue
		}
		for _, c := range l.cs {
			if match(c) {
				ls = append(ls, live{Container: c, Host: h.Name, Address: l.addr})
			}
		}
	}
	return ls, errs
}

// unvouched are the containers of ls whose readiness berth cannot vouch
// for: those recorded not_ready, and those not recorded at all: started by
// an apply that berth was killed during, before it could record them (or
// behind its back). A container's labels cannot say whether it ever
// passed readiness, so these read as not_ready, and the next plan
// replaces them rather than keep an instance that may never have been
// ready.
func unvouched(ls []live, recorded []app.Instance) map[string]bool {
	known, out := map[string]bool{}, map[string]bool{}
	for _, in := range recorded {
		known[in.ID] = true
		if in.Status == statusNotReady {
			out[in.ID] = true
		}
	}
	for _, c := range ls {
		if !known[c.ID] {
			out[c.ID] = true
		}
	}
	return out
}

var _ providers.Interface = (*Provider)(nil)
