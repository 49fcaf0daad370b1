package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// ReadResources refreshes load balancers: gone when neither the load
// balancer nor any of its recorded target groups exists; otherwise the
// listeners with their real forward weights, the groups and the targets
// each serves (registered, not draining), so that drift shows a weight
// changed or a target deregistered by hand, and the subnets, security
// groups, tags and deregistration delay as they are. A canary group is
// one of the groups (found by its tags when a listener forwards to it
// and the state does not record it), and the private data gets the
// canaries' weights from their tags, for the plan.
func (p *Provider) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	resp := providers.ReadResourcesResponse{Results: make([]providers.ReadResult, len(req.Objects))}
	c, cerr := p.api()
	for i, o := range req.Objects {
		r := providers.ReadResult{ID: o.ID, NewState: o.State, Private: o.Private}
		switch {
		case o.TypeName != TypeLoadBalancer:
			r.Diagnostics = hcl.Diagnostics{unknownType(o.TypeName)}
		case cerr != nil:
			r.Diagnostics = hcl.Diagnostics{errDiag("Provider not configured", cerr)}
		default:
			st, gone, err := read(ctx, c, o.State)
			var w map[string]int
			if err == nil && !gone {
				w, err = canaryWeights(ctx, c, decodeRecorded(st))
			}
			switch {
			case err != nil:
				r.Diagnostics = hcl.Diagnostics{errDiag("Cannot refresh load balancer "+str(o.State, "name"), err)}
			case gone:
				r.Gone, r.NewState = true, cty.NullVal(o.State.Type())
			default:
				r.NewState, r.Private = st, privateOf(w, o.Private)
			}
		}
		resp.Results[i] = r
	}
	return resp
}

// read is a recorded load balancer as it exists.
func read(ctx context.Context, c api, state cty.Value) (cty.Value, bool, error) {
	if state.IsNull() {
		return state, true, nil
	}
	rec := decodeRecorded(state)
	var lb *types.LoadBalancer
	if rec.ARN != "" {
		var err error
		if lb, err = describeLB(ctx, c, rec.ARN); err != nil {
			return cty.NilVal, false, err
		}
	}
	known := map[string]string{}
	for n, g := range rec.Groups {
		known[n] = g.ARN
	}
	if lb == nil {
		// The load balancer is gone. Target groups that an interrupted
		// destroy left stay recorded until they are deleted too.
		left := newRecorded()
		if err := observeGroups(ctx, c, left, known); err != nil {
			return cty.NilVal, false, err
		}
		if len(left.Groups) == 0 {
			return cty.NilVal, true, nil
		}
		return left.with(state, nil), false, nil
	}
	st, err := observe(ctx, c, state, lb, known, nil)
	return st, false, err
}

// discovery says which target groups observe looks for beyond the ones
// it knows: those the load balancer forwards to, and those named as
// berth names the groups of the targets of Balancer (nil: only the
// former). Imported also takes the load balancer's name, type and scheme.
type discovery struct {
	Balancer *balancer
	Imported bool
}

// observe is v (a state, a configuration being imported, a planned
// state being looked up) with what exists of load balancer lb: its
// computed attributes read from ELBv2, and the drift berth can see in its
// configuration. known are the groups v records, by target name; with
// find, observe also looks for the others.
func observe(ctx context.Context, c api, v cty.Value, lb *types.LoadBalancer, known map[string]string, find *discovery) (cty.Value, error) {
	lbARN := aws.ToString(lb.LoadBalancerArn)
	lbName := aws.ToString(lb.LoadBalancerName)
	rec := newRecorded()
	rec.ARN, rec.DNSName, rec.ZoneID = lbARN, aws.ToString(lb.DNSName), aws.ToString(lb.CanonicalHostedZoneId)
	if find != nil {
		found, err := findGroups(ctx, c, lbARN, lbName, known, find.Balancer)
		if err != nil {
			return cty.NilVal, err
		}
		known = found
	}
	if err := observeGroups(ctx, c, rec, known); err != nil {
		return cty.NilVal, err
	}
	ls, err := listenersOf(ctx, c, lbARN)
	if err != nil {
		return cty.NilVal, fmt.Errorf("reading the listeners of %s: %w", lbName, err)
	}
	if err := observeCanaries(ctx, c, rec, lbName, ls); err != nil {
		return cty.NilVal, err
	}
	names := map[string]string{}
	for n, g := range rec.Groups {
		names[g.ARN] = n
	}
	for _, l := range ls {
		fw := map[string]int{}
		for arn, w := range forwardWeights(l.DefaultActions) {
			n, ok := names[arn]
			if !ok {
				n = arn // a group berth does not know: shown as is
			}
			fw[n] = w
		}
		rec.Listeners[portKey(aws.ToInt32(l.Port))] = listenerState{ARN: aws.ToString(l.ListenerArn), Forward: fw}
	}

	over := map[string]cty.Value{}
	u, _ := v.UnmarkDeep()
	for name, real := range map[string][]string{"subnets": subnetsOf(lb), "security_groups": lb.SecurityGroups} {
		if cur := attr(u, name); cur.IsKnown() && !cur.IsNull() && !sameSet(strs(cur), real) {
			over[name] = listVal(real)
		}
	}
	tags, err := tagsOf(ctx, c, []string{lbARN})
	if err != nil {
		return cty.NilVal, fmt.Errorf("reading the tags of %s: %w", lbName, err)
	}
	blockTags := map[string]cty.Value{}
	for k, val := range tags[lbARN] {
		if !reservedTag(k) {
			blockTags[k] = cty.StringVal(val)
		}
	}
	if cur := strMap(attr(u, "tags")); !sameMap(cur, tags[lbARN]) {
		over["tags"] = mapOrEmpty(blockTags, cty.String)
	}
	if d, drift := delayDrift(ctx, c, u, rec); drift {
		over["deregistration_delay"] = cty.StringVal(strconv.Itoa(int(d/time.Second)) + "s")
	}
	if find != nil && find.Imported {
		over["name"] = cty.StringVal(lbName)
		over["type"] = cty.StringVal(string(lb.Type))
		over["internal"] = cty.BoolVal(lb.Scheme == types.LoadBalancerSchemeEnumInternal)
	}
	return rec.with(v, over), nil
}

// observeCanaries records in rec the canary groups of load balancer
// lbName that its listeners ls forward to and rec does not record (made
// by a step interrupted before it was recorded), found by their tags.
func observeCanaries(ctx context.Context, c api, rec *recorded, lbName string, ls []types.Listener) error {
	known := map[string]bool{}
	for _, g := range rec.Groups {
		known[g.ARN] = true
	}
	var unknown []string
	for _, l := range ls {
		for arn := range forwardWeights(l.DefaultActions) {
			if !known[arn] {
				known[arn] = true
				unknown = append(unknown, arn)
			}
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	tags, err := tagsOf(ctx, c, unknown)
	if err != nil {
		return fmt.Errorf("reading the tags of the target groups %s forwards to: %w", lbName, err)
	}
	found := map[string]string{}
	for _, arn := range unknown {
		t := tags[arn]
		if ck := canaryKey(t[tagTarget]); isCanaryOf(t, lbName, t[tagTarget]) && rec.Groups[ck].ARN == "" {
			found[ck] = arn
		}
	}
	return observeGroups(ctx, c, rec, found)
}

// sameMap reports whether the block's tags are those of real, berth's
// own aside.
func sameMap(block, real map[string]string) bool {
	n := 0
	for k, v := range real {
		if reservedTag(k) {
			continue
		}
		n++
		if bv, ok := block[k]; !ok || bv != v {
			return false
		}
	}
	return n == len(block)
}

// delayDrift compares the deregistration delay of each group with the
// one v gives its target (balancer.delayOf: deregistration_delay, else
// the app's drain, else 300s) and returns the first that differs. v's
// deregistration_delay left unset stays unset while every group has its
// default, so that refresh shows no change of a default.
func delayDrift(ctx context.Context, c api, v cty.Value, rec *recorded) (time.Duration, bool) {
	b, _ := decodeBalancer(v)
	for _, n := range slices.Sorted(maps.Keys(rec.Groups)) {
		attrs, err := groupAttributes(ctx, c, rec.Groups[n].ARN)
		if err != nil {
			continue
		}
		d, ok := deregistrationDelayOf(attrs)
		if !ok {
			continue
		}
		var want time.Duration
		switch {
		case b != nil:
			name := n
			if base, ok := canaryBase(n); ok {
				name = base // a canary group has its target's delay
			}
			t := b.target(name)
			if t == nil {
				continue // a replaced group, about to be deleted
			}
			want = b.delayOf(t)
		default:
			// The configuration cannot be decoded (partly unknown):
			// compare with what it writes, if anything.
			w, err := app.ParseDuration(str(v, "deregistration_delay"))
			if err != nil {
				return 0, false
			}
			want = time.Duration(seconds(w)) * time.Second
		}
		if d != want {
			return d, true
		}
	}
	return 0, false
}

// observeGroups records in rec the groups of known (target name to ARN)
// that exist, with the targets each serves.
func observeGroups(ctx context.Context, c api, rec *recorded, known map[string]string) error {
	for _, n := range slices.Sorted(maps.Keys(known)) {
		arn := known[n]
		if arn == "" {
			continue
		}
		g, err := describeGroup(ctx, c, arn)
		if err != nil {
			return fmt.Errorf("reading target group %s: %w", arn, err)
		}
		if g == nil {
			continue
		}
		h, err := healthOf(ctx, c, arn)
		if err != nil {
			return fmt.Errorf("reading the targets of %s: %w", arn, err)
		}
		rec.Groups[n] = groupState{ARN: arn, Targets: serving(h)}
	}
	return nil
}

// findGroups is known with the groups the load balancer forwards to and
// those that bear the names berth gives the groups of b's targets, each
// by its berth:target tag, else by its name without the load balancer's
// name before it.
func findGroups(ctx context.Context, c api, lbARN, lbName string, known map[string]string, b *balancer) (map[string]string, error) {
	out := map[string]string{}
	seen := map[string]bool{}
	for n, arn := range known {
		if arn != "" {
			out[n], seen[arn] = arn, true
		}
	}
	gs, err := groupsOf(ctx, c, lbARN)
	if err != nil {
		return nil, fmt.Errorf("listing the target groups of %s: %w", lbName, err)
	}
	if b != nil {
		for i := range b.Targets {
			t := &b.Targets[i]
			k := b.key(t)
			for _, name := range []string{groupName(lbName, t.Name, ""), groupName(lbName, t.Name, strings.ToLower(k.Protocol)+portKey(k.Port))} {
				g, err := describeGroupNamed(ctx, c, name)
				if err != nil {
					return nil, fmt.Errorf("looking for target group %s: %w", name, err)
				}
				if g != nil {
					gs = append(gs, *g)
				}
			}
		}
	}
	var arns []string
	var fresh []types.TargetGroup
	for _, g := range gs {
		if arn := aws.ToString(g.TargetGroupArn); !seen[arn] {
			seen[arn] = true
			arns = append(arns, arn)
			fresh = append(fresh, g)
		}
	}
	if len(arns) == 0 {
		return out, nil
	}
	tags, err := tagsOf(ctx, c, arns)
	if err != nil {
		return nil, fmt.Errorf("reading the tags of the target groups of %s: %w", lbName, err)
	}
	for _, g := range fresh {
		arn := aws.ToString(g.TargetGroupArn)
		t := tags[arn]
		if t[tagLoadBalancer] != "" && t[tagLoadBalancer] != lbName {
			continue // another load balancer's
		}
		n := t[tagTarget]
		switch {
		case n == "":
			n = strings.TrimPrefix(aws.ToString(g.TargetGroupName), lbName+"-")
		case t[tagCanary] == "true":
			n = canaryKey(n)
		}
		if _, taken := out[n]; taken {
			n = aws.ToString(g.TargetGroupName)
		}
		if _, taken := out[n]; taken {
			n = arn
		}
		out[n] = arn
	}
	return out, nil
}
