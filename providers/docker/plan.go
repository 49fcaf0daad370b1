package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// private is the provider's private data of a planned change: the rollout
// waves (instance names), so that apply replaces exactly the planned ones.
type private struct {
	Waves [][]string `json:"waves,omitempty"`
}

// PlanResourceChange plans an app: image digest, placement, instances and,
// for a spec change of running instances, the rollout waves.
func (p *Provider) PlanResourceChange(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	ctx, cancel := p.opCtx(ctx)
	defer cancel()
	switch req.TypeName {
	case TypeScalingPolicy:
		if req.ProposedNewState.IsNull() {
			return providers.PlanResourceChangeResponse{PlannedState: cty.NullVal(scalingPolicyType)}
		}
		u, pvm := req.ProposedNewState.UnmarkDeepWithPaths()
		return providers.PlanResourceChangeResponse{PlannedState: conform(u, scalingPolicyType, nil).MarkWithPaths(pvm)}
	case TypeApp:
		return p.planApp(ctx, req)
	}
	return providers.PlanResourceChangeResponse{Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
}

func (p *Provider) planApp(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	var resp providers.PlanResourceChangeResponse
	if req.ProposedNewState.IsNull() { // destroy
		resp.PlannedState = cty.NullVal(appType)
		return resp
	}
	prior, _ := req.PriorState.UnmarkDeep()
	proposed, pvm := req.ProposedNewState.UnmarkDeepWithPaths()
	// A new app's deployment id is picked at apply (a plan must be
	// repeatable: apply plans again and compares with the saved plan).
	id := str(prior, "deployment_id")
	idVal := cty.UnknownVal(cty.String)
	if id != "" {
		idVal = cty.StringVal(id)
	}
	name := str(proposed, "name")
	if name == "" {
		name = str(prior, "name")
	}
	if !stripComputed(proposed).IsWhollyKnown() {
		// Known after apply of what the app depends on: nothing to resolve
		// or place yet.
		resp.PlannedState = conform(proposed, appType, map[string]cty.Value{
			"deployment_id": idVal, "name": nullOr(name),
			"image_digest": cty.UnknownVal(cty.String), "config_hash": cty.UnknownVal(cty.String),
			"instances": cty.UnknownVal(cty.List(instanceType)),
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
	a.ID = id
	if name != "" {
		a.Name = name
	}

	// The image's digest, now: apply deploys exactly this one.
	resolved, err := registryOf(a.Spec).Resolve(ctx, a.Spec.Image)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: "Cannot resolve the app's image", Detail: err.Error(),
			Extra: providers.AttributePath{Path: cty.GetAttrPath("image")}})
		return resp
	}
	a.Pinned = resolved.Pinned()
	if err := a.computeHash(); err != nil {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Cannot hash the app's spec", err))
		return resp
	}

	hosts, infos, err := p.clusterHosts(ctx, a.Spec.Cluster)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Cannot reach the cluster's Docker hosts", err))
		return resp
	}
	schedHosts, err := p.schedulerHosts(ctx, hosts, infos, a)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Cannot read the Docker hosts' containers", err))
		return resp
	}
	for i, h := range hosts {
		if l := a.Spec.Liveness; l != nil && (l.HTTP != nil || l.TCP != nil) {
			if _, err := ProbeHelper(infos[i].Architecture); err != nil {
				resp.Diagnostics = append(resp.Diagnostics, attrDiag("Liveness probe not possible on "+h.Config.Name, err.Error(), cty.GetAttrPath("liveness")))
				return resp
			}
		}
	}
	existing := stateInstances(prior)
	placement, err := scheduler.Place(schedHosts, a.placementRequest(existing))
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: "Impossible placement", Detail: err.Error(),
			Extra: providers.AttributePath{Path: cty.GetAttrPath("replicas")}})
		return resp
	}
	out := decide(planInput{
		Hash: a.Hash, Pinned: a.Pinned, HasPrior: !prior.IsNull(),
		Existing: existing, Assignments: placement.Assignments, Rollout: a.Spec.Rollout,
	})
	resp.PlannedState = conform(proposed, appType, map[string]cty.Value{
		"deployment_id": idVal, "name": nullOr(name),
		"image_digest": cty.StringVal(a.Pinned), "config_hash": cty.StringVal(a.Hash),
		"instances": instancesValue(out.Instances),
	}).MarkWithPaths(pvm)
	if out.Rollout != nil {
		resp.Rollout = out.Rollout
		b, _ := json.Marshal(private{Waves: out.Waves})
		resp.PlannedPrivate = b
	}
	return resp
}

func nullOr(s string) cty.Value {
	if s == "" {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(s)
}

func (a *app) placementRequest(existing []instance) scheduler.Request {
	cpu, mem := a.requests()
	r := scheduler.Request{App: "app." + a.Name, Name: a.Name, Replicas: a.Spec.Replicas, CPU: cpu, Memory: mem}
	if pl := a.Spec.Placement; pl != nil {
		r.NodeSelector = pl.NodeSelector
		r.SpreadHosts = pl.Spread == "host"
	}
	// One entry per instance name; where a name has several containers
	// (the old and the new one mid-rollout), the up-to-date one's host.
	seen := map[string]int{}
	for _, in := range existing {
		i, ok := seen[in.Name]
		if !ok {
			seen[in.Name] = len(r.Existing)
			r.Existing = append(r.Existing, scheduler.Instance{Name: in.Name, Host: in.Host})
			continue
		}
		if in.ConfigHash == a.Hash && in.Status == statusRunning {
			r.Existing[i].Host = in.Host
		}
	}
	return r
}

// schedulerHosts lists berth's containers on every host (one call each)
// and subtracts the requests of other apps' containers from capacity.
func (p *Provider) schedulerHosts(ctx context.Context, hosts []*Host, infos []HostInfo, a *app) ([]scheduler.Host, error) {
	out := make([]scheduler.Host, len(hosts))
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			cs, err := h.ListManaged(ctx, "")
			if err != nil {
				errs[i] = err
				return
			}
			// This app's containers are accounted by the scheduler itself:
			// drop them by deployment id (SchedulerHost matches names only).
			var others []Container
			for _, c := range cs {
				if c.Labels.ID == a.ID && c.Labels.App == a.Name {
					continue
				}
				others = append(others, c)
			}
			out[i] = SchedulerHost(h.Config, infos[i], others, "")
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// planInput is what the plan decision needs; decide is pure, for tests.
type planInput struct {
	Hash, Pinned string
	HasPrior     bool
	Existing     []instance
	Assignments  []scheduler.Assignment
	Rollout      lang.RolloutSpec
}

type planOutput struct {
	// Instances is the planned "instances": kept ones as they are, the
	// others planned (container id unknown).
	Instances []instance
	Waves     [][]string
	Rollout   *providers.Rollout
}

// decide compares the placement with the instances that exist. An
// instance is kept when a container of its name runs the planned spec on
// its assigned host; otherwise it is (re)created. A rollout is needed when
// an instance to be replaced is running another spec: its running
// container serves until the new one is ready. Creating an app, scaling,
// and repairing drift (missing, stopped or unhealthy containers) need no
// rollout.
func decide(in planInput) planOutput {
	var out planOutput
	type key struct{ name, host string }
	current := map[key]instance{}
	oldRunning := map[string]bool{}
	for _, e := range in.Existing {
		if e.Status == statusRunning && e.ConfigHash == in.Hash && e.ImageDigest == in.Pinned {
			current[key{e.Name, e.Host}] = e
		} else if e.Status == statusRunning {
			oldRunning[e.Name] = true
		}
	}
	var work []scheduler.Assignment
	replacing := false
	for _, as := range in.Assignments {
		if e, ok := current[key{as.Instance, as.Host}]; ok {
			out.Instances = append(out.Instances, e)
			continue
		}
		out.Instances = append(out.Instances, instance{Name: as.Instance, Host: as.Host, ImageDigest: in.Pinned,
			ConfigHash: in.Hash, Status: statusRunning, planned: true})
		work = append(work, as)
		if oldRunning[as.Instance] {
			replacing = true
		}
	}
	if !in.HasPrior || !replacing {
		return out
	}
	sizes := in.Rollout.Waves(len(work))
	r := &providers.Rollout{
		MinHealthy: in.Rollout.MinHealthy.String(), HealthyDeadline: in.Rollout.HealthyDeadline.String(),
		AutoRevert: in.Rollout.AutoRevert, MaxUnavailable: in.Rollout.MaxUnavailable,
	}
	i := 0
	for _, n := range sizes {
		var names, desc []string
		for _, as := range work[i : i+n] {
			names = append(names, as.Instance)
			desc = append(desc, as.Instance+" on "+as.Host)
		}
		i += n
		out.Waves = append(out.Waves, names)
		d := fmt.Sprintf("%d instances", n)
		if n == 1 {
			d = "1 instance"
		}
		r.Waves = append(r.Waves, providers.Wave{Instances: desc, Description: d})
	}
	out.Rollout = r
	return out
}
