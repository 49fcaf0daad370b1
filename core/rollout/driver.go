// Package rollout is berth's one rollout driver: it carries out a change
// that a provider planned in waves (providers.Rollout), one step at a
// time, whatever the platform.
//
// The contract (docs/providers.md, "Rollouts"): the provider plans the
// waves and their members, starts and stops instances when asked
// (providers.StepStart, StepStop), probes them the platform's way and
// reports every instance in the app contract's shape (platform/app). The
// driver sequences the waves, gates each on the provider's report (every
// member has an instance the plan keeps: ready, on the new spec), runs the
// Hooks around each wave (old instances leave traffic and drain before
// they stop; new instances join only once ready), reverts a failed wave
// when the rollout auto-reverts, and stops between steps when berth is
// interrupted (a rollout stops where it is, without reverting).
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

// Driver drives the rollout of one object.
type Driver struct {
	// Object names the object in messages ("app.web").
	Object string
	// Apply performs one step (an ApplyResourceChange of the object with
	// planned as its PlannedState, and PriorState what exists now), records
	// what the provider reports and returns it: cty.NilVal when the
	// provider could not say (it crashed).
	Apply func(ctx context.Context, planned cty.Value, step providers.RolloutStep) (cty.Value, hcl.Diagnostics)
	// Hooks run around each wave; nil: none.
	Hooks Hooks
	// Events, when set, sees the waves start, complete and revert.
	Events func(Event)
	// Stopped reports that berth is stopping: no step starts after it
	// says so. Nil: never.
	Stopped func() bool

	// lost is set once a step could not say what exists.
	lost bool
	// canary is set while a canary rollout is promoted: a revert then
	// retires the canary before any instance stops.
	canary bool

	// Retired is set once the routers retired the app's canary (a
	// promote's or abort's Hooks.Canary with weight 0 succeeded): only
	// then may the state forget the canary.
	Retired bool
}

// Run rolls the object out from prior (the state recorded before the
// rollout) to planned, as ro says, and returns what exists afterwards
// (what the last step reported).
func (d *Driver) Run(ctx context.Context, prior, planned cty.Value, ro *providers.Rollout) (cty.Value, hcl.Diagnostics) {
	cur := prior
	n := len(ro.Waves)
	target := app.DecodeTarget(planned)
	for i, w := range ro.Waves {
		wave := i + 1
		if d.stopped() {
			return cur, interrupted(fmt.Sprintf("%s: stopped before wave %d of %d; the state records the instances as they are.", d.Object, wave, n))
		}
		d.emit(Event{Kind: WaveStarted, Wave: wave, Waves: n, Instances: w.Instances})
		var diags hcl.Diagnostics
		cur, diags = d.wave(ctx, cur, planned, target, ro, w, wave, wave == n)
		if !diags.HasErrors() {
			d.emit(Event{Kind: WaveCompleted, Wave: wave, Waves: n, Instances: w.Instances})
			continue
		}
		if d.stopped() {
			// An interrupt is not a failed wave: nothing more starts, not
			// even a revert; the state says which instances run what.
			return cur, interrupted(fmt.Sprintf("%s: interrupted during wave %d of %d; the state records the instances as they are, some on the new spec and some on the previous one. Run berth apply to finish the rollout, or apply the previous configuration to go back.", d.Object, wave, n))
		}
		if !ro.AutoRevert || d.lost {
			// Without a report of what exists (the provider crashed),
			// nothing more is started: the next refresh finds the truth.
			return cur, diags
		}
		d.emit(Event{Kind: RevertStarted, Wave: wave, Waves: n, Instances: w.Instances})
		var rd hcl.Diagnostics
		cur, rd = d.revert(ctx, cur, prior)
		outcome := " The rollout was reverted to the previous spec."
		if rd.HasErrors() {
			outcome = " Reverting to the previous spec did not complete either (see below); the state records the instances as they are."
		}
		for _, x := range diags {
			if x.Severity == hcl.DiagError {
				x.Detail = sentence(x.Detail) + outcome
			}
		}
		return cur, diags.Extend(rd)
	}
	return cur, nil
}

// wave carries out one wave: its first MaxUnavailable old instances
// stop; its instances start and are gated; the new ones join traffic, the
// old ones leave it and stop. The last wave also removes what the plan
// does not keep (the surplus of a scale-down, stale instances).
func (d *Driver) wave(ctx context.Context, cur, planned cty.Value, target []app.Instance, ro *providers.Rollout, w providers.Wave, wave int, last bool) (cty.Value, hcl.Diagnostics) {
	names := make([]string, len(w.Instances))
	for i, in := range w.Instances {
		names[i] = in.Name
	}
	if k := min(ro.MaxUnavailable, len(names)); k > 0 {
		next, diags := d.stop(ctx, cur, planned, target, wave, names[:k])
		if diags.HasErrors() {
			return next, diags
		}
		cur = next
	}
	var diags hcl.Diagnostics
	if d.stopped() {
		return cur, diags.Extend(interrupted(fmt.Sprintf("%s: stopped before the instances of wave %d started.", d.Object, wave)))
	}
	cur, sd := d.step(ctx, cur, planned, providers.RolloutStep{Kind: providers.StepStart, Wave: wave, Instances: names, HoldFor: ro.MinHealthy})
	diags = diags.Extend(sd)
	if sd.HasErrors() {
		return cur, diags
	}
	now := app.DecodeInstances(cur)
	if missing := notReady(target, now, names); len(missing) > 0 {
		return cur, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Wave %d of %s failed", wave, d.Object),
			Detail: fmt.Sprintf("The provider reported wave %d done, but %s did not run ready on the new spec.", wave, strings.Join(missing, ", "))})
	}
	// Every ready instance the plan keeps of the wave's names joins, not
	// only those this step started: one that an interrupted run started
	// (and never admitted) must not be the wave's only instance of a name
	// when the old one leaves. Admitting a registered one costs nothing.
	if err := d.hooks().AfterReady(ctx, wave, keptReady(target, now, names)); err != nil {
		return cur, diags.Append(hookFailed(d.Object, "admitting the new instances of", wave, err))
	}
	stop := names
	if last {
		stop = leftovers(target, now, names)
	}
	next, xd := d.stop(ctx, cur, planned, target, wave, stop)
	return next, diags.Extend(xd)
}

// stop drains (BeforeStop) and stops the instances of names that planned
// does not keep; nothing is called when there are none.
func (d *Driver) stop(ctx context.Context, cur, planned cty.Value, target []app.Instance, wave int, names []string) (cty.Value, hcl.Diagnostics) {
	var leaving []app.Instance
	for _, in := range app.DecodeInstances(cur) {
		if slices.Contains(names, in.Name) && !app.Keeps(target, in) {
			leaving = append(leaving, in)
		}
	}
	if len(leaving) == 0 {
		return cur, nil
	}
	if d.stopped() {
		return cur, interrupted(fmt.Sprintf("%s: stopped before the old instances of wave %d were removed.", d.Object, wave))
	}
	if err := d.hooks().BeforeStop(ctx, wave, leaving); err != nil {
		return cur, hcl.Diagnostics{hookFailed(d.Object, "draining the old instances of", wave, err)}
	}
	return d.step(ctx, cur, planned, providers.RolloutStep{Kind: providers.StepStop, Wave: wave, Instances: names})
}

// step applies one step and returns what the provider reports exists, or
// cur when it could not say (lost is then set).
func (d *Driver) step(ctx context.Context, cur, planned cty.Value, s providers.RolloutStep) (cty.Value, hcl.Diagnostics) {
	next, diags := d.Apply(ctx, planned, s)
	if next == cty.NilVal {
		d.lost = true
		if !diags.HasErrors() {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Rollout step without a result",
				Detail: fmt.Sprintf("%s: the provider did not say what exists after a step; the next refresh reads it.", d.Object)})
		}
		return cur, diags
	}
	return next, diags
}

// targetNames are the names of target's instances, each once.
func targetNames(target []app.Instance) []string {
	var names []string
	for _, in := range target {
		if !slices.Contains(names, in.Name) {
			names = append(names, in.Name)
		}
	}
	return names
}

// revert brings the object back to prior, the state recorded before the
// rollout: every instance prior lists runs the recorded spec again, ready
// (app.DecodeTarget: also those that an earlier, interrupted rollout had
// moved on), before the new and failed ones go.
func (d *Driver) revert(ctx context.Context, cur, prior cty.Value) (cty.Value, hcl.Diagnostics) {
	if d.canary {
		if err := d.retire(ctx); err != nil {
			return cur, hcl.Diagnostics{hookFailed(d.Object, "retiring the canary before", 0, err)}
		}
	}
	target := app.DecodeTarget(prior)
	names := targetNames(target)
	cur, diags := d.step(ctx, cur, prior, providers.RolloutStep{Kind: providers.StepStart, Instances: names})
	if diags.HasErrors() {
		return cur, diags
	}
	now := app.DecodeInstances(cur)
	// Every instance the revert keeps joins traffic again, not only those
	// it started: an old instance drained before the wave failed (its stop
	// did not come) must be taken back before the new ones leave.
	if err := d.hooks().AfterReady(ctx, 0, keptReady(target, now, nil)); err != nil {
		return cur, diags.Append(hookFailed(d.Object, "admitting the reverted instances of", 0, err))
	}
	next, sd := d.stop(ctx, cur, prior, target, 0, leftovers(target, now, names))
	return next, diags.Extend(sd)
}

func (d *Driver) hooks() Hooks {
	if d.Hooks == nil {
		return NoHooks{}
	}
	return d.Hooks
}

func (d *Driver) stopped() bool { return d.Stopped != nil && d.Stopped() }

func (d *Driver) emit(ev Event) {
	if d.Events != nil {
		d.Events(ev)
	}
}

// notReady lists the names that have no instance target keeps in now.
func notReady(target, now []app.Instance, names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(now, func(in app.Instance) bool { return in.Name == n && app.Keeps(target, in) }) {
			out = append(out, n)
		}
	}
	return out
}

// keptReady lists the instances of now that target keeps and that are
// ready, of names (nil: of every name).
func keptReady(target, now []app.Instance, names []string) []app.Instance {
	var out []app.Instance
	for _, in := range now {
		if in.Ready && app.Keeps(target, in) && (names == nil || slices.Contains(names, in.Name)) {
			out = append(out, in)
		}
	}
	return out
}

// leftovers are names, and the names of every instance in now that
// target does not keep: what the end of a rollout removes.
func leftovers(target, now []app.Instance, names []string) []string {
	out := slices.Clone(names)
	for _, in := range now {
		if !app.Keeps(target, in) && !slices.Contains(out, in.Name) {
			out = append(out, in.Name)
		}
	}
	return out
}

func interrupted(detail string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Rollout interrupted", Detail: detail}}
}

func hookFailed(object, doing string, wave int, err error) *hcl.Diagnostic {
	what := fmt.Sprintf("wave %d", wave)
	if wave == 0 {
		what = "the revert"
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Rollout of %s stopped", object),
		Detail: fmt.Sprintf("Failed %s %s: %v.", doing, what, err)}
}

// sentence ends s with a full stop, so another sentence can follow it.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}
