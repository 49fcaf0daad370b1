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

// LookupResources finds apps whose create berth never recorded, by the
// idempotency key the create put on its Deployment (annotationCreateKey):
// one listing per cluster for the whole batch. A found app's state is
// what apply would have returned: the planned state with its pods as
// instances, ready or not as Kubernetes says (its readiness probes are
// the cluster's own). A cluster that cannot be listed is an error on the
// object, never "not found". Scaling policies and manifests are not
// looked up: their creates are single idempotent applies, which the next
// apply repeats.
func (p *Provider) LookupResources(ctx context.Context, req providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	results := make([]providers.LookupResult, len(req.Objects))
	listings := map[kube.Target]*listing{}
	listErrs := map[kube.Target]error{}
	for i, o := range req.Objects {
		results[i] = o.NotFound()
		if o.TypeName != TypeApp {
			continue
		}
		if o.IdempotencyKey == "" || o.Planned == cty.NilVal || o.Planned.IsNull() || !o.Planned.IsKnown() {
			results[i].Diagnostics = hcl.Diagnostics{errDiag("Cannot look up the app", fmt.Errorf("no key or planned state to look %s up by", o.ID))}
			continue
		}
		a, err := decodeApp(o.Planned)
		if err != nil {
			results[i].Diagnostics = hcl.Diagnostics{errDiag("Cannot look up the app", err)}
			continue
		}
		ls, ok := listings[a.Target]
		if !ok {
			err := listErrs[a.Target]
			if err == nil {
				var c *kube.Cluster
				if c, err = p.cluster(ctx, a.Target); err == nil {
					ls, err = list(ctx, c, managedSelector)
				}
				listErrs[a.Target] = err
			}
			if err != nil {
				results[i].Diagnostics = hcl.Diagnostics{errDiag("Cannot look up app "+a.Name,
					fmt.Errorf("the cluster cannot be listed, so berth cannot tell whether the interrupted create made objects there: %w", err))}
				continue
			}
			listings[a.Target] = ls
		}
		l := ls.of(a.Object)
		found := false
		for _, d := range l.Deployments {
			found = found || d.GetAnnotations()[annotationCreateKey] == o.IdempotencyKey
		}
		if !found {
			continue
		}
		ins := assignment{App: a.Name, Ports: a.Spec.Ports}.instances(l.Pods)
		results[i].Found = true
		results[i].State = app.WithInstances(o.Planned, ins)
	}
	return providers.LookupResourcesResponse{Results: results}
}
