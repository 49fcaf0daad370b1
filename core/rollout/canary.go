package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// A canary rollout (providers.Rollout.Canary) runs in three parts, each
// its own berth command:
//
//	canary   berth apply: the canary instances start beside the old ones,
//	         become the routers' canary (Hooks.Canary with the weight),
//	         and the rollout pauses; the state records the canary.
//	promote  berth rollout promote: the waves run as a rolling update
//	         (the canary instances, already on the new spec, join the
//	         stable traffic in their wave), then the canary is retired.
//	abort    berth rollout abort: the canary is retired first (all
//	         traffic back to the stable instances, verified), then the
//	         object reverts to the state recorded before the canary.

// CanaryNames are the names of the instances a canary rollout from
// prior to planned runs as its canary: those that already run planned's
// spec beside an instance of the previous one (a canary started by an
// earlier run; the provider plans no work for them), then the first
// members of the waves, up to ro.Canary.Instances.
func CanaryNames(prior, planned cty.Value, ro *providers.Rollout) []string {
	if ro == nil || ro.Canary == nil {
		return nil
	}
	target := app.DecodeTarget(planned)
	now := app.DecodeInstances(prior)
	var names []string
	add := func(n string) {
		if len(names) < ro.Canary.Instances && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, in := range keptReady(target, now, nil) {
		if slices.ContainsFunc(now, func(o app.Instance) bool { return o.Name == in.Name && !app.Keeps(target, o) }) {
			add(in.Name)
		}
	}
	for _, w := range ro.Waves {
		for _, in := range w.Instances {
			add(in.Name)
		}
	}
	return names
}

// Canary carries out the canary phase of a canary rollout from prior (the
// state recorded now) to planned: the canary instances start beside the
// old ones, must turn ready, and the routers give them the canary's
// weight. It returns what exists afterwards and the canary instances.
// Run again with the same plan, it changes nothing.
func (d *Driver) Canary(ctx context.Context, prior, planned cty.Value, ro *providers.Rollout) (cty.Value, []app.Instance, hcl.Diagnostics) {
	names := CanaryNames(prior, planned, ro)
	if len(names) == 0 {
		return prior, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Canary without instances",
			Detail: fmt.Sprintf("%s: the rollout plans a canary, but no instance is replaced.", d.Object)}}
	}
	target := app.DecodeTarget(planned)
	if d.stopped() {
		return prior, nil, interrupted(fmt.Sprintf("%s: stopped before the canary started.", d.Object))
	}
	d.emit(Event{Kind: CanaryStarted, Waves: len(ro.Waves), Weight: ro.Canary.Weight, Names: names})
	cur, diags := d.step(ctx, prior, planned, providers.RolloutStep{Kind: providers.StepStart, Wave: 1, Instances: names, HoldFor: ro.MinHealthy})
	if !diags.HasErrors() {
		now := app.DecodeInstances(cur)
		if missing := notReady(target, now, names); len(missing) > 0 {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Canary of %s failed", d.Object),
				Detail: fmt.Sprintf("The provider reported the canary started, but %s did not run ready on the new spec.", strings.Join(missing, ", "))})
		} else if err := d.hooks().Canary(ctx, ro.Canary.Weight, keptReady(target, now, names)); err != nil {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Canary of %s failed", d.Object),
				Detail: fmt.Sprintf("Failed giving the canary %d%% of the traffic: %v.", ro.Canary.Weight, err)})
		}
	}
	if !diags.HasErrors() {
		canary := keptReady(target, app.DecodeInstances(cur), names)
		d.emit(Event{Kind: CanaryReady, Waves: len(ro.Waves), Weight: ro.Canary.Weight, Names: names})
		return cur, canary, nil
	}
	if d.stopped() {
		return cur, nil, interrupted(fmt.Sprintf("%s: interrupted during the canary; the state records the instances as they are. Run berth apply to start the canary again, or berth rollout abort %s to remove it.", d.Object, d.Object))
	}
	if !ro.AutoRevert || d.lost {
		return cur, nil, diags
	}
	d.emit(Event{Kind: RevertStarted, Waves: len(ro.Waves), Names: names})
	cur, rd := d.Abort(ctx, cur, prior)
	outcome := " The canary was removed; the app runs the previous spec."
	if rd.HasErrors() {
		outcome = " Removing the canary did not complete either (see below); the state records the instances as they are."
	}
	for _, x := range diags {
		if x.Severity == hcl.DiagError {
			x.Detail = sentence(x.Detail) + outcome
		}
	}
	return cur, nil, diags.Extend(rd)
}

// Promote completes a canary rollout: the waves run as a rolling update
// towards planned (the canary instances are kept; each joins the stable
// traffic in its wave before the old instance of its name leaves), and
// then the routers retire the canary, whose instances now serve as
// stable ones. A failed wave reverts as a rolling update does, and the
// canary is retired then too.
func (d *Driver) Promote(ctx context.Context, prior, planned cty.Value, ro *providers.Rollout) (cty.Value, hcl.Diagnostics) {
	d.canary = true
	// The canary instances already run the new spec: the provider plans
	// no work for them, so no wave would admit them to the stable traffic
	// before the old instances of their names leave. They join first.
	target := app.DecodeTarget(planned)
	cur := prior
	if len(ro.Waves) == 0 {
		// Every name already runs the new spec (a canary as large as the
		// app, a promote interrupted after its last wave started, or
		// killed before its steps' results were written): a start of
		// every name starts none and reports what runs, the app on the
		// new spec once nothing of the old one is left, so that the
		// state records the spec whatever the last step recorded.
		var diags hcl.Diagnostics
		names := targetNames(target)
		if cur, diags = d.step(ctx, cur, planned, providers.RolloutStep{Kind: providers.StepStart, Wave: 1, Instances: names}); diags.HasErrors() {
			return cur, diags
		}
		if missing := notReady(target, app.DecodeInstances(cur), names); len(missing) > 0 {
			return cur, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Promote of %s failed", d.Object),
				Detail: fmt.Sprintf("Every instance was to run the new spec already, but %s did not run ready on it; the canary keeps its share.", strings.Join(missing, ", "))}}
		}
	}
	if err := d.hooks().AfterReady(ctx, 1, keptReady(target, app.DecodeInstances(cur), nil)); err != nil {
		return cur, hcl.Diagnostics{hookFailed(d.Object, "admitting the canary instances to the stable traffic in", 1, err)}
	}
	cur, diags := d.Run(ctx, cur, planned, ro)
	if len(ro.Waves) == 0 && !diags.HasErrors() {
		// Every instance already runs the new spec beside what is left
		// of the old one (a canary as large as the app, or a promote
		// interrupted after its last wave started): those go.
		cur, diags = d.stop(ctx, cur, planned, target, 0, leftovers(target, app.DecodeInstances(cur), nil))
	}
	if diags.HasErrors() && (d.stopped() || d.lost || !ro.AutoRevert) {
		// Stopped, or not reverted: the canary keeps its share, and the
		// state says where the rollout is.
		return cur, diags
	}
	if diags.HasErrors() {
		return cur, diags // reverted: the revert retired the canary first
	}
	if err := d.retire(ctx); err != nil {
		return cur, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Canary of %s not retired", d.Object),
			Detail: fmt.Sprintf("Failed moving all traffic back to the stable instances: %v.", err)})
	}
	return cur, diags
}

// Abort ends a canary rollout without promoting it: the routers retire
// the canary first (all traffic back to the stable instances, read back,
// and only then the canary's instances drained from it), then the object
// reverts to prior, the state recorded before the canary: the instances
// on the recorded spec run (started again where a promote had replaced
// them) and the others stop.
func (d *Driver) Abort(ctx context.Context, cur, prior cty.Value) (cty.Value, hcl.Diagnostics) {
	if d.stopped() {
		return cur, interrupted(fmt.Sprintf("%s: stopped before the canary was removed.", d.Object))
	}
	if err := d.retire(ctx); err != nil {
		return cur, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Canary of %s not removed", d.Object),
			Detail: fmt.Sprintf("Failed moving all traffic back to the stable instances: %v. Nothing was stopped.", err)}}
	}
	return d.revert(ctx, cur, prior)
}

// retire retires the canary on the routers (Hooks.Canary with weight 0)
// and notes that it did: the canary's record may then go.
func (d *Driver) retire(ctx context.Context) error {
	if err := d.hooks().Canary(ctx, 0, nil); err != nil {
		return err
	}
	d.Retired = true
	return nil
}
