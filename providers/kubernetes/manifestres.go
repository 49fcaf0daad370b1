package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
)

// A kubernetes_manifest is any other object a team deploys beside its
// apps (a ConfigMap, an Ingress, a custom resource), applied with the same
// server-side apply and ownership rules as an app's objects:
//
//	resource "kubernetes_manifest" "settings" {
//	  cluster  = cluster.prod
//	  manifest = yamldecode(file("settings.yaml"))
//	}
//
// Its plan is a server-side dry run compared with what exists only where
// the manifest sets something (kube.OwnedDiff), so server defaults and
// normalised values never show as changes; what differs on refresh is
// listed in drifted_fields, which the next apply puts right.
func manifestSchema() *providers.Block {
	return &providers.Block{
		Attributes: map[string]*providers.Attribute{
			"cluster":  {Type: cty.DynamicPseudoType, Required: true, Description: "the cluster to apply to: cluster.NAME (a cluster with a kubernetes block)"},
			"manifest": {Type: cty.DynamicPseudoType, Required: true, Description: "the object: apiVersion, kind, metadata.name, and what berth sets; metadata.namespace defaults to the cluster's namespace for namespaced kinds"},
			"uid":      {Type: cty.String, Computed: true, Description: "the object's uid"},
			"drifted_fields": {Type: cty.List(cty.String), Computed: true,
				Description: "fields the manifest sets that differ in the cluster, found on refresh; empty after apply"},
		},
		BlockTypes: map[string]*providers.NestedBlock{},
	}
}

// manifestObject decodes a kubernetes_manifest value: its cluster's
// target and the object.
func manifestObject(v cty.Value) (kube.Target, *unstructured.Unstructured, error) {
	v, _ = v.UnmarkDeep()
	c := attr(v, "cluster")
	cl := app.Cluster{Name: app.Str(c, "name"), Kind: app.Str(c, "kind")}
	if cl.Kind != "" {
		cl.Settings = attr(c, cl.Kind)
	}
	t, err := target(cl)
	if err != nil {
		return kube.Target{}, nil, err
	}
	m := attr(v, "manifest")
	if m.IsNull() || !m.IsWhollyKnown() {
		return t, nil, fmt.Errorf("the manifest is not known")
	}
	b, err := ctyjson.Marshal(m, m.Type())
	if err != nil {
		return t, nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return t, nil, fmt.Errorf("the manifest must be an object (apiVersion, kind, metadata)")
	}
	u := &unstructured.Unstructured{Object: obj}
	if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
		return t, nil, fmt.Errorf("the manifest needs apiVersion, kind and metadata.name")
	}
	return t, u, nil
}

// validateManifest checks what is known offline.
func validateManifest(v cty.Value) hcl.Diagnostics {
	u, _ := v.UnmarkDeep()
	m := attr(u, "manifest")
	if m.IsNull() || !m.IsWhollyKnown() {
		return nil
	}
	if !m.Type().IsObjectType() && !m.Type().IsMapType() {
		return hcl.Diagnostics{providers.AttributeError("Invalid manifest", "The manifest must be an object with apiVersion, kind and metadata (yamldecode(file(...)) gives one).", cty.GetAttrPath("manifest"))}
	}
	for _, k := range []string{"apiVersion", "kind", "metadata"} {
		if !m.Type().IsObjectType() || !m.Type().HasAttribute(k) {
			return hcl.Diagnostics{providers.AttributeError("Invalid manifest", fmt.Sprintf("The manifest has no %q.", k), cty.GetAttrPath("manifest"))}
		}
	}
	return nil
}

func (p *Provider) planManifest(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	resp := providers.PlanResourceChangeResponse{PlannedState: req.ProposedNewState}
	if req.ProposedNewState.IsNull() {
		return resp
	}
	prior, _ := req.PriorState.UnmarkDeep()
	proposed, pvm := req.ProposedNewState.UnmarkDeepWithPaths()
	unknown := app.WithAttrs(proposed, map[string]cty.Value{"uid": cty.UnknownVal(cty.String), "drifted_fields": cty.ListValEmpty(cty.String)})
	if !app.WithAttrs(proposed, map[string]cty.Value{"uid": cty.NullVal(cty.String), "drifted_fields": cty.NullVal(cty.List(cty.String))}).IsWhollyKnown() {
		resp.PlannedState = unknown.MarkWithPaths(pvm)
		return resp
	}
	if diags := validateManifest(proposed); diags.HasErrors() {
		resp.Diagnostics = diags
		return resp
	}
	t, obj, err := manifestObject(proposed)
	if err != nil {
		resp.Diagnostics = hcl.Diagnostics{providers.AttributeError("Invalid manifest", err.Error(), cty.GetAttrPath("manifest"))}
		return resp
	}
	c, err := p.cluster(ctx, t)
	if err != nil {
		resp.Diagnostics = hcl.Diagnostics{providers.AttributeError("Cannot reach the Kubernetes cluster", err.Error(), cty.GetAttrPath("cluster"))}
		return resp
	}
	// A dry run with berth's ownership rules: a field another applier
	// owns is a conflict now, at plan, not halfway through an apply.
	if _, _, err := applyOwned(ctx, c.InNamespace(obj.GetNamespace()), obj, kube.ApplyOptions{DryRun: true}); err != nil {
		if errors.Is(err, kube.ErrUnknownKind) || apierrors.IsNotFound(err) {
			// A custom resource whose definition this run creates, an
			// object in a namespace this run creates: known after apply.
			resp.PlannedState = unknown.MarkWithPaths(pvm)
			return resp
		}
		resp.Diagnostics = hcl.Diagnostics{providers.AttributeError("The cluster refuses the manifest", err.Error(), cty.GetAttrPath("manifest"))}
		return resp
	}
	uid := cty.UnknownVal(cty.String)
	if !prior.IsNull() && app.Str(prior, "uid") != "" && sameObject(prior, proposed) {
		uid = cty.StringVal(app.Str(prior, "uid"))
	}
	resp.PlannedState = app.WithAttrs(proposed, map[string]cty.Value{"uid": uid, "drifted_fields": cty.ListValEmpty(cty.String)}).MarkWithPaths(pvm)
	if uid.IsKnown() {
		return resp
	}
	if !prior.IsNull() {
		resp.RequiresReplace = []cty.Path{cty.GetAttrPath("manifest")}
	}
	return resp
}

// sameObject: prior and proposed name the same object (kind, name,
// namespace, cluster): otherwise the change is a replacement.
func sameObject(prior, proposed cty.Value) bool {
	pt, po, err1 := manifestObject(prior)
	nt, no, err2 := manifestObject(proposed)
	if err1 != nil || err2 != nil {
		return false
	}
	ns := func(o *unstructured.Unstructured, t kube.Target) string {
		if o.GetNamespace() != "" {
			return o.GetNamespace()
		}
		return t.Namespace
	}
	return pt == nt && po.GroupVersionKind().GroupKind() == no.GroupVersionKind().GroupKind() &&
		po.GetName() == no.GetName() && ns(po, pt) == ns(no, nt)
}

func (p *Provider) applyManifest(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	fail := func(summary string, err error) providers.ApplyResourceChangeResponse {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{errDiag(summary, err)}}
	}
	top := req.PlannedState
	if top.IsNull() {
		top = req.PriorState
	}
	t, obj, err := manifestObject(top)
	if err != nil {
		return fail("Invalid manifest", err)
	}
	c, err := p.cluster(ctx, t)
	if err != nil {
		return fail("Cannot reach the Kubernetes cluster", err)
	}
	c = c.InNamespace(obj.GetNamespace())
	if req.PlannedState.IsNull() {
		if err := c.Delete(ctx, obj.GroupVersionKind(), obj.GetName()); err != nil {
			return fail("Cannot delete "+kube.Describe(obj), err)
		}
		if err := c.WaitGone(ctx, obj.GroupVersionKind(), obj.GetName()); err != nil {
			return fail(kube.Describe(obj)+" did not go", err)
		}
		return providers.ApplyResourceChangeResponse{NewState: req.PlannedState}
	}
	out, _, err := applyOwned(ctx, c, obj, kube.ApplyOptions{})
	if err != nil {
		return fail("Cannot apply "+kube.Describe(obj), err)
	}
	u, pvm := req.PlannedState.UnmarkDeepWithPaths()
	st := app.WithAttrs(u, map[string]cty.Value{"uid": cty.StringVal(string(out.GetUID())), "drifted_fields": cty.ListValEmpty(cty.String)})
	resp := providers.ApplyResourceChangeResponse{NewState: st.MarkWithPaths(pvm)}
	// Objects of a new CRD's kind may come next in this run. The CRD
	// exists either way, so the state keeps it.
	if kube.IsCRD(out) {
		if err := c.WaitCRDServed(ctx, out); err != nil {
			resp.Diagnostics = hcl.Diagnostics{errDiag(kube.Describe(obj)+" is not served", err)}
		}
	}
	return resp
}

// readManifest is the object as it exists: gone, or its recorded state
// with drifted_fields listing where a dry run of the manifest and the
// live object differ on what the manifest sets.
func (p *Provider) readManifest(ctx context.Context, o providers.ReadObject) providers.ReadResult {
	r := providers.ReadResult{ID: o.ID, NewState: o.State, Private: o.Private}
	t, obj, err := manifestObject(o.State)
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Invalid manifest in the state", err)}
		return r
	}
	c, err := p.cluster(ctx, t)
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Cannot refresh "+kube.Describe(obj), err)}
		return r
	}
	c = c.InNamespace(obj.GetNamespace())
	live, err := c.Get(ctx, obj.GroupVersionKind(), obj.GetName())
	if errors.Is(err, kube.ErrUnknownKind) || (err == nil && live == nil) {
		r.Gone, r.NewState = true, cty.NullVal(o.State.Type())
		return r
	}
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Cannot refresh "+kube.Describe(obj), err)}
		return r
	}
	dry, err := c.Apply(ctx, obj, kube.ApplyOptions{DryRun: true, Force: true})
	if err != nil {
		r.Diagnostics = hcl.Diagnostics{errDiag("Cannot refresh "+kube.Describe(obj), err)}
		return r
	}
	diff := kube.OwnedDiff(obj.Object, dry.Object, live.Object)
	vals := make([]cty.Value, 0, len(diff))
	for _, d := range slices.Sorted(slices.Values(diff)) {
		vals = append(vals, cty.StringVal(d))
	}
	fields := cty.ListValEmpty(cty.String)
	if len(vals) > 0 {
		fields = cty.ListVal(vals)
	}
	u, pvm := o.State.UnmarkDeepWithPaths()
	r.NewState = app.WithAttrs(u, map[string]cty.Value{"uid": cty.StringVal(string(live.GetUID())), "drifted_fields": fields}).MarkWithPaths(pvm)
	return r
}
