package kubernetes

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// ImportResource adopts an app berth made in another state (its
// Deployment's namespace/name as the id, the configuration the import
// names as the app): the state records the configuration and what runs.
func (p *Provider) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	return p.importApp(ctx, req)
}

// importApp adopts the app whose Deployment the id names
// ("namespace/name", or "name" in the cluster's namespace), as berth made
// it: a Deployment of a revision of an app (another state's, or a state
// that was lost). The state is the configuration the import names, with
// the image digest and config hash the Deployment runs and its pods as
// instances; when the configuration is what runs, the next plan is empty,
// otherwise it rolls the difference out. A Deployment berth did not make
// is refused: its selector cannot become berth's, so adopting it means
// replacing its pods (docs/kubernetes.md).
func (p *Provider) importApp(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	fail := func(format string, args ...any) providers.ImportResourceResponse {
		return providers.ImportResourceResponse{Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagError,
			Summary: "Cannot import the app", Detail: fmt.Sprintf(format, args...)}}}
	}
	if req.TypeName != TypeApp {
		return fail("The kubernetes provider imports apps; %s objects are adopted by applying them (server-side apply takes over what exists).", req.TypeName)
	}
	if req.Config == cty.NilVal || req.Config.IsNull() || !app.StripComputed(req.Config).IsWhollyKnown() {
		return fail("berth finds an app on the cluster its configuration names; the configuration of the import is not known.")
	}
	a, err := decodeApp(req.Config)
	if err != nil {
		return fail("%s", err)
	}
	c, err := p.cluster(ctx, a.Target)
	if err != nil {
		return fail("%s", err)
	}
	ns, name, found := strings.Cut(req.ID, "/")
	if !found {
		ns, name = c.Namespace(), req.ID
	}
	if ns != c.Namespace() {
		return fail("Deployment %s is in namespace %s, but cluster %q deploys into %s: set the cluster's namespace, or import into an app on a cluster block for that namespace.", req.ID, ns, c.Name(), c.Namespace())
	}
	d, err := c.Get(ctx, gvkDeployment, name)
	if err != nil {
		return fail("%s", err)
	}
	if d == nil {
		return fail("Cannot import non-existent object: Deployment %s/%s does not exist in cluster %q.", ns, name, c.Name())
	}
	ann, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "annotations")
	h, digest := ann[manifest.AnnotationConfigHash], ann[manifest.AnnotationImageDigest]
	if d.GetLabels()[manifest.LabelApp] != a.Object || h == "" || digest == "" {
		return fail("Deployment %s/%s was not made by berth for an app named %q (it lacks berth's labels and annotations). berth runs each revision of an app as its own Deployment with its own selector, which an existing Deployment's immutable selector cannot become; deploy the app with berth beside it and delete the old Deployment once the new pods serve.", ns, name, a.Object)
	}
	if want := a.deploymentName(h); want != name {
		return fail("Deployment %s/%s has config hash %s, whose Deployment is named %s: it was renamed outside berth.", ns, name, h, want)
	}
	a.Hash, a.Pinned = h, digest
	ls, err := list(ctx, c, appSelector(a.Object))
	if err != nil {
		return fail("%s", err)
	}
	ins := assignment{App: a.Name, Ports: a.Spec.Ports}.instances(ls.of(a.Object).Pods)
	u, pvm := req.Config.UnmarkDeepWithPaths()
	st := app.WithAttrs(u, map[string]cty.Value{
		"deployment_id": cty.StringVal(ns + "/" + name), "image_digest": cty.StringVal(digest),
		"config_hash": cty.StringVal(h), "instances": app.InstancesValue(ins),
	})
	return providers.ImportResourceResponse{State: st.MarkWithPaths(pvm)}
}
