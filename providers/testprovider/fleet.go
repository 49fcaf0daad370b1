package testprovider

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// Resource type "fleet" is an app in miniature, for the core's rollout
// driver: `replicas` instances (name-0, name-1, ...) running `version`.
// A change of version rolls out in waves of 1, 2, 4, ... instances
// through providers.StepStart and StepStop, as a platform's app does; the
// instances are reported in the app contract's shape (platform/app), so
// tests compare the store (what "runs") with the state.
//
//	resource "test_fleet" "f" {
//	  name            = "f"
//	  version         = "v2"
//	  replicas        = 6
//	  fail            = ["f-2"]  # these instances never get ready on this version
//	  max_unavailable = 0
//	  auto_revert     = true
//	  rollout = {                # as an app's rollout block (platform/app.Decode reads it)
//	    strategy = "canary"
//	    canary   = { instances = 1, weight = 10 }
//	  }
//	}

// Fleet is a stored fleet.
type Fleet struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Replicas int    `json:"replicas"`
	// Instances are what "runs": a name may have several (old and new).
	Instances []FleetInstance `json:"instances"`
	// IdempotencyKey is the key of the create that made the fleet.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// FleetInstance is one running instance of a fleet.
type FleetInstance struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Ready   bool   `json:"ready"`
}

// fleetHost is the one host of every fleet instance.
const fleetHost = "local"

var fleetSchema = &providers.Block{
	Description: "A fleet of instances that rolls out in waves.",
	Attributes: map[string]*providers.Attribute{
		"id":              {Type: cty.String, Computed: true},
		"name":            {Type: cty.String, Required: true, ForceNew: true},
		"version":         {Type: cty.String, Required: true},
		"replicas":        {Type: cty.Number, Required: true},
		"fail":            {Type: cty.List(cty.String), Optional: true, Description: "Instances that never get ready when started on this version."},
		"max_unavailable": {Type: cty.Number, Optional: true},
		"auto_revert":     {Type: cty.Bool, Optional: true},
		"rollout":         {Type: fleetRolloutType, Optional: true, Description: "The rollout strategy, as an app's rollout block: strategy and canary."},
		"config_hash":     {Type: cty.String, Computed: true, Description: "The version, as an app's spec hash: the spec the fleet's instances run."},
		"instances":       {Type: cty.List(app.InstanceType), Computed: true},
	},
}

// fleetRolloutType is a fleet's rollout: an app's rollout block's
// strategy and canary, so that what reads apps' rollouts reads it too.
var fleetRolloutType = cty.Object(map[string]cty.Type{
	"strategy": cty.String,
	"canary":   cty.Object(map[string]cty.Type{"instances": cty.Number, "weight": cty.Number}),
})

// fleetConfig is what the provider reads of a fleet's value.
type fleetConfig struct {
	id, name, version string
	replicas          int
	fail              []string
	maxUnavailable    int
	autoRevert        bool
	canary            *app.Canary
}

func decodeFleet(v cty.Value) fleetConfig {
	v, _ = v.UnmarkDeep()
	if isNull(v) || !v.IsKnown() {
		return fleetConfig{}
	}
	fc := fleetConfig{id: app.Str(v, "id"), name: app.Str(v, "name"), version: app.Str(v, "version"), autoRevert: true}
	num := func(name string) int {
		if !v.Type().HasAttribute(name) {
			return 0 // a value built by a test without it
		}
		a := v.GetAttr(name)
		if !a.IsKnown() || a.IsNull() {
			return 0
		}
		n, _ := a.AsBigFloat().Int64()
		return int(n)
	}
	fc.replicas, fc.maxUnavailable = num("replicas"), num("max_unavailable")
	if spec, err := app.Decode(v); err == nil {
		fc.canary = spec.Rollout.Canary
	}
	if a := v.GetAttr("auto_revert"); a.IsKnown() && !a.IsNull() {
		fc.autoRevert = a.True()
	}
	if a := v.GetAttr("fail"); a.IsKnown() && !a.IsNull() {
		for it := a.ElementIterator(); it.Next(); {
			_, e := it.Element()
			fc.fail = append(fc.fail, e.AsString())
		}
	}
	return fc
}

func (fc fleetConfig) names() []string {
	out := make([]string, fc.replicas)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", fc.name, i)
	}
	return out
}

// value is the fleet's state: the attributes of top (a configuration,
// planned or prior value) with id and instances.
func fleetValue(top cty.Value, id string, ins []app.Instance) cty.Value {
	u, pvm := top.UnmarkDeepWithPaths()
	attrs := u.AsValueMap()
	attrs["id"] = cty.StringVal(id)
	attrs["instances"] = app.InstancesValue(ins)
	attrs["config_hash"] = attrs["version"]
	return cty.ObjectVal(attrs).MarkWithPaths(pvm)
}

func (f *Fleet) instances() []app.Instance {
	var out []app.Instance
	for _, in := range f.Instances {
		status := "running"
		if !in.Ready {
			status = "not_ready"
		}
		out = append(out, app.Instance{Name: in.Name, Host: fleetHost, ID: in.ID, Status: status, Ready: in.Ready,
			ConfigHash: in.Version, Addresses: map[string]app.Address{}})
	}
	return out
}

func (p *Provider) planFleet(req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	if isNull(req.ProposedNewState) {
		return providers.PlanResourceChangeResponse{PlannedState: cty.NullVal(req.PriorState.Type())}
	}
	fc := decodeFleet(req.ProposedNewState)
	var resp providers.PlanResourceChangeResponse
	var prior []app.Instance
	id := cty.UnknownVal(cty.String)
	if !isNull(req.PriorState) {
		if old := decodeFleet(req.PriorState); old.name != fc.name {
			resp.RequiresReplace = []cty.Path{cty.GetAttrPath("name")}
		} else {
			prior = app.DecodeInstances(req.PriorState)
			id = cty.StringVal(old.id)
		}
	}
	var planned []app.Instance
	var work []providers.WaveInstance
	replacing := false
	for _, n := range fc.names() {
		i := slices.IndexFunc(prior, func(in app.Instance) bool { return in.Name == n && in.ConfigHash == fc.version && in.Ready })
		if i >= 0 {
			planned = append(planned, prior[i])
			continue
		}
		planned = append(planned, app.Instance{Name: n, Host: fleetHost, Status: "running", Ready: true, ConfigHash: fc.version, Planned: true})
		work = append(work, providers.WaveInstance{Name: n, Host: fleetHost})
		if slices.ContainsFunc(prior, func(in app.Instance) bool { return in.Name == n && in.Ready }) {
			replacing = true
		}
	}
	u, pvm := req.ProposedNewState.UnmarkDeepWithPaths()
	attrs := u.AsValueMap()
	attrs["id"], attrs["instances"], attrs["config_hash"] = id, app.InstancesValue(planned), attrs["version"]
	resp.PlannedState = cty.ObjectVal(attrs).MarkWithPaths(pvm)
	if replacing && resp.RequiresReplace == nil {
		r := &providers.Rollout{MaxUnavailable: fc.maxUnavailable, AutoRevert: fc.autoRevert}
		if c := fc.canary; c != nil {
			r.Canary = &providers.Canary{Instances: c.Instances, Weight: c.Weight}
		}
		for batch := 1; len(work) > 0; batch *= 2 {
			n := min(batch, len(work))
			r.Waves = append(r.Waves, providers.Wave{Instances: work[:n]})
			work = work[n:]
		}
		resp.Rollout = r
	}
	return resp
}

// applyFleet carries out a fleet's change, or one step of its rollout.
func (p *Provider) applyFleet(ctx context.Context, s settings, req providers.ApplyResourceChangeRequest, emit func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	prior := decodeFleet(req.PriorState)
	if isNull(req.PlannedState) {
		err := s.store.modify(func(st *Store) error { delete(st.Fleets, prior.id); return nil })
		if err != nil {
			return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: errDiag("Cannot delete", err.Error())}
		}
		return providers.ApplyResourceChangeResponse{NewState: cty.NullVal(req.PriorState.Type())}
	}
	fc := decodeFleet(req.PlannedState)
	target := app.DecodeTarget(req.PlannedState)
	step := req.Step
	var f *Fleet
	var failed []string
	err := s.store.modify(func(st *Store) error {
		if old := st.Fleets[prior.id]; old != nil && !isNull(req.PriorState) {
			c := *old
			c.Instances = slices.Clone(old.Instances)
			f = &c
		} else {
			st.NextID++
			f = &Fleet{ID: fmt.Sprintf("f-%d", st.NextID), Name: fc.name, Version: fc.version, Replicas: fc.replicas,
				IdempotencyKey: req.IdempotencyKey}
		}
		start := func(name string) {
			st.NextID++
			in := FleetInstance{ID: fmt.Sprintf("i-%d", st.NextID), Name: name, Version: fc.version, Ready: !slices.Contains(fc.fail, name)}
			f.Instances = append(f.Instances, in)
			emit(providers.ApplyEvent{Kind: "instance_started", Wave: step.Wave, Instance: name, Message: name + " started (" + in.ID + ")"})
			if in.Ready {
				emit(providers.ApplyEvent{Kind: "instance_healthy", Wave: step.Wave, Instance: name, Message: name + " ready"})
			} else {
				failed = append(failed, name)
				emit(providers.ApplyEvent{Kind: "instance_unhealthy", Wave: step.Wave, Instance: name, Message: name + " not ready"})
			}
		}
		kept := func(in FleetInstance) bool {
			return app.Keeps(target, app.Instance{Name: in.Name, Host: fleetHost, ConfigHash: in.Version, Ready: in.Ready})
		}
		stop := func(names []string) {
			f.Instances = slices.DeleteFunc(f.Instances, func(in FleetInstance) bool {
				gone := (names == nil || slices.Contains(names, in.Name)) && !kept(in)
				if gone {
					emit(providers.ApplyEvent{Kind: "instance_stopped", Wave: step.Wave, Instance: in.Name, Message: in.Name + " removed (" + in.ID + ")"})
				}
				return gone
			})
		}
		switch step.Kind {
		case providers.StepStart:
			for _, n := range step.Instances {
				if !slices.ContainsFunc(f.Instances, func(in FleetInstance) bool { return in.Name == n && kept(in) }) {
					start(n)
				}
			}
		case providers.StepStop:
			stop(step.Instances)
		default:
			for _, in := range target {
				if !slices.ContainsFunc(f.Instances, func(fi FleetInstance) bool { return fi.Name == in.Name && kept(fi) }) {
					start(in.Name)
				}
			}
			if len(failed) == 0 {
				stop(nil)
			}
		}
		// The fleet runs the planned version once every instance does.
		if !slices.ContainsFunc(f.Instances, func(in FleetInstance) bool { return !kept(in) }) && len(f.Instances) == len(target) {
			f.Version, f.Replicas = fc.version, fc.replicas
		}
		st.Fleets[f.ID] = f
		return nil
	})
	if err != nil {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: errDiag("Cannot write the store", err.Error())}
	}
	top := req.PlannedState
	if f.Version != fc.version && !isNull(req.PriorState) {
		top = req.PriorState
	}
	newState := fleetValue(top, f.ID, f.instances())
	if err := p.wait(ctx, s.delay); err != nil {
		return providers.ApplyResourceChangeResponse{NewState: newState, Diagnostics: errDiag("Apply interrupted", err.Error())}
	}
	if len(failed) > 0 {
		return providers.ApplyResourceChangeResponse{NewState: newState, Resumable: true, Diagnostics: hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Instances of fleet " + fc.name + " failed",
			Detail: fmt.Sprintf("%v did not get ready on version %s.", failed, fc.version)}}}
	}
	return providers.ApplyResourceChangeResponse{NewState: newState}
}

// readFleets refreshes fleets from the store.
func (p *Provider) readFleet(st *Store, o providers.ReadObject) providers.ReadResult {
	r := providers.ReadResult{ID: o.ID, Private: o.Private}
	fc := decodeFleet(o.State)
	f := st.Fleets[fc.id]
	if f == nil {
		r.Gone, r.NewState = true, cty.NullVal(o.State.Type())
		return r
	}
	r.NewState = fleetValue(o.State, f.ID, f.instances())
	return r
}
