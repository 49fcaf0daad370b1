package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
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

// Routers are the objects that route traffic to an app: the load
// balancers with a target of it. While the app rolls out, each wave's old
// instances leave them (drained) before they stop, and the new ones join
// them once ready (docs/providers.md, "Traffic").
//
// An object routes to an app when its state records that it depends on
// the app: a load balancer that is only now given a target of the app
// has none of its instances yet, so there is nothing to drain, and one
// created in this run does not exist while the app rolls out.
type routers map[addrs.Resource][]addrs.Instance

// routersIn indexes the routers recorded in st by the apps they route to.
func routersIn(st *state.State) routers {
	idx := routers{}
	if st == nil {
		return idx
	}
	for addr, obj := range st.AllInstances() {
		if addr.Resource.Mode != addrs.Managed || addr.Resource.Type != lang.KindLoadBalancer || obj.Value.IsNull() {
			continue
		}
		for _, d := range obj.Dependencies {
			if d.Mode == addrs.Managed && d.Type == lang.KindApp {
				idx[d] = append(idx[d], addr)
			}
		}
	}
	for _, rs := range idx {
		slices.SortFunc(rs, func(a, b addrs.Instance) int { return strings.Compare(a.String(), b.String()) })
	}
	return idx
}

// of lists the routers of the app at addr.
func (r routers) of(addr addrs.Instance) []addrs.Instance {
	return r[addr.Resource]
}

// trafficHooks are the rollout hooks of an app with routers: each hook is
// a StepDrain or StepAdmit applied to every router, one after another,
// and what each reports is recorded at once.
type trafficHooks struct {
	a        *applyWalker
	app      addrs.Instance
	routers  []addrs.Instance
	deadline time.Duration
}

// BeforeStop drains the leaving instances from every router.
func (h *trafficHooks) BeforeStop(ctx context.Context, wave int, leaving []app.Instance) error {
	return h.step(ctx, providers.StepDrain, wave, leaving)
}

// AfterReady admits the joining instances to every router.
func (h *trafficHooks) AfterReady(ctx context.Context, wave int, joining []app.Instance) error {
	return h.step(ctx, providers.StepAdmit, wave, joining)
}

// Canary makes the canary instances the app's canary at weight percent
// on every router, or retires the canary there (weight 0).
func (h *trafficHooks) Canary(ctx context.Context, weight int, canary []app.Instance) error {
	return h.apply(ctx, providers.RolloutStep{Kind: providers.StepCanary, Traffic: h.change(canary, weight)})
}

func (h *trafficHooks) step(ctx context.Context, kind providers.StepKind, wave int, ins []app.Instance) error {
	if len(ins) == 0 {
		return nil
	}
	return h.apply(ctx, providers.RolloutStep{Kind: kind, Wave: wave, Traffic: h.change(ins, 0)})
}

// change is a traffic change of the app's instances ins.
func (h *trafficHooks) change(ins []app.Instance, weight int) *providers.TrafficChange {
	id := app.Str(h.a.currentValue(h.app), "deployment_id")
	return &providers.TrafficChange{AppID: id, Instances: ins, Deadline: h.deadline, Weight: weight}
}

// apply applies step to every router, one after another.
func (h *trafficHooks) apply(ctx context.Context, step providers.RolloutStep) error {
	for _, r := range h.routers {
		if diags := h.a.route(ctx, r, step); diags.HasErrors() {
			return diagsError(r, diags)
		}
	}
	return nil
}

// route applies one traffic step to the router at addr, as recorded now,
// and records what it reports. Steps of one router are serialised: two
// apps behind one load balancer may roll out at once, and each step
// starts from what the previous one reported.
func (a *applyWalker) route(ctx context.Context, addr addrs.Instance, step providers.RolloutStep) hcl.Diagnostics {
	mu := a.routerLock(addr)
	mu.Lock()
	defer mu.Unlock()
	if c := a.changes[addr.String()]; c != nil && c.Action == plans.Delete {
		return nil // this run destroys it: its targets go with it
	}
	res := a.ss.Resource(addr.Resource)
	obj := a.ss.Instance(addr)
	if res == nil || obj == nil || obj.Value.IsNull() {
		return nil // destroyed meanwhile: nothing routes there any more
	}
	entry, diags := a.ps.get(ctx, res.Provider, nil)
	if diags.HasErrors() {
		return diags
	}
	change := &plans.ResourceChange{Addr: addr, Provider: entry.name, Action: plans.Update, Dependencies: obj.Dependencies}
	req := providers.ApplyResourceChangeRequest{
		TypeName: providerTypeName(entry.name, addr.Resource.Type), PriorState: obj.Value, PlannedState: obj.Value,
		Config: cty.NullVal(obj.Value.Type()), PlannedPrivate: obj.Private, Step: step,
	}
	newState, private, _, d := a.invoke(ctx, entry, change, plans.Update, req, false)
	if newState != cty.NilVal && !newState.IsNull() {
		a.record(entry, change, newState, private, "", false)
	}
	return diags.Extend(d)
}

// routerLock is the lock of the router at addr: its traffic steps and its
// own change take it, so that neither records over the other.
func (a *applyWalker) routerLock(addr addrs.Instance) *sync.Mutex {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.routerMu == nil {
		a.routerMu = map[string]*sync.Mutex{}
	}
	k := addr.String()
	if a.routerMu[k] == nil {
		a.routerMu[k] = &sync.Mutex{}
	}
	return a.routerMu[k]
}

// hooksFor gives the hooks of a rollout of the app at addr: the
// engine's own when set (tests, and the test-only switch that turns the
// coordination off), else the traffic hooks of its routers.
func (a *applyWalker) hooksFor(addr addrs.Instance, ro *providers.Rollout) rollout.Hooks {
	if a.e.RolloutHooks != nil {
		return a.e.RolloutHooks(addr)
	}
	rs := a.routers().of(addr)
	if len(rs) == 0 {
		return nil
	}
	return &trafficHooks{a: a, app: addr, routers: rs, deadline: ro.HealthyDeadline}
}

// routers indexes the routers the state recorded when the apply began.
func (a *applyWalker) routers() routers {
	a.routersOnce.Do(func() { a.routerIdx = routersIn(a.ss.Snapshot()) })
	return a.routerIdx
}

// diagsError is a router's failure as the rollout driver reports it: the
// router's address and its error diagnostics' summaries and details.
func diagsError(addr addrs.Instance, diags hcl.Diagnostics) error {
	var parts []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		s := strings.TrimSuffix(d.Summary, ".")
		if d.Detail != "" {
			s += ": " + strings.TrimSuffix(d.Detail, ".")
		}
		parts = append(parts, s)
	}
	return fmt.Errorf("%s: %s", addr, strings.Join(parts, "; "))
}

// drainRemoved drains, from the routers of the app at addr, the instances
// that a change applied in one step (no rollout) removes: the surplus of
// a scale-down. What the change starts joins when the load balancer's own
// change registers it.
func (a *applyWalker) drainRemoved(ctx context.Context, addr addrs.Instance, prior, planned cty.Value) hcl.Diagnostics {
	hooks := a.hooksFor(addr, &providers.Rollout{})
	if hooks == nil {
		return nil
	}
	if v, _ := planned.UnmarkDeep(); v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute("instances") || !v.GetAttr("instances").IsKnown() {
		return nil // what stays is known only once applied: nothing to drain by name
	}
	target := app.DecodeTarget(planned)
	var leaving []app.Instance
	for _, in := range app.DecodeInstances(prior) {
		if in.ID != "" && !app.Keeps(target, in) {
			leaving = append(leaving, in)
		}
	}
	if len(leaving) == 0 {
		return nil
	}
	if err := hooks.BeforeStop(ctx, 0, leaving); err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("Change of %s stopped", addr),
			Detail: fmt.Sprintf("Failed draining the instances it removes: %v. Nothing was changed for %s.", err, addr)}}
	}
	return nil
}
