package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// activeTimeout bounds the wait for a new load balancer to be active
// (AWS takes a few minutes).
const activeTimeout = 15 * time.Minute

// ApplyResourceChange creates, updates or destroys a load balancer, or
// drains or admits an app's instances around a wave of its rollout
// (StepDrain, StepAdmit), or makes or retires an app's canary
// (StepCanary). It always returns what exists afterwards, also
// when it fails or is stopped.
func (p *Provider) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	if req.TypeName != TypeLoadBalancer {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
	}
	c, err := p.api()
	if err != nil {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{errDiag("Provider not configured", err)}}
	}
	a := &applier{c: c, events: events, wave: req.Step.Wave, poll: p.pollInterval}
	switch req.Step.Kind {
	case providers.StepDrain, providers.StepAdmit:
		return a.traffic(ctx, req)
	case providers.StepCanary:
		return a.canary(ctx, req)
	case providers.StepAll:
	default:
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Private: req.PlannedPrivate, Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagError,
			Summary: "Unsupported step", Detail: "A load balancer is not rolled out in waves; it takes StepAll, StepDrain, StepAdmit and StepCanary."}}}
	}
	if req.PlannedState.IsNull() {
		return a.destroy(ctx, req)
	}
	return a.apply(ctx, req)
}

// applier is one ApplyResourceChange call.
type applier struct {
	c      api
	events func(providers.ApplyEvent)
	wave   int
	poll   time.Duration
	// removedTags are the keys of the block's tags that the change
	// removes: berth takes them off what it made.
	removedTags []string
	// canaryWeights are the weights of the targets' canaries, by target
	// name: the plan's (private data), then as reconcile reads them
	// from the canary groups.
	canaryWeights map[string]int
}

func (a *applier) emit(kind, instance, format string, args ...any) {
	if a.events != nil {
		a.events(providers.ApplyEvent{Kind: kind, Instance: instance, Wave: a.wave, Message: fmt.Sprintf(format, args...)})
	}
}

// apply creates or updates a load balancer: the load balancer itself
// when none exists (a create, or one deleted outside berth), then its
// target groups, targets, listeners and rules, reconciled with what
// exists.
func (a *applier) apply(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	b, err := decodeBalancer(req.PlannedState)
	if err != nil {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Private: req.PlannedPrivate, Diagnostics: hcl.Diagnostics{errDiag("Invalid load balancer", err)}}
	}
	rec := newRecorded()
	var before *balancer
	if !req.PriorState.IsNull() {
		rec = decodeRecorded(req.PriorState)
		before, _ = decodeBalancer(req.PriorState)
		if before != nil {
			for k := range before.Tags {
				if _, ok := b.Tags[k]; !ok {
					a.removedTags = append(a.removedTags, k)
				}
			}
		}
	}
	a.canaryWeights = decodePrivate(req.PlannedPrivate).CanaryWeights
	err = a.reconcileAll(ctx, b, rec, req.IdempotencyKey)
	private := privateOf(a.canaryWeights, req.PlannedPrivate)
	if err == nil {
		return providers.ApplyResourceChangeResponse{NewState: rec.with(req.PlannedState, nil), Private: private}
	}
	diags := hcl.Diagnostics{errDiag("Cannot apply load balancer "+b.Name, err)}
	switch {
	case !req.PriorState.IsNull():
		// The configuration recorded stays the previous one, so that the
		// next plan shows the change again; what exists is recorded.
		return providers.ApplyResourceChangeResponse{NewState: rec.with(req.PriorState, nil), Private: private, Diagnostics: diags}
	case rec.ARN == "" && len(rec.Groups) == 0:
		return providers.ApplyResourceChangeResponse{NewState: cty.NullVal(req.PlannedState.Type()), Diagnostics: diags}
	}
	return providers.ApplyResourceChangeResponse{NewState: rec.with(req.PlannedState, nil), Private: private, Diagnostics: diags}
}

// reconcileAll makes the load balancer (when rec records none that
// exists) and reconciles the rest; rec records what exists as it goes.
func (a *applier) reconcileAll(ctx context.Context, b *balancer, rec *recorded, key string) error {
	var lb *types.LoadBalancer
	if rec.ARN != "" {
		var err error
		if lb, err = describeLB(ctx, a.c, rec.ARN); err != nil {
			return fmt.Errorf("reading load balancer %s: %w", b.Name, err)
		}
	}
	fresh := lb == nil
	if fresh {
		rec.ARN, rec.DNSName, rec.ZoneID = "", "", ""
		clear(rec.Listeners)
		created, err := a.createLB(ctx, b, key)
		if err != nil {
			return err
		}
		rec.ARN, rec.DNSName, rec.ZoneID = aws.ToString(created.LoadBalancerArn), aws.ToString(created.DNSName), aws.ToString(created.CanonicalHostedZoneId)
		if lb, err = a.waitActive(ctx, rec.ARN); err != nil {
			return err
		}
	} else if err := a.syncBalancer(ctx, b, lb); err != nil {
		return err
	}
	return a.reconcile(ctx, b, rec, lb)
}

// createLB creates the load balancer, tagged berth's and with the
// create's idempotency key. A load balancer of that name that another
// create made is refused: berth import adopts one.
func (a *applier) createLB(ctx context.Context, b *balancer, key string) (*types.LoadBalancer, error) {
	existing, err := describeLBNamed(ctx, a.c, b.Name)
	if err != nil {
		return nil, fmt.Errorf("looking for load balancer %s: %w", b.Name, err)
	}
	if existing != nil {
		arn := aws.ToString(existing.LoadBalancerArn)
		tags, err := tagsOf(ctx, a.c, []string{arn})
		if err != nil {
			return nil, err
		}
		if key == "" || tags[arn][tagIdempotencyKey] != key {
			return nil, fmt.Errorf("a load balancer named %s already exists (%s) that this state does not record; to manage it with berth, import it: berth import ADDRESS %s", b.Name, arn, arn)
		}
		// This create made it before it was interrupted.
		return existing, nil
	}
	tags := lbTags(b)
	if key != "" {
		tags[tagIdempotencyKey] = key
	}
	in := &elb.CreateLoadBalancerInput{
		Name: aws.String(b.Name), Type: types.LoadBalancerTypeEnum(b.Type),
		Scheme: types.LoadBalancerSchemeEnumInternetFacing, Subnets: b.Subnets, SecurityGroups: b.SecurityGroups,
		Tags: tagList(tags),
	}
	if b.Internal {
		in.Scheme = types.LoadBalancerSchemeEnumInternal
	}
	out, err := a.c.CreateLoadBalancer(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("creating load balancer %s: %w", b.Name, err)
	}
	if len(out.LoadBalancers) == 0 {
		return nil, fmt.Errorf("creating load balancer %s: ELBv2 returned no load balancer", b.Name)
	}
	a.emit("progress", "", "created load balancer %s", b.Name)
	return &out.LoadBalancers[0], nil
}

// waitActive waits for a load balancer to leave "provisioning".
func (a *applier) waitActive(ctx context.Context, arn string) (*types.LoadBalancer, error) {
	var lb *types.LoadBalancer
	interval := a.poll
	err := poll(ctx, interval, time.Now().Add(activeTimeout), func() (bool, error) {
		var err error
		if lb, err = describeLB(ctx, a.c, arn); err != nil {
			return false, err
		}
		if lb == nil {
			return false, fmt.Errorf("load balancer %s disappeared while it was being provisioned", arn)
		}
		if lb.State == nil {
			return true, nil
		}
		switch lb.State.Code {
		case types.LoadBalancerStateEnumActive, types.LoadBalancerStateEnumActiveImpaired:
			return true, nil
		case types.LoadBalancerStateEnumFailed:
			return false, fmt.Errorf("load balancer %s failed to provision: %s", aws.ToString(lb.LoadBalancerName), aws.ToString(lb.State.Reason))
		}
		return false, nil
	})
	if errors.Is(err, errDeadline) {
		return nil, fmt.Errorf("load balancer %s is not active after %s (%w)", arn, activeTimeout, err)
	}
	return lb, err
}

// syncBalancer makes an existing load balancer's subnets, security
// groups and tags those of b. What b does not set is left as it is.
func (a *applier) syncBalancer(ctx context.Context, b *balancer, lb *types.LoadBalancer) error {
	arn := lb.LoadBalancerArn
	if b.Subnets != nil && !sameSet(b.Subnets, subnetsOf(lb)) {
		if _, err := a.c.SetSubnets(ctx, &elb.SetSubnetsInput{LoadBalancerArn: arn, Subnets: b.Subnets}); err != nil {
			return fmt.Errorf("setting the subnets of %s: %w", b.Name, err)
		}
	}
	if b.SecurityGroups != nil && !sameSet(b.SecurityGroups, lb.SecurityGroups) {
		if _, err := a.c.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: arn, SecurityGroups: b.SecurityGroups}); err != nil {
			return fmt.Errorf("setting the security groups of %s: %w", b.Name, err)
		}
	}
	return a.syncTags(ctx, aws.ToString(arn), lbTags(b))
}

// syncTags sets tags on arn and removes the block's removed ones.
func (a *applier) syncTags(ctx context.Context, arn string, tags map[string]string) error {
	if _, err := a.c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arn}, Tags: tagList(tags)}); err != nil {
		return fmt.Errorf("tagging %s: %w", arn, err)
	}
	if len(a.removedTags) > 0 {
		if _, err := a.c.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{arn}, TagKeys: a.removedTags}); err != nil {
			return fmt.Errorf("untagging %s: %w", arn, err)
		}
	}
	return nil
}

// lbTags are the tags of the load balancer and its listeners and rules:
// the block's, and berth's.
func lbTags(b *balancer) map[string]string {
	m := map[string]string{}
	for k, v := range b.Tags {
		m[k] = v
	}
	m[tagManagedBy] = managedByBerth
	m[tagLoadBalancer] = b.Name
	return m
}

// groupTags are a target group's tags: the load balancer's and the
// target's name.
func groupTags(b *balancer, t *target) map[string]string {
	m := lbTags(b)
	m[tagTarget] = t.Name
	return m
}

// destroy deletes the listeners, the load balancer, then the target
// groups: those the state records and those tagged for the load balancer
// that it does not. What it could not delete stays in the state it
// returns.
func (a *applier) destroy(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	rec := decodeRecorded(req.PriorState)
	name := str(req.PriorState, "name")
	fail := func(err error) providers.ApplyResourceChangeResponse {
		return providers.ApplyResourceChangeResponse{NewState: rec.with(req.PriorState, nil), Diagnostics: hcl.Diagnostics{errDiag("Cannot destroy load balancer "+name, err)}}
	}
	if rec.ARN != "" {
		lb, err := describeLB(ctx, a.c, rec.ARN)
		if err != nil {
			return fail(err)
		}
		if lb != nil {
			ls, err := listenersOf(ctx, a.c, rec.ARN)
			if err != nil {
				return fail(err)
			}
			for _, l := range ls {
				if _, err := a.c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: l.ListenerArn}); err != nil && !isNotFound(err) {
					return fail(fmt.Errorf("deleting listener %d: %w", aws.ToInt32(l.Port), err))
				}
				delete(rec.Listeners, portKey(aws.ToInt32(l.Port)))
			}
			if _, err := a.c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(rec.ARN)}); err != nil && !isNotFound(err) {
				return fail(fmt.Errorf("deleting load balancer %s: %w", name, err))
			}
			a.emit("progress", "", "deleted load balancer %s", name)
		}
		rec.ARN, rec.DNSName, rec.ZoneID = "", "", ""
		clear(rec.Listeners)
	}
	deleted := map[string]bool{}
	for _, n := range slices.Sorted(maps.Keys(rec.Groups)) {
		if err := a.deleteGroup(ctx, rec.Groups[n].ARN); err != nil {
			return fail(err)
		}
		deleted[rec.Groups[n].ARN] = true
		delete(rec.Groups, n)
	}
	// Groups an interrupted apply made and did not record: tagged for
	// this load balancer, they are berth's to delete.
	if name != "" {
		stray, err := strayGroups(ctx, a.c, name, deleted)
		if err != nil {
			return fail(fmt.Errorf("looking for target groups of %s that the state does not record: %w", name, err))
		}
		for _, arn := range stray {
			if err := a.deleteGroup(ctx, arn); err != nil {
				return fail(err)
			}
		}
	}
	return providers.ApplyResourceChangeResponse{NewState: cty.NullVal(req.PriorState.Type())}
}

// inUseTimeout bounds how long berth retries deleting a target group that
// ELBv2 still reports in use: for a while after the listener or load
// balancer that used it is deleted.
const inUseTimeout = 2 * time.Minute

// deleteGroup deletes a target group; one already gone is no error.
func (a *applier) deleteGroup(ctx context.Context, arn string) error {
	if arn == "" {
		return nil
	}
	var last error
	err := poll(ctx, a.poll, time.Now().Add(inUseTimeout), func() (bool, error) {
		_, err := a.c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
		switch {
		case err == nil || isNotFound(err):
			return true, nil
		case isInUse(err):
			last = err
			return false, nil
		}
		return false, err
	})
	if errors.Is(err, errDeadline) {
		err = last
	}
	if err != nil {
		return fmt.Errorf("deleting target group %s: %w", arn, err)
	}
	a.emit("progress", "", "deleted target group %s", arn)
	return nil
}

func subnetsOf(lb *types.LoadBalancer) []string {
	var out []string
	for _, z := range lb.AvailabilityZones {
		if z.SubnetId != nil {
			out = append(out, *z.SubnetId)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
