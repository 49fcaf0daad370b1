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
)

// ImportResource adopts the containers of one deployment of an app: the ID
// is the app's deployment_id, the value of the sh.berth.id label of its
// containers. They are looked for on the hosts of the cluster the
// configuration names. This is how a lost or damaged state is recovered
// without starting a second copy of the app: the next plan then shows
// what differs between those containers and the configuration, as for
// any app in the state.
func (p *Provider) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	fail := func(summary, detail string) providers.ImportResourceResponse {
		return providers.ImportResourceResponse{Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}}
	}
	if req.ID == "" {
		return fail("Invalid import ID", "The ID of an app is its deployment_id, the sh.berth.id label of its containers; it cannot be empty.")
	}
	if req.TypeName != TypeApp {
		return fail("Import not supported", fmt.Sprintf("%s has nothing to import on docker: it exists only in berth's state, and apply records it.", req.TypeName))
	}
	if req.Config == cty.NilVal || req.Config.IsNull() {
		return fail("Import needs the app's configuration", "The docker provider finds an app's containers on the hosts of the cluster its configuration names, and this berth sent no configuration with the import: upgrade berth.")
	}
	cfg, pvm := req.Config.UnmarkDeepWithPaths()
	if !app.StripComputed(cfg).IsWhollyKnown() {
		return fail("App configuration not known yet", "The app's configuration depends on values known only after apply (another app's computed attributes): apply those first, then import.")
	}
	if diags := validateApp(cfg); diags.HasErrors() {
		return providers.ImportResourceResponse{Diagnostics: diags}
	}
	a, err := decodeApp(cfg)
	if err != nil {
		return fail("Invalid app configuration", err.Error())
	}
	name := str(cfg, "name")
	hosts, _, err := p.clusterHosts(ctx, a.Cluster)
	if err != nil {
		return fail("Cannot reach the cluster's Docker hosts", err.Error())
	}
	var ls []live
	others := map[string]bool{}
	for _, h := range hosts {
		cs, err := h.ListManaged(ctx, req.ID)
		if err != nil {
			return fail("Cannot list the containers of host "+h.Config.Name, err.Error())
		}
		for _, c := range cs {
			if c.Labels.App != name {
				others[c.Labels.App] = true
				continue
			}
			ls = append(ls, live{Container: c, Host: h.Config.Name, Address: h.Address()})
		}
	}
	if len(ls) == 0 {
		if len(others) > 0 {
			return fail("Deployment of another app", fmt.Sprintf("The containers of deployment %q belong to app %s, not to app %s: import them into that app.", req.ID, strings.Join(slices.Sorted(maps.Keys(others)), ", "), name))
		}
		// None: the core says that nothing was found.
		return providers.ImportResourceResponse{State: cty.NullVal(cfg.Type())}
	}
	slices.SortFunc(ls, func(x, y live) int { return strings.Compare(x.Name, y.Name) })
	ins := instancesOf(ls, a.Spec.Ports, nil)
	digest, hash := prevailingSpec(ins)
	// What the containers say of themselves is recorded as it is (the
	// image as written, how many instances run), so that the next plan
	// shows those differences; the rest of the spec is known only by its
	// hash, whose difference the plan shows as config_hash.
	override := map[string]cty.Value{
		"deployment_id": cty.StringVal(req.ID), "name": cty.StringVal(name),
		"image_digest": cty.StringVal(digest), "config_hash": cty.StringVal(hash),
		"instances": app.InstancesValue(ins),
		"replicas":  cty.NumberIntVal(int64(countNames(ins))),
	}
	for _, c := range ls {
		if c.Labels.ConfigHash == hash && c.Labels.Image != "" {
			override["image"] = cty.StringVal(c.Labels.Image)
			break
		}
	}
	st := app.WithAttrs(cfg, override).MarkWithPaths(pvm)
	return providers.ImportResourceResponse{State: st}
}

// prevailingSpec is the image digest and config hash that most of the
// instances run (an import may catch an app in the middle of a rollout):
// the plan after the import rolls out to the configuration from there.
func prevailingSpec(ins []app.Instance) (digest, hash string) {
	type spec struct{ digest, hash string }
	count := map[spec]int{}
	best := spec{}
	for _, in := range ins {
		s := spec{in.ImageDigest, in.ConfigHash}
		count[s]++
		if count[s] > count[best] || count[s] == count[best] && s.hash < best.hash {
			best = s
		}
	}
	return best.digest, best.hash
}

// countNames is the number of distinct instances (an instance caught
// mid-rollout has two containers).
func countNames(ins []app.Instance) int {
	seen := map[string]bool{}
	for _, in := range ins {
		seen[in.Name] = true
	}
	return len(seen)
}
