package kubernetes

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// A scaling_policy is a HorizontalPodAutoscaler of its app's current
// revision's Deployment. After a rollout it is planned again with the
// app's new config hash, and so retargeted to the new Deployment.

// scaled is a scaling policy decoded with its app.
type scaled struct {
	Policy *manifest.ScalingPolicy
	App    *deployment
}

func decodeScaling(v cty.Value) (*scaled, error) {
	v, _ = v.UnmarkDeep()
	pol, err := manifest.DecodeScalingPolicy(v)
	if err != nil {
		return nil, err
	}
	a, err := decodeApp(attr(v, "app"))
	if err != nil {
		return nil, fmt.Errorf("its app: %w", err)
	}
	return &scaled{Policy: pol, App: a}, nil
}

// hpa is the autoscaler of s in namespace ns.
func (s *scaled) hpa(ns string) (*unstructured.Unstructured, error) {
	if s.App.Hash == "" {
		return nil, fmt.Errorf("app %s has no revision yet", s.App.Name)
	}
	return manifest.HPA(s.Policy, ns, s.App.deploymentName(s.App.Hash)), nil
}

// withoutInstances is a scaling policy's value with its app's instances
// left out: the autoscaler does not depend on them, and pods come and go
// (the autoscaler's own work) without changing the policy.
func withoutInstances(v cty.Value) cty.Value {
	u, pvm := v.UnmarkDeepWithPaths()
	a := attr(u, "app")
	if u.IsNull() || !u.IsKnown() || a.IsNull() || !a.IsKnown() || !a.Type().IsObjectType() || !a.Type().HasAttribute("instances") {
		return v
	}
	a = app.WithAttrs(a, map[string]cty.Value{"instances": cty.ListValEmpty(app.InstanceType)})
	return app.WithAttrs(u, map[string]cty.Value{"app": a}).MarkWithPaths(pvm)
}

func (p *Provider) planScaling(_ context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	resp := providers.PlanResourceChangeResponse{PlannedState: withoutInstances(req.ProposedNewState)}
	if req.ProposedNewState.IsNull() || !resp.PlannedState.IsWhollyKnown() {
		return resp
	}
	if _, err := decodeScaling(req.ProposedNewState); err != nil {
		resp.Diagnostics = hcl.Diagnostics{errDiag("Invalid scaling policy", err)}
	}
	return resp
}

func (p *Provider) applyScaling(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	fail := func(summary string, err error) providers.ApplyResourceChangeResponse {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{errDiag(summary, err)}}
	}
	top := req.PlannedState
	if top.IsNull() {
		top = req.PriorState
	}
	s, err := decodeScaling(top)
	if err != nil {
		return fail("Invalid scaling policy", err)
	}
	c, err := p.cluster(ctx, s.App.Target)
	if err != nil {
		return fail("Cannot reach the Kubernetes cluster", err)
	}
	name := manifest.ObjectName(s.App.Name)
	if req.PlannedState.IsNull() {
		if err := c.Delete(ctx, gvkHPA, name); err != nil {
			return fail("Cannot delete the HorizontalPodAutoscaler", err)
		}
		if err := c.WaitGone(ctx, gvkHPA, name); err != nil {
			return fail("The HorizontalPodAutoscaler did not go", err)
		}
		return providers.ApplyResourceChangeResponse{NewState: req.PlannedState}
	}
	h, err := s.hpa(c.Namespace())
	if err != nil {
		return fail("Cannot apply the HorizontalPodAutoscaler", err)
	}
	if _, _, err := applyOwned(ctx, c, h, kube.ApplyOptions{}); err != nil {
		return fail("Cannot apply the HorizontalPodAutoscaler", err)
	}
	return providers.ApplyResourceChangeResponse{NewState: req.PlannedState}
}

// readScaling: a policy whose autoscaler is gone is gone.
func (p *Provider) readScaling(_ context.Context, o providers.ReadObject, listingOf func(kube.Target) (*kube.Cluster, *listing, error)) providers.ReadResult {
	r := providers.ReadResult{ID: o.ID, NewState: o.State, Private: o.Private}
	s, err := decodeScaling(o.State)
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Invalid scaling policy in the state", err)}
		return r
	}
	_, ls, err := listingOf(s.App.Target)
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Cannot refresh the scaling policy", err)}
		return r
	}
	if ls.of(manifest.ObjectName(s.App.Name)).HPA == nil {
		r.Gone, r.NewState = true, cty.NullVal(o.State.Type())
	}
	return r
}
