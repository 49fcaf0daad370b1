package kubernetes

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/registry"
	"github.com/berth-sh/berth/providers"
)

// PlanResourceChange plans an app, a scaling policy or a manifest.
func (p *Provider) PlanResourceChange(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	switch req.TypeName {
	case TypeApp:
		return p.planApp(ctx, req)
	case TypeScalingPolicy:
		return p.planScaling(ctx, req)
	case TypeManifest:
		return p.planManifest(ctx, req)
	}
	return providers.PlanResourceChangeResponse{Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
}

// planApp plans an app: the image's digest, the revision (config hash) of
// its pod template, its instances and, when running instances of another
// revision are replaced, the rollout waves.
func (p *Provider) planApp(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	var resp providers.PlanResourceChangeResponse
	if req.ProposedNewState.IsNull() { // destroy
		resp.PlannedState = req.ProposedNewState
		return resp
	}
	prior, _ := req.PriorState.UnmarkDeep()
	proposed, pvm := req.ProposedNewState.UnmarkDeepWithPaths()
	if !app.StripComputed(proposed).IsWhollyKnown() {
		// Known after apply of what the app depends on.
		resp.PlannedState = app.WithAttrs(proposed, map[string]cty.Value{
			"deployment_id": cty.UnknownVal(cty.String), "image_digest": cty.UnknownVal(cty.String),
			"config_hash": cty.UnknownVal(cty.String), "instances": cty.UnknownVal(cty.List(app.InstanceType)),
		}).MarkWithPaths(pvm)
		return resp
	}
	if diags := validateApp(proposed); diags.HasErrors() {
		resp.Diagnostics = diags
		return resp
	}
	a, err := decodeApp(proposed)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Invalid app configuration", err))
		return resp
	}
	// The image's digest, now: apply deploys exactly this one (when apply
	// plans again, the saved plan's digest of the same reference is kept).
	if d := app.SavedDigest(req.SavedPlannedState, a.Spec.Image); d != "" {
		a.Pinned = d
	} else {
		resolved, err := p.images.Resolve(ctx, registry.Of(a.Spec), a.Spec.Image)
		if err != nil {
			resp.Diagnostics = append(resp.Diagnostics, providers.AttributeError("Cannot resolve the app's image", err.Error(), cty.GetAttrPath("image")))
			return resp
		}
		a.Pinned = resolved.Pinned()
	}
	if err := a.computeHash(); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Cannot hash the app's pod template", err))
		return resp
	}
	c, err := p.cluster(ctx, a.Target)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, providers.AttributeError("Cannot reach the Kubernetes cluster", err.Error(), cty.GetAttrPath("cluster")))
		return resp
	}
	// At apply (a saved plan planned again) the cluster is read afresh:
	// refresh's listing may be minutes old.
	l, err := p.liveOf(ctx, c, a, req.SavedPlannedState == cty.NilVal)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, providers.AttributeError("Cannot read the app's objects", err.Error(), cty.GetAttrPath("cluster")))
		return resp
	}
	if prior.IsNull() && l.exists() {
		resp.Diagnostics = append(resp.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning,
			Summary: "Objects of an app of this name already exist",
			Detail: fmt.Sprintf("Namespace %s of cluster %q holds berth's objects of an app named %q that this state does not record (an apply aborted before it recorded them, or another configuration's app). Applying takes them over; to adopt them as they are, run berth import instead.",
				c.Namespace(), c.Name(), a.Object)})
	}
	replicas := a.Spec.Replicas
	if n, ok := autoscaled(l, prior); ok {
		replicas = n
		if n != a.Spec.Replicas {
			resp.Diagnostics = append(resp.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning,
				Summary: "Replicas are the autoscaler's",
				Detail: fmt.Sprintf("%s has a HorizontalPodAutoscaler: berth keeps its current count of %d replicas (the configuration says %d, which berth sets only when it creates the app).",
					a.Name, n, a.Spec.Replicas)})
		}
	}
	out := decide(planInput{
		App: a.Name, Hash: a.Hash, Pinned: a.Pinned, HasPrior: !prior.IsNull(), Replicas: replicas,
		Existing: app.DecodeInstances(prior), Rollout: a.Spec.Rollout,
	})
	resp.PlannedState = app.WithAttrs(proposed, map[string]cty.Value{
		"deployment_id": cty.StringVal(a.deploymentID(c.Namespace())),
		"image_digest":  cty.StringVal(a.Pinned), "config_hash": cty.StringVal(a.Hash),
		"instances": app.InstancesValue(out.Instances),
	}).MarkWithPaths(pvm)
	resp.Rollout = out.Rollout
	return resp
}

// autoscaled is the replica count of an app that has an autoscaler: the
// slots its pods fill now (the refreshed state's instance names), so
// that mid-rollout, with pods of two revisions in some slots, the count
// is the app's and not the sum of both Deployments. Without instances it
// is what the Deployments run. berth sets the configured count only when
// it creates the app. ok is false without an autoscaler or a Deployment.
func autoscaled(l *live, prior cty.Value) (int, bool) {
	if l.HPA == nil || len(l.Deployments) == 0 {
		return 0, false
	}
	slots := map[string]bool{}
	for _, in := range app.DecodeInstances(prior) {
		if in.Status != statusTerminating {
			slots[in.Name] = true
		}
	}
	if len(slots) > 0 {
		return len(slots), true
	}
	n := 0
	for _, d := range l.Deployments {
		r, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		n += int(r)
	}
	return n, true
}

// planInput is what the plan decision needs; decide is pure, for tests.
type planInput struct {
	App          string
	Hash, Pinned string
	HasPrior     bool
	Replicas     int
	Existing     []app.Instance
	Rollout      app.Rollout
}

type planOutput struct {
	// Instances is the planned "instances": kept ones as they are, the
	// others planned (id and addresses unknown).
	Instances []app.Instance
	Rollout   *providers.Rollout
}

// decide compares the planned slots with the instances that exist. A slot
// is kept when a pod of the planned revision and image fills it, ready;
// otherwise a pod is (re)made for it. A rollout is needed when a slot to
// fill holds a running pod of another revision: that pod serves until its
// replacement is ready. Creating an app, scaling, and repairing drift
// within a revision (pods missing, not ready, running another image after
// a kubectl edit) need no rollout: the revision's Deployment is applied.
func decide(in planInput) planOutput {
	var out planOutput
	current := map[string]app.Instance{}
	oldRunning := map[string]bool{}
	for _, e := range in.Existing {
		switch {
		case e.Ready && e.Status != statusModified && e.ConfigHash == in.Hash && e.ImageDigest == in.Pinned:
			current[e.Name] = e
		case e.Ready && e.ConfigHash != in.Hash:
			oldRunning[e.Name] = true
		}
	}
	var work []providers.WaveInstance
	replacing := false
	for i := range in.Replicas {
		name := slotName(in.App, i)
		if e, ok := current[name]; ok {
			out.Instances = append(out.Instances, e)
			continue
		}
		out.Instances = append(out.Instances, app.Instance{Name: name, ImageDigest: in.Pinned,
			ConfigHash: in.Hash, Status: statusRunning, Ready: true, Planned: true})
		work = append(work, providers.WaveInstance{Name: name})
		if oldRunning[name] {
			replacing = true
		}
	}
	if !in.HasPrior || !replacing {
		return out
	}
	out.Rollout = providers.NewRollout(in.Rollout, work)
	return out
}
