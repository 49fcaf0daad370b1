package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The reads the provider makes of ELBv2, each one concept: a missing
// object is nil (never an error), and every page of a listing is read.

// describeLB returns the load balancer of ARN arn, nil when it does not
// exist.
func describeLB(ctx context.Context, c api, arn string) (*types.LoadBalancer, error) {
	out, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
	return oneLB(out, err)
}

// describeLBNamed returns the load balancer named name, nil when none is.
func describeLBNamed(ctx context.Context, c api, name string) (*types.LoadBalancer, error) {
	out, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{name}})
	return oneLB(out, err)
}

func oneLB(out *elb.DescribeLoadBalancersOutput, err error) (*types.LoadBalancer, error) {
	var nf *types.LoadBalancerNotFoundException
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.LoadBalancers) == 0 {
		return nil, nil
	}
	return &out.LoadBalancers[0], nil
}

// describeGroup returns the target group of ARN arn, nil when it does not
// exist.
func describeGroup(ctx context.Context, c api, arn string) (*types.TargetGroup, error) {
	out, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	return oneGroup(out, err)
}

// describeGroupNamed returns the target group named name, nil when none is.
func describeGroupNamed(ctx context.Context, c api, name string) (*types.TargetGroup, error) {
	out, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{name}})
	return oneGroup(out, err)
}

func oneGroup(out *elb.DescribeTargetGroupsOutput, err error) (*types.TargetGroup, error) {
	var nf *types.TargetGroupNotFoundException
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.TargetGroups) == 0 {
		return nil, nil
	}
	return &out.TargetGroups[0], nil
}

// groupsOf lists the target groups a load balancer's listeners and rules
// forward to.
func groupsOf(ctx context.Context, c api, lbARN string) ([]types.TargetGroup, error) {
	var out []types.TargetGroup
	var marker *string
	for {
		page, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lbARN), Marker: marker})
		var nf *types.LoadBalancerNotFoundException
		if errors.As(err, &nf) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, page.TargetGroups...)
		if page.NextMarker == nil || *page.NextMarker == "" {
			return out, nil
		}
		marker = page.NextMarker
	}
}

// strayGroups lists the target groups berth made for load balancer lbName
// that known (ARNs) does not hold: tagged berth's and the load
// balancer's. ELBv2 cannot filter by tag, so every group of the region
// is listed, and only the tags of those named as berth names the load
// balancer's groups (groupName: the load balancer's name, or its first
// 25 characters, first) are read.
func strayGroups(ctx context.Context, c api, lbName string, known map[string]bool) ([]string, error) {
	prefix := strings.TrimRight(lbName[:min(len(lbName), maxNameLen-7)], "-")
	var candidates []string
	var marker *string
	for {
		page, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Marker: marker})
		if err != nil {
			return nil, err
		}
		for _, g := range page.TargetGroups {
			arn := aws.ToString(g.TargetGroupArn)
			if !known[arn] && strings.HasPrefix(aws.ToString(g.TargetGroupName), prefix) {
				candidates = append(candidates, arn)
			}
		}
		if page.NextMarker == nil || *page.NextMarker == "" {
			break
		}
		marker = page.NextMarker
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	tags, err := tagsOf(ctx, c, candidates)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, arn := range candidates {
		if t := tags[arn]; t[tagManagedBy] == managedByBerth && t[tagLoadBalancer] == lbName {
			out = append(out, arn)
		}
	}
	return out, nil
}

// listenersOf lists a load balancer's listeners.
func listenersOf(ctx context.Context, c api, lbARN string) ([]types.Listener, error) {
	var out []types.Listener
	var marker *string
	for {
		page, err := c.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN), Marker: marker})
		var nf *types.LoadBalancerNotFoundException
		if errors.As(err, &nf) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, page.Listeners...)
		if page.NextMarker == nil || *page.NextMarker == "" {
			return out, nil
		}
		marker = page.NextMarker
	}
}

// rulesOf lists a listener's rules other than its default one.
func rulesOf(ctx context.Context, c api, listenerARN string) ([]types.Rule, error) {
	var out []types.Rule
	var marker *string
	for {
		page, err := c.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(listenerARN), Marker: marker})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Rules {
			if !aws.ToBool(r.IsDefault) && aws.ToString(r.Priority) != "default" {
				out = append(out, r)
			}
		}
		if page.NextMarker == nil || *page.NextMarker == "" {
			return out, nil
		}
		marker = page.NextMarker
	}
}

// tagsOf returns the tags of each ARN (20 per call, ELBv2's limit).
func tagsOf(ctx context.Context, c api, arns []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for len(arns) > 0 {
		n := min(len(arns), 20)
		res, err := c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns[:n]})
		if err != nil {
			return nil, err
		}
		for _, d := range res.TagDescriptions {
			m := map[string]string{}
			for _, t := range d.Tags {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			out[aws.ToString(d.ResourceArn)] = m
		}
		arns = arns[n:]
	}
	return out, nil
}

// targetHealth is one registered target's state.
type targetHealth struct {
	State       types.TargetHealthStateEnum
	Reason      string
	Description string
}

// healthOf returns the targets registered in a group by "ip:port", with
// their health: what DescribeTargetHealth lists, draining ones included.
func healthOf(ctx context.Context, c api, groupARN string) (map[string]targetHealth, error) {
	out, err := c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(groupARN)})
	if err != nil {
		return nil, err
	}
	m := map[string]targetHealth{}
	for _, d := range out.TargetHealthDescriptions {
		if d.Target == nil {
			continue
		}
		h := targetHealth{}
		if d.TargetHealth != nil {
			h = targetHealth{State: d.TargetHealth.State, Reason: string(d.TargetHealth.Reason), Description: aws.ToString(d.TargetHealth.Description)}
		}
		if h.State == types.TargetHealthStateEnumUnused && h.Reason == string(types.TargetHealthReasonEnumNotRegistered) {
			continue // asked for by address, and not registered
		}
		m[targetAddr(*d.Target)] = h
	}
	return m, nil
}

// draining reports whether a target is leaving: it serves no new request.
func (h targetHealth) draining() bool {
	return h.State == types.TargetHealthStateEnumDraining || h.State == types.TargetHealthStateEnumUnhealthyDraining
}

// serving lists the targets of health that are registered and not
// draining, sorted: what a group's "targets" records.
func serving(health map[string]targetHealth) []string {
	set := map[string]bool{}
	for a, h := range health {
		if !h.draining() {
			set[a] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// groupAttributes returns a target group's attributes.
func groupAttributes(ctx context.Context, c api, groupARN string) (map[string]string, error) {
	out, err := c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(groupARN)})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, a := range out.Attributes {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m, nil
}

const attrDeregistrationDelay = "deregistration_delay.timeout_seconds"

// deregistrationDelayOf is a group's deregistration delay.
func deregistrationDelayOf(attrs map[string]string) (time.Duration, bool) {
	n, err := strconv.Atoi(attrs[attrDeregistrationDelay])
	if err != nil {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// targetAddr is a target's "ip:port".
func targetAddr(t types.TargetDescription) string {
	return net.JoinHostPort(aws.ToString(t.Id), strconv.Itoa(int(aws.ToInt32(t.Port))))
}

// targetOf is the target of address "ip:port".
func targetOf(addr string) (types.TargetDescription, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return types.TargetDescription{}, fmt.Errorf("target %q: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return types.TargetDescription{}, fmt.Errorf("target %q: bad port", addr)
	}
	return types.TargetDescription{Id: aws.String(host), Port: aws.Int32(int32(n))}, nil
}

func targetsOf(addrs []string) ([]types.TargetDescription, error) {
	out := make([]types.TargetDescription, 0, len(addrs))
	for _, a := range addrs {
		t, err := targetOf(a)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// forwardWeights reads the weights a listener's default actions forward
// with, by target group ARN; empty when they do not forward.
func forwardWeights(actions []types.Action) map[string]int {
	w := map[string]int{}
	for _, a := range actions {
		if a.Type != types.ActionTypeEnumForward {
			continue
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			for _, t := range a.ForwardConfig.TargetGroups {
				weight := 1
				if t.Weight != nil {
					weight = int(*t.Weight)
				}
				w[aws.ToString(t.TargetGroupArn)] = weight
			}
			continue
		}
		if a.TargetGroupArn != nil {
			w[*a.TargetGroupArn] = 1
		}
	}
	return w
}

// forwardTo is the action that forwards to groups by weight (group ARN
// to weight).
func forwardTo(weights map[string]int) []types.Action {
	var tuples []types.TargetGroupTuple
	for _, arn := range slices.Sorted(maps.Keys(weights)) {
		tuples = append(tuples, types.TargetGroupTuple{TargetGroupArn: aws.String(arn), Weight: aws.Int32(int32(weights[arn]))})
	}
	return []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: tuples}}}
}

func tagList(m map[string]string) []types.Tag {
	out := make([]types.Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func isNotFound(err error) bool {
	var lb *types.LoadBalancerNotFoundException
	var tg *types.TargetGroupNotFoundException
	var l *types.ListenerNotFoundException
	var r *types.RuleNotFoundException
	return errors.As(err, &lb) || errors.As(err, &tg) || errors.As(err, &l) || errors.As(err, &r)
}

func isInUse(err error) bool {
	var e *types.ResourceInUseException
	return errors.As(err, &e)
}
