package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/core/rollout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
)

// A canary rollout spans runs: berth apply starts the canary and pauses
// (the state records it, state.Canary), berth rollout promote or abort
// ends it. planCanary decides which part a change carries out; the apply
// hands that part to the rollout driver (core/rollout, canary.go).

// planCanary sets which part of a canary rollout change carries out,
// from the canary its state records (rec, nil for none), the rollout the
// provider planned, and what the run asks for (asked: CanaryPromote or
// CanaryAbort from berth rollout, CanaryNone from plan and apply).
func planCanary(change *plans.ResourceChange, rec *state.Canary, asked plans.CanaryPart) hcl.Diagnostics {
	addr := change.Addr
	switch asked {
	case plans.CanaryAbort, plans.CanaryPromote:
		if rec == nil {
			return errDiag("No canary in progress",
				fmt.Sprintf("%s has no canary rollout in progress to %s; berth rollout status %s shows its instances.", addr, asked, addr), nil)
		}
		if asked == plans.CanaryAbort {
			// The canary goes and the recorded spec stays, whatever the
			// configuration says now.
			change.Action, change.After, change.Rollout, change.Canary = plans.Update, change.Before, nil, plans.CanaryAbort
			return nil
		}
		if (change.Action != plans.Update && change.Action != plans.NoOp) || !canarySpec(rec, change.After) {
			return errDiag("Canary not promotable",
				fmt.Sprintf("The configuration of %s no longer asks for the spec its canary runs (%s): run berth apply to replan the canary with the configuration, or berth rollout abort %s to remove it.", addr, describeCanarySpec(rec), addr), nil)
		}
		finishing(change)
		change.Canary = plans.CanaryPromote
		return nil
	}
	switch {
	case change.Action == plans.Delete:
	case rec != nil && change.Action == plans.NoOp && canarySpec(rec, change.After):
		// Every instance runs the canary's spec and nothing else (a
		// promote interrupted before the canary was retired): what is
		// left is retiring it.
		finishing(change)
		change.Canary = plans.CanaryPromote
	case change.Action == plans.NoOp:
		if rec != nil {
			// The recorded spec is the one asked for again: the canary
			// of another one goes.
			change.Action, change.Canary = plans.Update, plans.CanaryReplan
		}
	case rec != nil && change.Rollout == nil && change.Action == plans.Update && canarySpec(rec, change.After):
		// Every name already runs the canary's spec (a canary as large
		// as the app, or a promote interrupted in its last wave): the
		// provider plans no wave. A canary strategy confirms the canary;
		// a rolling one finishes it.
		finishing(change)
		change.Canary = plans.CanaryPromote
		if c := configuredCanary(change.After); c != nil {
			change.Rollout.Canary = c
			change.Canary = plans.CanaryStart
		}
	case rec != nil && (change.Action != plans.Update || !canarySpec(rec, change.After)):
		change.Canary = plans.CanaryReplan
	case change.Rollout != nil && change.Rollout.Canary != nil:
		change.Canary = plans.CanaryStart
	case rec != nil && change.Rollout != nil:
		// The strategy is rolling now: the canary's spec rolls out.
		change.Canary = plans.CanaryPromote
	case rec != nil:
		change.Canary = plans.CanaryReplan
	}
	return nil
}

// finishing gives change a rollout without waves, if it has none: the
// canary part then only places, confirms or retires the canary, and
// removes what runs beside the instances of the new spec.
func finishing(change *plans.ResourceChange) {
	if change.Action == plans.NoOp {
		change.Action = plans.Update
	}
	if change.Rollout == nil {
		change.Rollout = &providers.Rollout{AutoRevert: true}
	}
}

// configuredCanary is the canary the configuration of an app asks for
// (its planned state's rollout block), nil for a rolling update.
func configuredCanary(planned cty.Value) *providers.Canary {
	spec, err := app.Decode(app.StripComputed(planned))
	if err != nil || spec.Rollout.Canary == nil {
		return nil
	}
	return &providers.Canary{Instances: spec.Rollout.Canary.Instances, Weight: spec.Rollout.Canary.Weight}
}

// canarySpec reports whether planned (an app's planned state) asks for
// the spec the canary rec runs; a part not known yet counts as the same.
func canarySpec(rec *state.Canary, planned cty.Value) bool {
	digest, hash := app.Str(planned, "image_digest"), app.Str(planned, "config_hash")
	return (digest == "" || digest == rec.ImageDigest) && (hash == "" || hash == rec.ConfigHash)
}

func describeCanarySpec(rec *state.Canary) string {
	if rec.ImageDigest != "" {
		return "image " + rec.ImageDigest
	}
	return "config " + rec.ConfigHash
}

// runCanary carries out the canary part of change with driver d, from
// prior to planned, and records the canary in the state: set once its
// instances take their share, cleared once it is promoted or removed.
func (a *applyWalker) runCanary(ctx context.Context, d *rollout.Driver, change *plans.ResourceChange, prior, planned cty.Value, ro *providers.Rollout) (cty.Value, hcl.Diagnostics) {
	addr := change.Addr
	part := change.Canary
	if part == plans.CanaryReplan {
		// The canary of the previous spec is gone (retireCanary): the
		// change rolls out as planned, with a canary of its own or not.
		part = plans.CanaryNone
		if ro.Canary != nil {
			part = plans.CanaryStart
		}
	}
	switch part {
	case plans.CanaryStart:
		// The record comes first, written before anything is placed: a
		// kill at any later moment leaves a canary the state knows of,
		// which berth rollout abort can remove.
		rec := &state.Canary{
			Instances: rollout.CanaryNames(prior, planned, ro), Weight: ro.Canary.Weight, Started: time.Now().UTC(),
			ImageDigest: app.Str(planned, "image_digest"), ConfigHash: app.Str(planned, "config_hash"),
		}
		if old := a.ss.Instance(addr); old != nil && old.Canary != nil && canarySpec(old.Canary, planned) {
			rec.Started = old.Canary.Started // the same canary, confirmed
		}
		a.setCanary(addr, rec)
		if err := a.persist.Flush(ctx); err != nil {
			return prior, errDiag("Canary not started", fmt.Sprintf("%s: the state could not be written before the canary started: %v. Nothing was started.", addr, err), nil)
		}
		val, canary, diags := d.Canary(ctx, prior, planned, ro)
		if diags.HasErrors() {
			if d.Retired {
				a.setCanary(addr, nil) // removed by the revert
			}
			return val, diags
		}
		confirmed := *rec
		confirmed.Instances = nil
		for _, in := range canary {
			confirmed.Instances = append(confirmed.Instances, in.Name)
		}
		a.setCanary(addr, &confirmed)
		return val, hcl.Diagnostics{canaryPaused(addr, &confirmed, change.Routers)}
	case plans.CanaryPromote:
		val, diags := d.Promote(ctx, prior, planned, ro)
		if d.Retired {
			a.setCanary(addr, nil)
		}
		return val, diags
	}
	return d.Run(ctx, prior, planned, ro)
}

// setCanary records rec as the canary of addr (nil: none) and has the
// state written.
func (a *applyWalker) setCanary(addr addrs.Instance, rec *state.Canary) {
	a.ss.SetCanary(addr, rec)
	a.persist.Changed()
}

// canaryPaused is the warning that ends the apply of a canary: where the
// rollout stands and the two commands that go on from there.
func canaryPaused(addr addrs.Instance, rec *state.Canary, routers []addrs.Instance) *hcl.Diagnostic {
	share := "No load balancer routes to the app, so the canary serves as the other instances do."
	if len(routers) > 0 {
		var rs []string
		for _, r := range routers {
			rs = append(rs, r.String())
		}
		share = fmt.Sprintf("It takes %d%% of the traffic of %s.", rec.Weight, strings.Join(rs, ", "))
	}
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: fmt.Sprintf("Rollout of %s paused at its canary", addr),
		Detail: fmt.Sprintf("The canary (%s) runs the new spec beside the previous instances. %s Watch it with berth rollout status %s, then run berth rollout promote %s to roll the new spec out to every instance, or berth rollout abort %s to remove the canary.",
			strings.Join(rec.Instances, ", "), share, addr, addr, addr)}
}

// abortCanary carries out berth rollout abort of change's object: the
// canary is retired on the routers, then the object reverts to its
// recorded spec. The configuration is not read: what the state records
// is where the object goes back to.
func (a *applyWalker) abortCanary(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, typeName string) (cty.Value, hcl.Diagnostics) {
	start := time.Now()
	a.e.emit(Event{Type: EventApplyStart, Addr: change.Addr, Action: change.Action})
	stopTicker := a.progress(change.Addr, change.Action, start)
	diags := a.retireCanary(ctx, entry, change, typeName)
	stopTicker()
	if diags.HasErrors() {
		a.e.emit(Event{Type: EventApplyErrored, Addr: change.Addr, Action: change.Action, Elapsed: time.Since(start), Message: diags[0].Summary})
	} else {
		a.e.emit(Event{Type: EventApplyComplete, Addr: change.Addr, Action: change.Action, Elapsed: time.Since(start)})
	}
	return a.currentValue(change.Addr), diags
}

// retireCanary removes the canary recorded for change's object (an
// abort) and clears the record once it is gone.
func (a *applyWalker) retireCanary(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, typeName string) hcl.Diagnostics {
	obj := a.ss.Instance(change.Addr)
	if obj == nil {
		return nil
	}
	a.e.emit(Event{Type: EventCanary, Addr: change.Addr, Action: change.Action, Message: "moving all traffic back to the stable instances, then removing the canary"})
	// The recorded value is the spec to go back to; it also stands for
	// the configuration, which the steps of a revert do not read.
	d := a.driver(entry, change, typeName, obj.Value, obj.Private, &providers.Rollout{})
	_, diags := d.Abort(ctx, obj.Value, obj.Value)
	if d.Retired {
		// The routers send the canary nothing any more; what the revert
		// left (if it failed) is an interrupted rollout, not a canary.
		a.setCanary(change.Addr, nil)
	}
	return diags
}

// pausedValue is the value what depends on change's object is planned
// with: its planned state, except for a change that pauses at a canary,
// aborts one, or finishes a promote without waves (planCanary). The
// first two end with the recorded spec and instances known only once
// applied (the provider records the new spec only once every instance
// runs it); the last keeps its instances, but the canary's leave their
// canary group. What depends on them (what routes to them) sees the
// recorded attributes, and instances known after apply.
func pausedValue(change *plans.ResourceChange) cty.Value {
	ro := change.Rollout
	v := change.Before
	switch {
	case change.Canary == plans.CanaryStart || change.Canary == plans.CanaryAbort:
	case change.Canary == plans.CanaryReplan && ro != nil && ro.Canary != nil:
	case change.Canary == plans.CanaryPromote && (ro == nil || len(ro.Waves) == 0):
		v = change.After
	default:
		return change.After
	}
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute("instances") {
		return change.After
	}
	attrs := v.AsValueMap()
	attrs["instances"] = cty.UnknownVal(v.Type().AttributeType("instances"))
	return cty.ObjectVal(attrs)
}

// canaryTargets are the objects a plan covers: opts.Targets, or for
// berth rollout promote and abort (opts.Canary) the app and the load
// balancers routing to it, whose recorded view of the app changes with
// it (and what they depend on, as -target plans it).
func canaryTargets(cfg *lang.Config, prior *state.State, opts PlanOptions) ([]addrs.Instance, hcl.Diagnostics) {
	if len(opts.Canary) == 0 || len(opts.Targets) > 0 {
		return opts.Targets, nil
	}
	var targets []addrs.Instance
	idx := routersIn(prior)
	for key := range opts.Canary {
		addr, err := addrs.ParseInstance(key)
		if err != nil {
			return nil, errDiag("Invalid address", err.Error(), nil)
		}
		if prior.Instance(addr) == nil {
			return nil, errDiag("No such object", fmt.Sprintf("%s is not in the state: there is no rollout of it to %s.", addr, opts.Canary[key]), nil)
		}
		if cfg.Resources[addr.Resource.String()] == nil {
			// Its plan would be its destroy.
			return nil, errDiag("App not in the configuration",
				fmt.Sprintf("%s is in the state but no longer in the configuration; put its block back to %s its canary (berth apply without it destroys the app, canary and all).", addr, opts.Canary[key]), nil)
		}
		targets = append(targets, addr)
		targets = append(targets, idx.of(addr)...)
	}
	return targets, nil
}
