package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// replaceAttrs are what ELBv2 cannot change of a load balancer.
var replaceAttrs = []string{"name", "type", "internal"}

// PlanResourceChange plans a load balancer: its configuration as written,
// what stays of what exists (ARNs of what is kept), and the targets each
// target group will have: the ready instances of its app.
func (p *Provider) PlanResourceChange(_ context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	var resp providers.PlanResourceChangeResponse
	if req.TypeName != TypeLoadBalancer {
		resp.Diagnostics = hcl.Diagnostics{unknownType(req.TypeName)}
		return resp
	}
	if req.ProposedNewState.IsNull() { // destroy
		resp.PlannedState = req.ProposedNewState
		return resp
	}
	prior, _ := req.PriorState.UnmarkDeep()
	proposed, pvm := req.ProposedNewState.UnmarkDeepWithPaths()
	if diags := validateBalancer(proposed); diags.HasErrors() {
		resp.Diagnostics = diags
		return resp
	}
	planned, replace, diags := planBalancer(prior, proposed, decodePrivate(req.PriorPrivate).CanaryWeights)
	resp.Diagnostics = diags
	if diags.HasErrors() {
		return resp
	}
	resp.PlannedState, resp.RequiresReplace, resp.PlannedPrivate = planned.MarkWithPaths(pvm), replace, req.PriorPrivate
	return resp
}

// planBalancer is the plan of proposed (the configuration) over prior
// (the refreshed state, null for a create). Known values stay known: the
// ARNs of what is kept, the listeners' weights, the targets of apps whose
// instances are known. The rest is known after apply.
//
// A target with a canary recorded (a rollout in progress) keeps it: its
// canary group and targets as recorded, its group's targets without the
// canary's, and the listeners forwarding to it split as canaryWeights
// (the private data's, by target name) say, else as recorded. A change
// that would replace its group is refused.
func planBalancer(prior, proposed cty.Value, canaryWeights map[string]int) (cty.Value, []cty.Path, hcl.Diagnostics) {
	unknown := func(t cty.Type) cty.Value { return cty.UnknownVal(t) }
	attrs := map[string]cty.Value{
		"arn": unknown(cty.String), "dns_name": unknown(cty.String), "zone_id": unknown(cty.String),
		"listeners": unknown(cty.Map(listenerStateType)), "target_groups": unknown(cty.Map(targetGroupType)),
	}
	var replace []cty.Path
	rec := newRecorded()
	var before *balancer
	if !prior.IsNull() {
		for _, n := range replaceAttrs {
			pv, nv := attr(prior, n), attr(proposed, n)
			if !nv.IsKnown() || !pv.Equals(nv).True() {
				replace = append(replace, cty.GetAttrPath(n))
			}
		}
		rec = decodeRecorded(prior)
		if rec.ARN != "" {
			// Kept; a load balancer deleted outside berth (its target
			// groups left) is made again.
			attrs["arn"], attrs["dns_name"], attrs["zone_id"] = strVal(rec.ARN), strVal(rec.DNSName), strVal(rec.ZoneID)
		}
		before, _ = decodeBalancer(prior)
	}
	if !configPart(proposed).IsWhollyKnown() {
		return withAttrs(proposed, attrs), replace, nil
	}
	b, err := decodeBalancer(proposed)
	if err != nil {
		return cty.NilVal, nil, hcl.Diagnostics{errDiag("Invalid load balancer", err)}
	}
	var diags hcl.Diagnostics
	groups := map[string]cty.Value{}
	canaryMoves := map[string]bool{}
	for i := range b.Targets {
		t := &b.Targets[i]
		if _, err := healthCheckOf(b.Type, t, b.HealthCheck); err != nil {
			path := cty.GetAttrPath("target").IndexInt(i)
			if pe := (*unmappedPortError)(nil); errors.As(err, &pe) && pe.FromOverride {
				path = cty.GetAttrPath("health_check")
			}
			diags = append(diags, providers.AttributeError("Cannot derive the target's health check", err.Error(), path))
			continue
		}
		arn := unknown(cty.String)
		replaced := false
		if g, ok := rec.Groups[t.Name]; ok && g.ARN != "" && before != nil {
			if old := before.target(t.Name); old != nil {
				replaced = before.key(old) != b.key(t)
				if !replaced {
					arn = cty.StringVal(g.ARN)
				}
			}
		}
		canary, hasCanary := rec.Groups[canaryKey(t.Name)]
		hasCanary = hasCanary && canary.ARN != ""
		if hasCanary && replaced {
			diags = append(diags, providers.AttributeError("Target group replaced during a canary", errCanaryInProgress(b, t).Error(), cty.GetAttrPath("target").IndexInt(i)))
			continue
		}
		targets := unknown(cty.List(cty.String))
		ms, known := t.members()
		if !known && (hasCanary || (t.App != nil && t.App.Rollout.Canary != nil)) {
			// The app changes in this run, by a canary rollout or with
			// one in progress: its canary may start, move or be retired
			// before this object is applied, and with it the groups and
			// the listeners' split.
			canaryMoves[t.Name] = true
		}
		if known {
			addrs := addrsOf(ms)
			if hasCanary {
				addrs = slices.DeleteFunc(addrs, func(a string) bool { return slices.Contains(canary.Targets, a) })
			}
			targets = listVal(addrs)
		}
		groups[t.Name] = cty.ObjectVal(map[string]cty.Value{"arn": arn, "targets": targets})
		if hasCanary {
			groups[canaryKey(t.Name)] = cty.ObjectVal(map[string]cty.Value{"arn": cty.StringVal(canary.ARN), "targets": listVal(canary.Targets)})
		}
	}
	if diags.HasErrors() {
		return cty.NilVal, nil, diags
	}
	attrs["target_groups"] = mapOrEmpty(groups, targetGroupType)
	if len(canaryMoves) > 0 {
		attrs["target_groups"] = unknown(cty.Map(targetGroupType))
	}
	listeners := map[string]cty.Value{}
	for _, l := range b.Listeners {
		arn := unknown(cty.String)
		if ls, ok := rec.Listeners[portKey(l.Port)]; ok && ls.ARN != "" {
			arn = cty.StringVal(ls.ARN)
		}
		if b.target(l.DefaultTarget) == nil {
			return cty.NilVal, nil, hcl.Diagnostics{errDiag("Unknown target", fmt.Errorf("listener %d forwards to target %q, which the load balancer does not have", l.Port, l.DefaultTarget))}
		}
		forward := map[string]int{l.DefaultTarget: 1}
		if _, ok := groups[canaryKey(l.DefaultTarget)]; ok {
			ck := canaryKey(l.DefaultTarget)
			w, known := canaryWeights[l.DefaultTarget]
			if !known {
				w = rec.Listeners[portKey(l.Port)].Forward[ck]
			}
			forward = map[string]int{l.DefaultTarget: 100 - w, ck: w}
		}
		fv := forwardVal(forward)
		if canaryMoves[l.DefaultTarget] {
			fv = unknown(cty.Map(cty.Number))
		}
		listeners[portKey(l.Port)] = cty.ObjectVal(map[string]cty.Value{"arn": arn, "forward": fv})
	}
	attrs["listeners"] = mapOrEmpty(listeners, listenerStateType)
	return withAttrs(proposed, attrs), replace, nil
}

func mapOrEmpty(m map[string]cty.Value, t cty.Type) cty.Value {
	if len(m) == 0 {
		return cty.MapValEmpty(t)
	}
	return cty.MapVal(m)
}
