package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// drainMargin is how long past the deregistration delay berth waits for a
// target to finish draining before it calls the drain failed.
func drainMargin(delay time.Duration) time.Duration { return 30*time.Second + delay/10 }

// traffic carries out a StepDrain or StepAdmit: in the target group of
// every target whose app is Traffic.AppID, the instances leave traffic
// (deregistered, and the call returns once they are drained) or join it
// (registered, and it returns once ELBv2 reports each healthy). NewState
// is the recorded state with the groups' targets as registered now, also
// when the step fails or is stopped.
func (a *applier) traffic(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	drain := req.Step.Kind == providers.StepDrain
	what := "admit"
	if drain {
		what = "drain"
	}
	tc := req.Step.Traffic
	st, b, targets, err := trafficTargets(req)
	if err != nil {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Private: req.PlannedPrivate, Diagnostics: hcl.Diagnostics{errDiag("Cannot "+what+" instances", err)}}
	}
	rec := decodeRecorded(st)
	var diags hcl.Diagnostics
	for _, t := range targets {
		g, ok := rec.Groups[t.Name]
		if !ok || g.ARN == "" {
			diags = append(diags, errDiag("Cannot "+what+" instances", fmt.Errorf("target %s of load balancer %s has no target group yet", t.Name, b.Name)))
			continue
		}
		ms, err := a.membersAt(tc.Instances, t, !drain)
		if err != nil {
			diags = append(diags, errDiag("Cannot "+what+" instances", err))
			continue
		}
		var changed []string
		if drain {
			changed, err = a.drain(ctx, b, t, g.ARN, ms)
		} else {
			deadline := tc.Deadline
			if deadline <= 0 {
				deadline = healthyDeadline(t)
			}
			changed, err = a.admit(ctx, b, t, g.ARN, ms, deadline)
		}
		if err != nil {
			summary := "Cannot drain instances"
			var uh *unhealthyError
			if errors.As(err, &uh) {
				summary = "Instances not healthy behind the load balancer"
			} else if !drain {
				summary = "Cannot admit instances"
			}
			diags = append(diags, errDiag(summary, err))
		}
		rec.Groups[t.Name] = groupState{ARN: g.ARN, Targets: a.registeredNow(ctx, g, changed, drain)}
	}
	return providers.ApplyResourceChangeResponse{NewState: rec.with(st, nil), Private: req.PlannedPrivate, Diagnostics: diags}
}

// trafficTargets reads the request of a traffic step: the load
// balancer's state (PriorState, else PlannedState), decoded, and its
// targets whose app is the step's. A step without Traffic, of a load
// balancer that does not exist, or of an app that is no target is an
// error: the core asks because it believes the app is a target here,
// and saying nothing would let a rollout stop instances that still take
// traffic, or call new ones admitted.
func trafficTargets(req providers.ApplyResourceChangeRequest) (cty.Value, *balancer, []*target, error) {
	st := req.PriorState
	if st.IsNull() {
		st = req.PlannedState
	}
	tc := req.Step.Traffic
	if tc == nil {
		return st, nil, nil, errors.New("the step names no instances (RolloutStep.Traffic)")
	}
	if st.IsNull() {
		return st, nil, nil, errors.New("the load balancer does not exist")
	}
	b, err := decodeBalancer(st)
	if err != nil {
		return st, nil, nil, err
	}
	var out []*target
	for i := range b.Targets {
		if t := &b.Targets[i]; t.AppID != "" && t.AppID == tc.AppID {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return st, nil, nil, fmt.Errorf("load balancer %s has no target of app with deployment_id %s", b.Name, tc.AppID)
	}
	return st, b, out, nil
}

// registeredNow is what a group serves after a step: read from ELBv2
// (also after the step was stopped), else g's targets with the step's
// changes applied.
func (a *applier) registeredNow(ctx context.Context, g groupState, changed []string, drained bool) []string {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if h, err := healthOf(rctx, a.c, g.ARN); err == nil {
		return serving(h)
	}
	set := map[string]bool{}
	for _, t := range g.Targets {
		set[t] = true
	}
	for _, c := range changed {
		set[c] = !drained
	}
	for k, in := range set {
		if !in {
			delete(set, k)
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// membersAt are the instances at t's port. An instance without an
// address there is skipped when draining (it cannot be registered), and
// an error when admitting (strict): it would never join.
func (a *applier) membersAt(ins []app.Instance, t *target, strict bool) ([]member, error) {
	var out []member
	for _, in := range ins {
		ad, ok := in.Addresses[t.PortName]
		if !ok || ad.IP == "" || ad.Port <= 0 {
			if strict {
				return nil, fmt.Errorf("instance %s has no address for port %q of app %s: it cannot join target %s", in.Name, t.PortName, t.App.Name, t.Name)
			}
			a.emit("progress", in.Name, "instance %s has no address for port %q: not a target of %s", in.Name, t.PortName, t.Name)
			continue
		}
		out = append(out, member{Instance: in.Name, Addr: ad.String()})
	}
	return out, nil
}

// drain deregisters the members registered in the group and waits until
// none of them is registered or draining any more, bounded by the
// group's deregistration delay and a margin. It returns the addresses it
// deregistered.
func (a *applier) drain(ctx context.Context, b *balancer, t *target, arn string, ms []member) ([]string, error) {
	health, err := healthOf(ctx, a.c, arn)
	if err != nil {
		return nil, fmt.Errorf("reading the targets of %s: %w", t.Name, err)
	}
	var leaving []member
	var dereg []string
	for _, m := range ms {
		h, ok := health[m.Addr]
		if !ok {
			a.emit("progress", m.Instance, "%s is not registered in target %s", m.Addr, t.Name)
			continue
		}
		leaving = append(leaving, m)
		if !h.draining() {
			dereg = append(dereg, m.Addr)
		}
	}
	if len(dereg) > 0 {
		ts, err := targetsOf(dereg)
		if err != nil {
			return nil, err
		}
		if _, err := a.c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: ts}); err != nil {
			return nil, fmt.Errorf("deregistering from target %s: %w", t.Name, err)
		}
	}
	for _, m := range leaving {
		a.emit("target_draining", m.Instance, "draining %s from target %s of %s", m.Addr, t.Name, b.Name)
	}
	if len(leaving) == 0 {
		return dereg, nil
	}
	delay := b.delayOf(t)
	if attrs, err := groupAttributes(ctx, a.c, arn); err == nil {
		if d, ok := deregistrationDelayOf(attrs); ok {
			delay = d
		}
	}
	bound := delay + drainMargin(delay)
	pending := slices.Clone(leaving)
	err = poll(ctx, a.poll, time.Now().Add(bound), func() (bool, error) {
		h, err := healthOf(ctx, a.c, arn)
		if err != nil {
			return false, fmt.Errorf("reading the targets of %s: %w", t.Name, err)
		}
		pending = slices.DeleteFunc(pending, func(m member) bool {
			if _, still := h[m.Addr]; still {
				return false
			}
			a.emit("target_drained", m.Instance, "%s drained from target %s of %s", m.Addr, t.Name, b.Name)
			return true
		})
		return len(pending) == 0, nil
	})
	if errors.Is(err, errDeadline) {
		var names []string
		for _, m := range pending {
			names = append(names, fmt.Sprintf("%s (%s)", m.Instance, m.Addr))
		}
		return dereg, fmt.Errorf("still draining from target %s of %s after %s (deregistration delay %s): %s",
			t.Name, b.Name, bound.Round(time.Second), delay, strings.Join(names, ", "))
	}
	if err != nil {
		return dereg, err
	}
	return dereg, nil
}

// admit registers the members in the group and waits until ELBv2 reports
// each healthy, within deadline. It returns the addresses it registered.
func (a *applier) admit(ctx context.Context, b *balancer, t *target, arn string, ms []member, deadline time.Duration) ([]string, error) {
	addrs, err := a.register(ctx, b, t, arn, ms)
	if err != nil || len(ms) == 0 {
		return addrs, err
	}
	return addrs, a.waitHealthy(ctx, b.Name, t.Name, arn, ms, deadline)
}

// register registers the members in the group, and returns their
// addresses.
func (a *applier) register(ctx context.Context, b *balancer, t *target, arn string, ms []member) ([]string, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	addrs := addrsOf(ms)
	ts, err := targetsOf(addrs)
	if err != nil {
		return nil, err
	}
	if _, err := a.c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: ts}); err != nil {
		return nil, fmt.Errorf("registering in target %s: %w", t.Name, err)
	}
	for _, m := range ms {
		a.emit("target_registered", m.Instance, "registered %s in target %s of %s", m.Addr, t.Name, b.Name)
	}
	return addrs, nil
}

// unhealthyError names the targets that were not healthy in time.
type unhealthyError struct {
	lines []string
}

func (e *unhealthyError) Error() string { return strings.Join(e.lines, "\n") }

// waitHealthy waits until ELBv2 reports each member healthy in the group,
// within deadline; the error names each one that is not, with ELBv2's
// reason.
func (a *applier) waitHealthy(ctx context.Context, lbName, targetName, arn string, ms []member, deadline time.Duration) error {
	pending := slices.Clone(ms)
	last := map[string]targetHealth{}
	err := poll(ctx, a.poll, time.Now().Add(deadline), func() (bool, error) {
		h, err := healthOf(ctx, a.c, arn)
		if err != nil {
			return false, fmt.Errorf("reading the targets of %s: %w", targetName, err)
		}
		pending = slices.DeleteFunc(pending, func(m member) bool {
			th, ok := h[m.Addr]
			if !ok {
				th = targetHealth{State: types.TargetHealthStateEnumUnused, Reason: string(types.TargetHealthReasonEnumNotRegistered), Description: "the target is not registered"}
			}
			last[m.Addr] = th
			if th.State != types.TargetHealthStateEnumHealthy {
				return false
			}
			a.emit("target_healthy", m.Instance, "%s healthy in target %s of %s", m.Addr, targetName, lbName)
			return true
		})
		return len(pending) == 0, nil
	})
	if !errors.Is(err, errDeadline) {
		return err
	}
	e := &unhealthyError{}
	sort.Slice(pending, func(i, j int) bool { return app.CompareNames(pending[i].Instance, pending[j].Instance) < 0 })
	for _, m := range pending {
		th := last[m.Addr]
		why := string(th.State)
		if th.Reason != "" || th.Description != "" {
			why += " (" + strings.TrimPrefix(strings.TrimSuffix(th.Reason+": "+th.Description, ": "), ": ") + ")"
		}
		e.lines = append(e.lines, fmt.Sprintf("instance %s (%s) is not healthy in target %s of load balancer %s after %s: %s",
			m.Instance, m.Addr, targetName, lbName, deadline, why))
	}
	return e
}
