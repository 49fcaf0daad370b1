package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/providers"
)

// canarySuffix ends the key under which target_groups records a
// target's canary group.
const canarySuffix = " (canary)"

// canaryKey is the key under which target_groups records the canary
// group of target name: "web (canary)", a key no target name takes (in
// replacedKey's style).
func canaryKey(name string) string { return name + canarySuffix }

// canaryBase is the target whose canary group the key k records, when k
// is a canary key.
func canaryBase(k string) (string, bool) { return strings.CutSuffix(k, canarySuffix) }

// canaryTags are the tags of target t's canary group: a target group's,
// and berth:canary.
func canaryTags(b *balancer, t *target) map[string]string {
	m := groupTags(b, t)
	m[tagCanary] = "true"
	return m
}

// isCanaryOf reports whether tags are those of a canary group berth
// made for target of load balancer lb.
func isCanaryOf(tags map[string]string, lb, target string) bool {
	return tags[tagManagedBy] == managedByBerth && tags[tagLoadBalancer] == lb && tags[tagTarget] == target && tags[tagCanary] == "true"
}

// canaryRoute is where the traffic of a target with a canary goes: the
// canary group gets w percent, the stable group the rest.
func canaryRoute(stable, canary string, w int) map[string]int {
	return map[string]int{stable: 100 - w, canary: w}
}

// canaryTarget is t as its canary group is named in messages.
func canaryTarget(t *target) *target {
	c := *t
	c.Name = canaryKey(t.Name)
	return &c
}

// errCanaryInProgress refuses a change that would replace the target
// group of target t while t has a canary: the canary's weights are set
// against that group, and its rollout retires the canary.
func errCanaryInProgress(b *balancer, t *target) error {
	return fmt.Errorf("the change gives target %s of load balancer %s a new target group (its protocol or port changes) while app %s has a canary there; finish the canary of app %s first: berth rollout promote or abort",
		t.Name, b.Name, t.App.Name, t.App.Name)
}

// keepCanary brings target t's canary group cg to t's health check,
// deregistration delay and tags when the load balancer is applied, and
// records it; it returns how the forwards to t weigh its group (ARN
// stable) against the canary, and the canary's serving targets.
func (a *applier) keepCanary(ctx context.Context, b *balancer, t *target, cg *types.TargetGroup, stable string, hc healthCheck, rec *recorded) (map[string]int, []string, error) {
	arn := aws.ToString(cg.TargetGroupArn)
	if err := a.syncGroup(ctx, cg, hc, b.delayOf(t), canaryTags(b, t)); err != nil {
		return nil, nil, err
	}
	h, err := healthOf(ctx, a.c, arn)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the targets of %s: %w", canaryKey(t.Name), err)
	}
	rec.Groups[canaryKey(t.Name)] = groupState{ARN: arn, Targets: serving(h)}
	return canaryRoute(stable, arn, a.canaryWeights[t.Name]), serving(h), nil
}

// canary carries out a StepCanary (docs/aws.md, "Canary") for every
// target of the load balancer whose app is Traffic.AppID: with a weight,
// the instances become the target's canary, in a target group of their
// own that the listeners and rules forwarding to the target's group give
// that percent of its traffic; with weight 0 the canary is retired.
// NewState records what exists afterwards, also when the step fails or
// is stopped.
func (a *applier) canary(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	tc := req.Step.Traffic
	fail := func(err error) providers.ApplyResourceChangeResponse {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Private: req.PlannedPrivate, Diagnostics: hcl.Diagnostics{errDiag("Cannot change the canary", err)}}
	}
	st, b, targets, err := trafficTargets(req)
	if err != nil {
		return fail(err)
	}
	if tc.Weight < 0 || tc.Weight > 99 {
		return fail(fmt.Errorf("a canary's weight is a percent from 1 to 99, or 0 to retire it; got %d", tc.Weight))
	}
	rec := decodeRecorded(st)
	if rec.ARN == "" {
		return fail(fmt.Errorf("load balancer %s does not exist yet", b.Name))
	}
	key := req.IdempotencyKey
	if key == "" {
		key = "canary:" + tc.AppID
	}
	var diags hcl.Diagnostics
	for _, t := range targets {
		if tc.Weight > 0 {
			err = a.startCanary(ctx, b, rec, t, tc, key)
		} else {
			err = a.retireCanary(ctx, b, rec, t)
		}
		if err != nil {
			summary := "Cannot make the canary"
			var uh *unhealthyError
			switch {
			case errors.As(err, &uh):
				summary = "Canary instances not healthy behind the load balancer"
			case tc.Weight == 0:
				summary = "Cannot retire the canary"
			}
			diags = append(diags, errDiag(summary, err))
		}
	}
	private := req.PlannedPrivate
	a.recordNow(ctx, rec)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if w, err := canaryWeights(rctx, a.c, rec); err == nil {
		private = privateOf(w, req.PlannedPrivate)
	}
	return providers.ApplyResourceChangeResponse{NewState: rec.with(st, nil), Private: private, Diagnostics: diags}
}

// startCanary makes the members of tc at t's port t's canary at tc's
// weight: its canary group made (or found), joining every forward of
// t's group with weight 0 (ELBv2 checks the targets of a group only
// while something forwards to it), the members registered and healthy,
// members of an earlier canary not named drained, and then the forwards
// set to the weight, read back and the weight tagged.
func (a *applier) startCanary(ctx context.Context, b *balancer, rec *recorded, t *target, tc *providers.TrafficChange, key string) error {
	if b.Type == typeNetwork {
		return fmt.Errorf("load balancer %s is a network load balancer, whose listeners forward to one target group each: a canary of app %s needs an application load balancer", b.Name, t.App.Name)
	}
	stable := rec.Groups[t.Name].ARN
	if stable == "" {
		return fmt.Errorf("target %s of load balancer %s has no target group yet", t.Name, b.Name)
	}
	sg, err := describeGroup(ctx, a.c, stable)
	if err != nil {
		return fmt.Errorf("reading the target group of %s: %w", t.Name, err)
	}
	if sg == nil {
		return fmt.Errorf("the target group of %s (%s) does not exist: apply load balancer %s first", t.Name, stable, b.Name)
	}
	ms, err := a.membersAt(tc.Instances, t, true)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return fmt.Errorf("the step names no canary instance of target %s", t.Name)
	}
	cg, err := a.canaryGroup(ctx, b, t, sg, rec, key)
	if err != nil {
		return err
	}
	canary := aws.ToString(cg.TargetGroupArn)
	ct := canaryTarget(t)
	warm := forwardEdit{has: stable, what: "canary group " + aws.ToString(cg.TargetGroupName) + " joins %s with weight 0", set: func(w map[string]int) {
		if _, in := w[canary]; !in {
			w[stable], w[canary] = 100, 0
		}
	}}
	if err := a.editForwards(ctx, b, rec.ARN, warm); err != nil {
		return err
	}

	health, err := healthOf(ctx, a.c, canary)
	if err != nil {
		return fmt.Errorf("reading the targets of %s: %w", ct.Name, err)
	}
	named := map[string]bool{}
	var missing []member
	for _, m := range ms {
		named[m.Addr] = true
		if h, ok := health[m.Addr]; !ok || h.draining() {
			missing = append(missing, m)
		}
	}
	if _, err := a.register(ctx, b, ct, canary, missing); err != nil {
		return err
	}
	deadline := tc.Deadline
	if deadline <= 0 {
		deadline = healthyDeadline(t)
	}
	if err := a.waitHealthy(ctx, b.Name, ct.Name, canary, ms, deadline); err != nil {
		return err
	}
	var leaving []member
	for _, addr := range slices.Sorted(maps.Keys(health)) {
		if !named[addr] {
			leaving = append(leaving, member{Addr: addr})
		}
	}
	if _, err := a.drain(ctx, b, ct, canary, leaving); err != nil {
		return err
	}

	w := tc.Weight
	split := forwardEdit{has: stable, what: fmt.Sprintf("weights %d/%d on %%s", 100-w, w), set: func(m map[string]int) {
		m[stable], m[canary] = 100-w, w
	}}
	if err := a.editForwards(ctx, b, rec.ARN, split); err != nil {
		return err
	}
	return a.tagWeight(ctx, canary, w)
}

// retireCanary gives all of t's traffic back to its group and removes
// its canary group, if it has one: the forwards give the canary weight 0
// (read back), its members are drained while the forwards still name it
// (so that ELBv2 lets the requests in flight finish: the targets of a
// group nothing forwards to leave at once), then the forwards drop it
// (read back) and it is deleted.
func (a *applier) retireCanary(ctx context.Context, b *balancer, rec *recorded, t *target) error {
	cg, err := a.findCanary(ctx, b, t, rec)
	var foreign *foreignGroupError
	switch {
	case errors.As(err, &foreign):
		return nil // not berth's: there is no canary
	case err != nil:
		return err
	case cg == nil:
		return nil
	}
	canary := aws.ToString(cg.TargetGroupArn)
	stable := rec.Groups[t.Name].ARN
	if stable == "" {
		return fmt.Errorf("target %s of load balancer %s has no target group to give the canary's traffic back to", t.Name, b.Name)
	}
	ct := canaryTarget(t)
	off := forwardEdit{has: canary, what: "weights 100/0 on %s", set: func(w map[string]int) {
		w[stable], w[canary] = 100, 0
	}}
	if err := a.editForwards(ctx, b, rec.ARN, off); err != nil {
		return err
	}
	if err := a.tagWeight(ctx, canary, 0); err != nil {
		return err
	}
	health, err := healthOf(ctx, a.c, canary)
	if err != nil {
		return fmt.Errorf("reading the targets of %s: %w", ct.Name, err)
	}
	var leaving []member
	for _, addr := range slices.Sorted(maps.Keys(health)) {
		leaving = append(leaving, member{Addr: addr})
	}
	if _, err := a.drain(ctx, b, ct, canary, leaving); err != nil {
		return err
	}
	drop := forwardEdit{has: canary, what: "canary group removed from %s", set: func(w map[string]int) {
		delete(w, canary)
		w[stable] = 1
	}}
	if err := a.editForwards(ctx, b, rec.ARN, drop); err != nil {
		return err
	}
	if err := a.deleteGroup(ctx, canary); err != nil {
		return err
	}
	delete(rec.Groups, ct.Name)
	a.emit("progress", "", "retired the canary of target %s of %s", t.Name, b.Name)
	return nil
}

// foreignGroupError is a target group that has the name berth gives a
// canary group but that berth did not make as that canary.
type foreignGroupError struct {
	name, arn, target, lb string
}

func (e *foreignGroupError) Error() string {
	return fmt.Sprintf("a target group named %s already exists (%s) that berth did not make as the canary of target %s of load balancer %s; delete or rename it",
		e.name, e.arn, e.target, e.lb)
}

// findCanary is target t's canary group: the one rec records, else the
// one of the name berth gives it when it carries berth's canary tags
// for t (made by a step that was interrupted before it was recorded:
// recorded now). Nil when none exists; a *foreignGroupError when a group
// of that name is not berth's canary.
func (a *applier) findCanary(ctx context.Context, b *balancer, t *target, rec *recorded) (*types.TargetGroup, error) {
	ck := canaryKey(t.Name)
	if g := rec.Groups[ck]; g.ARN != "" {
		cur, err := describeGroup(ctx, a.c, g.ARN)
		if err != nil {
			return nil, fmt.Errorf("reading canary target group %s: %w", g.ARN, err)
		}
		if cur != nil {
			return cur, nil
		}
		delete(rec.Groups, ck)
	}
	name := canaryGroupName(b.Name, t.Name)
	g, err := describeGroupNamed(ctx, a.c, name)
	if err != nil {
		return nil, fmt.Errorf("looking for canary target group %s: %w", name, err)
	}
	if g == nil {
		return nil, nil
	}
	arn := aws.ToString(g.TargetGroupArn)
	tags, err := tagsOf(ctx, a.c, []string{arn})
	if err != nil {
		return nil, fmt.Errorf("reading the tags of %s: %w", name, err)
	}
	if !isCanaryOf(tags[arn], b.Name, t.Name) {
		return nil, &foreignGroupError{name: name, arn: arn, target: t.Name, lb: b.Name}
	}
	rec.Groups[ck] = groupState{ARN: arn, Targets: []string{}}
	a.emit("progress", "", "found canary target group %s of target %s", name, t.Name)
	return g, nil
}

// canaryGroup is target t's canary group (findCanary), made when none
// exists, recorded in rec at once; either way with the protocol, port,
// VPC, health check and deregistration delay of t's group sg.
func (a *applier) canaryGroup(ctx context.Context, b *balancer, t *target, sg *types.TargetGroup, rec *recorded, key string) (*types.TargetGroup, error) {
	cg, err := a.findCanary(ctx, b, t, rec)
	if err != nil {
		return nil, err
	}
	hc := healthCheckOfGroup(sg)
	delay := b.delayOf(t)
	attrs, err := groupAttributes(ctx, a.c, aws.ToString(sg.TargetGroupArn))
	if err != nil {
		return nil, fmt.Errorf("reading the target group of %s: %w", t.Name, err)
	}
	if d, ok := deregistrationDelayOf(attrs); ok {
		delay = d
	}
	if cg != nil {
		if keyOf(cg) != keyOf(sg) {
			return nil, fmt.Errorf("canary target group %s (%s) is not of the protocol and port of target %s's group (%s): retire the canary first (berth rollout abort)",
				aws.ToString(cg.TargetGroupName), keyOf(cg), t.Name, keyOf(sg))
		}
		return cg, a.syncGroup(ctx, cg, hc, delay, canaryTags(b, t))
	}
	name := canaryGroupName(b.Name, t.Name)
	tags := canaryTags(b, t)
	tags[tagIdempotencyKey] = key
	out, err := a.c.CreateTargetGroup(ctx, groupInput(name, keyOf(sg), aws.ToString(sg.VpcId), hc, tags))
	if err != nil {
		return nil, fmt.Errorf("creating canary target group %s: %w", name, err)
	}
	if len(out.TargetGroups) == 0 {
		return nil, fmt.Errorf("creating canary target group %s: ELBv2 returned no target group", name)
	}
	cg = &out.TargetGroups[0]
	arn := aws.ToString(cg.TargetGroupArn)
	// Recorded before anything else can fail, as a target's group is.
	rec.Groups[canaryKey(t.Name)] = groupState{ARN: arn, Targets: []string{}}
	a.emit("progress", "", "created canary target group %s for target %s of %s", name, t.Name, b.Name)
	return cg, a.setDeregistrationDelay(ctx, arn, delay)
}

// healthCheckOfGroup is the health check of an existing group.
func healthCheckOfGroup(g *types.TargetGroup) healthCheck {
	hc := healthCheck{
		Protocol: string(g.HealthCheckProtocol), Port: aws.ToString(g.HealthCheckPort), Path: aws.ToString(g.HealthCheckPath),
		Interval: aws.ToInt32(g.HealthCheckIntervalSeconds), Timeout: aws.ToInt32(g.HealthCheckTimeoutSeconds),
		HealthyThreshold: aws.ToInt32(g.HealthyThresholdCount), UnhealthyThreshold: aws.ToInt32(g.UnhealthyThresholdCount),
	}
	if g.Matcher != nil {
		hc.Matcher = aws.ToString(g.Matcher.HttpCode)
	}
	return hc
}

// tagWeight records on a canary group the weight its forwards were set
// to.
func (a *applier) tagWeight(ctx context.Context, arn string, w int) error {
	_, err := a.c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arn},
		Tags: []types.Tag{{Key: aws.String(tagCanaryWeight), Value: aws.String(strconv.Itoa(w))}}})
	if err != nil {
		return fmt.Errorf("tagging canary target group %s with its weight: %w", arn, err)
	}
	return nil
}

// canaryWeights are the weights of the canary groups rec records, by
// target name, as their berth:canary-weight tags say (a group without
// one has not had its weight set).
func canaryWeights(ctx context.Context, c api, rec *recorded) (map[string]int, error) {
	byARN := map[string]string{}
	for k, g := range rec.Groups {
		if base, ok := canaryBase(k); ok && g.ARN != "" {
			byARN[g.ARN] = base
		}
	}
	if len(byARN) == 0 {
		return nil, nil
	}
	tags, err := tagsOf(ctx, c, slices.Sorted(maps.Keys(byARN)))
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for arn, base := range byARN {
		if w, err := strconv.Atoi(tags[arn][tagCanaryWeight]); err == nil {
			out[base] = w
		}
	}
	return out, nil
}

// recordNow records in rec what a step left: the targets each canary
// group serves and the weights of the listeners rec records, read from
// ELBv2 (also after the step was stopped).
func (a *applier) recordNow(ctx context.Context, rec *recorded) {
	for _, k := range slices.Sorted(maps.Keys(rec.Groups)) {
		if _, ok := canaryBase(k); ok {
			g := rec.Groups[k]
			g.Targets = a.registeredNow(ctx, g, nil, false)
			rec.Groups[k] = g
		}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	ls, err := listenersOf(rctx, a.c, rec.ARN)
	if err != nil {
		return
	}
	for _, l := range ls {
		port := portKey(aws.ToInt32(l.Port))
		if st, ok := rec.Listeners[port]; ok {
			st.Forward = rec.forwardByName(forwardWeights(l.DefaultActions))
			rec.Listeners[port] = st
		}
	}
}

// forwardEdit is a change of the forwards of a load balancer (its
// listeners' default actions and its rules) that send traffic to the
// group has: set changes their weights, by group ARN, in place; what,
// with "listener 80" or "rule 10 of listener 80" for its %s, says what
// the change did.
type forwardEdit struct {
	has  string
	set  func(w map[string]int)
	what string
}

// apply is the weights actions forward with after e, and whether e
// changes them.
func (e forwardEdit) apply(actions []types.Action) (map[string]int, bool) {
	w := forwardWeights(actions)
	if _, ok := w[e.has]; !ok {
		return nil, false
	}
	nw := maps.Clone(w)
	e.set(nw)
	return nw, !maps.Equal(w, nw)
}

// forwardSite is where a load balancer forwards: a listener's default
// actions or a rule's actions, with the call that changes them.
type forwardSite struct {
	where   string
	actions []types.Action
	modify  func(ctx context.Context, w map[string]int) error
}

// forwardSites lists where the load balancer lbARN forwards: each
// listener, and each rule of an Application Load Balancer's listeners.
func (a *applier) forwardSites(ctx context.Context, b *balancer, lbARN string) ([]forwardSite, error) {
	ls, err := listenersOf(ctx, a.c, lbARN)
	if err != nil {
		return nil, fmt.Errorf("reading the listeners of %s: %w", b.Name, err)
	}
	var out []forwardSite
	for _, l := range ls {
		port := aws.ToInt32(l.Port)
		out = append(out, forwardSite{where: fmt.Sprintf("listener %d", port), actions: l.DefaultActions,
			modify: func(ctx context.Context, w map[string]int) error {
				_, err := a.c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, DefaultActions: forwardTo(w)})
				return err
			}})
		if b.Type != typeApplication {
			continue
		}
		rs, err := rulesOf(ctx, a.c, aws.ToString(l.ListenerArn))
		if err != nil {
			return nil, fmt.Errorf("reading the rules of listener %d: %w", port, err)
		}
		for _, r := range rs {
			out = append(out, forwardSite{where: fmt.Sprintf("rule %s of listener %d", aws.ToString(r.Priority), port), actions: r.Actions,
				modify: func(ctx context.Context, w map[string]int) error {
					_, err := a.c.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: r.RuleArn, Actions: forwardTo(w)})
					return err
				}})
		}
	}
	return out, nil
}

// editForwards makes e's change to every forward of the load balancer
// that sends to e.has, then reads them back and fails unless each is as
// e makes it.
func (a *applier) editForwards(ctx context.Context, b *balancer, lbARN string, e forwardEdit) error {
	sites, err := a.forwardSites(ctx, b, lbARN)
	if err != nil {
		return err
	}
	set := map[string]map[string]int{}
	for _, s := range sites {
		w, change := e.apply(s.actions)
		if !change {
			continue
		}
		if err := s.modify(ctx, w); err != nil {
			return fmt.Errorf("changing %s: %w", s.where, err)
		}
		set[s.where] = w
		a.emit("progress", "", e.what, s.where)
	}
	if sites, err = a.forwardSites(ctx, b, lbARN); err != nil {
		return err
	}
	// Each forward changed reads back as set, and no other one needs e.
	for _, s := range sites {
		got := forwardWeights(s.actions)
		want, changed := set[s.where]
		if changed && maps.Equal(got, want) {
			continue
		}
		if !changed {
			if want, changed = e.apply(s.actions); !changed {
				continue
			}
		}
		return fmt.Errorf("%s forwards %s, read back after berth set %s", s.where, weightsText(got), weightsText(want))
	}
	return nil
}

// weightsText is weights by group ARN, for a message.
func weightsText(w map[string]int) string {
	var parts []string
	for _, arn := range slices.Sorted(maps.Keys(w)) {
		parts = append(parts, fmt.Sprintf("%s: %d", arn, w[arn]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
