package docker

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// LookupResources finds apps whose create berth was killed during, before
// it could record them, by the idempotency key that create put on every
// container it made (engine.LabelCreateKey). Each app is looked for on the
// hosts of the cluster its planned state names; as ReadResources, the
// batch lists every endpoint ONCE (berth's containers only) and matches
// the key in memory.
//
// A found app's state is what apply would have returned: the planned
// state, with the deployment id its containers carry and "instances" as
// they exist. berth never saw those containers pass readiness, so they
// read as not_ready (see unvouched) and the next plan replaces them: an
// adopted app is complete and verified after one more apply, and nothing
// of it is left behind or started twice.
//
// A host that cannot be listed is an error on the object, never "not
// found": the create may have made containers there.
func (p *Provider) LookupResources(ctx context.Context, req providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	results := make([]providers.LookupResult, len(req.Objects))
	apps := make([]*deployment, len(req.Objects))
	endpoints := map[string]engine.HostConfig{}
	for i, o := range req.Objects {
		results[i] = o.NotFound()
		switch o.TypeName {
		case TypeScalingPolicy:
			// It exists only in berth's state: an unrecorded create made
			// nothing.
			continue
		case TypeApp:
		default:
			results[i].Diagnostics = hcl.Diagnostics{unknownType(o.TypeName)}
			continue
		}
		a, err := lookupTarget(o)
		if err != nil {
			results[i].Diagnostics = hcl.Diagnostics{errDiag("Cannot look up the app", err)}
			continue
		}
		apps[i] = a
		for _, h := range a.Cluster.Hosts {
			if _, ok := endpoints[h.Endpoint]; !ok {
				endpoints[h.Endpoint] = h
			}
		}
	}

	lists := p.listEndpoints(ctx, endpoints)
	for i, a := range apps {
		if a == nil {
			continue
		}
		o := req.Objects[i]
		ls, errs := collect(lists, a.Cluster.Hosts, func(c engine.Container) bool { return c.Labels.CreateKey == o.IdempotencyKey })
		var diags hcl.Diagnostics
		for j, err := range errs {
			if err != nil {
				diags = append(diags, errDiag("Cannot look up app "+a.Name,
					fmt.Errorf("host %q cannot be listed, so berth cannot tell whether the interrupted create made containers there: %w", a.Cluster.Hosts[j].Name, err)))
			}
		}
		if diags.HasErrors() {
			results[i].Diagnostics = diags
			continue
		}
		if len(ls) == 0 {
			continue
		}
		ids := map[string]bool{}
		for _, c := range ls {
			ids[c.Labels.ID] = true
		}
		if len(ids) > 1 {
			// One create picks one deployment id: containers of several
			// under one key are not berth's doing, and adopting either
			// would leave the other behind.
			results[i].Diagnostics = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot look up app " + a.Name,
				Detail: fmt.Sprintf("Containers of several deployments (%s) carry the create key %s=%s; berth adopts none of them. Remove those that are not this app's, or import the right one with berth import.",
					strings.Join(slices.Sorted(maps.Keys(ids)), ", "), engine.LabelCreateKey, o.IdempotencyKey)}}
			continue
		}
		slices.SortFunc(ls, func(x, y live) int { return strings.Compare(x.Name, y.Name) })
		ins := instancesOf(ls, a.Spec.Ports, unvouched(ls, nil))
		results[i].Found = true
		results[i].State = withDeployment(o.Planned, ls[0].Labels.ID, ins)
	}
	return providers.LookupResourcesResponse{Results: results}
}

// lookupTarget decodes the app an object to look up names: the key, and
// the cluster from its planned state.
func lookupTarget(o providers.LookupObject) (*deployment, error) {
	if o.IdempotencyKey == "" {
		return nil, fmt.Errorf("no idempotency key to look %s up by", o.ID)
	}
	if o.Planned == cty.NilVal || o.Planned.IsNull() || !o.Planned.IsKnown() {
		return nil, fmt.Errorf("no planned state for %s: the docker provider finds an app on the hosts of the cluster its planned state names", o.ID)
	}
	return decodeApp(o.Planned)
}

// withDeployment is top (a planned or prior app value) with deployment id
// id and instances ins: an app's state as it exists.
func withDeployment(top cty.Value, id string, ins []app.Instance) cty.Value {
	st := app.WithInstances(top, ins)
	if top.IsNull() || id == "" {
		return st
	}
	u, pvm := st.UnmarkDeepWithPaths()
	return app.WithAttrs(u, map[string]cty.Value{"deployment_id": cty.StringVal(id)}).MarkWithPaths(pvm)
}
