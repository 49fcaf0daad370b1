package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berth-sh/berth/platform/app"
)

// replacedKey is the key under which target_groups records a target's
// previous group while its replacement takes over: "web (replaced)", a
// key no target name takes (target names have no spaces in practice). A
// failed apply leaves it recorded, and the next one deletes it.
func replacedKey(name string) string { return name + " (replaced)" }

// reconcile makes the target groups, targets, listeners and rules of the
// active load balancer lb those of b, recording in rec what exists as it
// goes. A target whose group cannot keep its protocol and port gets a new
// group. The order keeps traffic flowing and ELBv2 from refusing
// (ResourceInUse): the new group is created and its targets registered;
// behind an Application Load Balancer the listeners and rules then
// forward to it with weight 0 beside the old group (so that ELBv2 checks
// its targets, which it does only in a group in use) until its targets
// are healthy; then the listeners and rules are switched to it, and only
// then is the old group deleted.
func (a *applier) reconcile(ctx context.Context, b *balancer, rec *recorded, lb *types.LoadBalancer) error {
	lbARN := aws.ToString(lb.LoadBalancerArn)
	current := map[string]*types.TargetGroup{}
	for _, name := range slices.Sorted(maps.Keys(rec.Groups)) {
		g, err := describeGroup(ctx, a.c, rec.Groups[name].ARN)
		if err != nil {
			return fmt.Errorf("reading target group %s: %w", rec.Groups[name].ARN, err)
		}
		if g == nil {
			delete(rec.Groups, name)
			continue
		}
		current[name] = g
	}
	// The canaries' weights are what their groups' tags say (the plan's
	// for a canary whose weight has not been set yet).
	weights, err := canaryWeights(ctx, a.c, rec)
	if err != nil {
		return fmt.Errorf("reading the weights of the canaries of %s: %w", b.Name, err)
	}
	if a.canaryWeights == nil {
		a.canaryWeights = map[string]int{}
	}
	maps.Copy(a.canaryWeights, weights)
	final := routing{}
	members := map[string][]member{}
	for i := range b.Targets {
		t := &b.Targets[i]
		hc, err := healthCheckOf(b.Type, t, b.HealthCheck)
		if err != nil {
			return fmt.Errorf("target %s: %w", t.Name, err)
		}
		k := b.key(t)
		cur := current[t.Name]
		canary := current[canaryKey(t.Name)]
		if canary != nil && cur != nil && keyOf(cur) != k {
			return errCanaryInProgress(b, t)
		}
		if cur != nil && keyOf(cur) == k {
			if err := a.updateGroup(ctx, b, t, cur, hc); err != nil {
				return err
			}
		} else {
			old := ""
			if cur != nil {
				old = aws.ToString(cur.TargetGroupName)
			}
			g, adopted, err := a.createGroup(ctx, b, t, newGroupName(b.Name, t.Name, k, old), aws.ToString(lb.VpcId), hc)
			if err != nil {
				return err
			}
			newARN := aws.ToString(g.TargetGroupArn)
			// A group berth made before and recorded under another key
			// (a replaced one, taken back) is this target's again.
			for _, k := range slices.Sorted(maps.Keys(rec.Groups)) {
				if k != t.Name && rec.Groups[k].ARN == newARN {
					delete(rec.Groups, k)
				}
			}
			if cur != nil && aws.ToString(cur.TargetGroupArn) != newARN {
				rk := replacedKey(t.Name)
				for i := 2; ; i++ {
					if _, taken := rec.Groups[rk]; !taken {
						break
					}
					rk = fmt.Sprintf("%s (replaced %d)", t.Name, i)
				}
				rec.Groups[rk] = rec.Groups[t.Name]
			}
			// Recorded before anything else can fail: a group made and
			// not recorded would be left behind by destroy.
			rec.Groups[t.Name] = groupState{ARN: newARN, Targets: []string{}}
			cur = g
			if adopted {
				err = a.updateGroup(ctx, b, t, g, hc)
			} else {
				err = a.setDeregistrationDelay(ctx, newARN, b.delayOf(t))
			}
			if err != nil {
				return err
			}
		}
		arn := aws.ToString(cur.TargetGroupArn)
		final[t.Name] = map[string]int{arn: 1}
		members[t.Name], _ = t.members()
		if canary != nil {
			route, serving, err := a.keepCanary(ctx, b, t, canary, arn, hc, rec)
			if err != nil {
				return err
			}
			final[t.Name] = route
			// The canary's instances are the app's too: they take only
			// the canary's share.
			members[t.Name] = slices.DeleteFunc(members[t.Name], func(m member) bool { return slices.Contains(serving, m.Addr) })
		}
		if err := a.syncTargets(ctx, t.Name, arn, members[t.Name], rec); err != nil {
			return err
		}
	}

	// Targets whose previous groups still exist: behind an Application
	// Load Balancer their new group joins the listeners with weight 0
	// until its targets are healthy.
	warm, waiting := routing{}, false
	for name, r := range final {
		warm[name] = maps.Clone(r)
		olds := previousGroups(rec, name)
		if len(olds) == 0 || len(members[name]) == 0 || b.Type != typeApplication {
			continue
		}
		for arn := range r {
			warm[name][arn] = 0
		}
		for _, o := range olds {
			warm[name][rec.Groups[o].ARN] = 1
		}
		waiting = true
	}
	if waiting {
		if err := a.syncListeners(ctx, b, lbARN, warm, rec); err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(final)) {
			if len(previousGroups(rec, name)) == 0 || len(members[name]) == 0 {
				continue
			}
			t := b.target(name)
			if err := a.waitHealthy(ctx, b.Name, name, rec.Groups[name].ARN, members[name], healthyDeadline(t)); err != nil {
				return fmt.Errorf("the new target group of %s serves no traffic yet: %w", name, err)
			}
		}
	}
	if err := a.syncListeners(ctx, b, lbARN, final, rec); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(rec.Groups)) {
		if b.target(k) != nil {
			continue
		}
		if base, ok := canaryBase(k); ok && b.target(base) != nil && current[k] != nil {
			continue // a canary in progress: its rollout retires it
		}
		if err := a.deleteGroup(ctx, rec.Groups[k].ARN); err != nil {
			return err
		}
		delete(rec.Groups, k)
	}
	return nil
}

// routing says where each target's traffic goes: its target name to the
// weights of target group ARNs.
type routing map[string]map[string]int

// previousGroups are the keys of rec's groups that a target's new group
// replaces ("web (replaced)", "web (replaced 2)").
func previousGroups(rec *recorded, name string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(rec.Groups)) {
		if k == replacedKey(name) || strings.HasPrefix(k, name+" (replaced ") {
			out = append(out, k)
		}
	}
	return out
}

// healthyDeadline is how long t's new targets may take to be healthy
// (those of a new group, those a StepAdmit without a deadline admits):
// the app's rollout's healthy_deadline, else its default.
func healthyDeadline(t *target) time.Duration {
	if d := t.App.Rollout.HealthyDeadline; d > 0 {
		return d
	}
	return app.DefaultRolloutHealthyDeadline
}

// keyOf is the protocol and port of an existing group.
func keyOf(g *types.TargetGroup) groupKey {
	return groupKey{Protocol: string(g.Protocol), Port: aws.ToInt32(g.Port)}
}

// createGroup creates the target group of t. A group of that name that
// berth made for this target (an apply interrupted before it recorded
// it) is taken over (adopted: its settings are still to be brought to
// b's); any other is refused. The caller records the group, then sets
// its attributes.
func (a *applier) createGroup(ctx context.Context, b *balancer, t *target, name, vpc string, hc healthCheck) (g *types.TargetGroup, adopted bool, err error) {
	k := b.key(t)
	out, err := a.c.CreateTargetGroup(ctx, groupInput(name, k, vpc, hc, groupTags(b, t)))
	var dup *types.DuplicateTargetGroupNameException
	switch {
	case errors.As(err, &dup):
		ours, err := a.adoptGroup(ctx, b, t, name)
		return ours, err == nil, err
	case err != nil:
		return nil, false, fmt.Errorf("creating target group %s: %w", name, err)
	case len(out.TargetGroups) == 0:
		return nil, false, fmt.Errorf("creating target group %s: ELBv2 returned no target group", name)
	}
	a.emit("progress", "", "created target group %s (%s)", name, k)
	return &out.TargetGroups[0], false, nil
}

// groupInput is the creation of an ip target group named name, of
// protocol and port k, in vpc ("": ELBv2's default), checked as hc says,
// tagged tags.
func groupInput(name string, k groupKey, vpc string, hc healthCheck, tags map[string]string) *elb.CreateTargetGroupInput {
	in := &elb.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: types.ProtocolEnum(k.Protocol), Port: aws.Int32(k.Port),
		TargetType: types.TargetTypeEnumIp, Tags: tagList(tags),
		HealthCheckEnabled: aws.Bool(true), HealthCheckProtocol: types.ProtocolEnum(hc.Protocol), HealthCheckPort: aws.String(hc.Port),
		HealthCheckIntervalSeconds: aws.Int32(hc.Interval), HealthCheckTimeoutSeconds: aws.Int32(hc.Timeout),
		HealthyThresholdCount: aws.Int32(hc.HealthyThreshold), UnhealthyThresholdCount: aws.Int32(hc.UnhealthyThreshold),
	}
	if vpc != "" {
		in.VpcId = aws.String(vpc)
	}
	if hc.Path != "" {
		in.HealthCheckPath, in.Matcher = aws.String(hc.Path), &types.Matcher{HttpCode: aws.String(hc.Matcher)}
	}
	return in
}

// adoptGroup returns the existing group named name when berth made it
// for target t of b, with t's protocol and port.
func (a *applier) adoptGroup(ctx context.Context, b *balancer, t *target, name string) (*types.TargetGroup, error) {
	g, err := describeGroupNamed(ctx, a.c, name)
	if err != nil || g == nil {
		return nil, fmt.Errorf("target group %s exists but cannot be read: %v", name, err)
	}
	arn := aws.ToString(g.TargetGroupArn)
	tags, err := tagsOf(ctx, a.c, []string{arn})
	if err != nil {
		return nil, err
	}
	tg := tags[arn]
	if tg[tagManagedBy] != managedByBerth || tg[tagLoadBalancer] != b.Name || tg[tagTarget] != t.Name || keyOf(g) != b.key(t) {
		return nil, fmt.Errorf("a target group named %s already exists (%s) that berth did not make for target %s of load balancer %s; delete or rename it", name, arn, t.Name, b.Name)
	}
	return g, nil
}

// updateGroup makes an existing group's health check, deregistration
// delay and tags b's.
func (a *applier) updateGroup(ctx context.Context, b *balancer, t *target, g *types.TargetGroup, hc healthCheck) error {
	return a.syncGroup(ctx, g, hc, b.delayOf(t), groupTags(b, t))
}

// syncGroup gives an existing group the health check hc, the
// deregistration delay delay and the tags tags.
func (a *applier) syncGroup(ctx context.Context, g *types.TargetGroup, hc healthCheck, delay time.Duration, tags map[string]string) error {
	arn := aws.ToString(g.TargetGroupArn)
	if !sameHealth(g, hc) {
		in := &elb.ModifyTargetGroupInput{
			TargetGroupArn: g.TargetGroupArn, HealthCheckEnabled: aws.Bool(true),
			HealthCheckProtocol: types.ProtocolEnum(hc.Protocol), HealthCheckPort: aws.String(hc.Port),
			HealthCheckIntervalSeconds: aws.Int32(hc.Interval), HealthCheckTimeoutSeconds: aws.Int32(hc.Timeout),
			HealthyThresholdCount: aws.Int32(hc.HealthyThreshold), UnhealthyThresholdCount: aws.Int32(hc.UnhealthyThreshold),
		}
		if hc.Path != "" {
			in.HealthCheckPath, in.Matcher = aws.String(hc.Path), &types.Matcher{HttpCode: aws.String(hc.Matcher)}
		}
		if _, err := a.c.ModifyTargetGroup(ctx, in); err != nil {
			return fmt.Errorf("changing the health check of target group %s: %w", aws.ToString(g.TargetGroupName), err)
		}
		a.emit("progress", "", "changed the health check of target group %s", aws.ToString(g.TargetGroupName))
	}
	attrs, err := groupAttributes(ctx, a.c, arn)
	if err != nil {
		return fmt.Errorf("reading target group %s: %w", aws.ToString(g.TargetGroupName), err)
	}
	if d, ok := deregistrationDelayOf(attrs); !ok || d != delay {
		if err := a.setDeregistrationDelay(ctx, arn, delay); err != nil {
			return err
		}
	}
	return a.syncTags(ctx, arn, tags)
}

func (a *applier) setDeregistrationDelay(ctx context.Context, arn string, d time.Duration) error {
	_, err := a.c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(arn),
		Attributes:     []types.TargetGroupAttribute{{Key: aws.String(attrDeregistrationDelay), Value: aws.String(strconv.Itoa(int(d / time.Second)))}},
	})
	if err != nil {
		return fmt.Errorf("setting the deregistration delay of target group %s: %w", arn, err)
	}
	return nil
}

// sameHealth reports whether g checks health as hc says.
func sameHealth(g *types.TargetGroup, hc healthCheck) bool {
	same := string(g.HealthCheckProtocol) == hc.Protocol && aws.ToString(g.HealthCheckPort) == hc.Port &&
		aws.ToInt32(g.HealthCheckIntervalSeconds) == hc.Interval && aws.ToInt32(g.HealthCheckTimeoutSeconds) == hc.Timeout &&
		aws.ToInt32(g.HealthyThresholdCount) == hc.HealthyThreshold && aws.ToInt32(g.UnhealthyThresholdCount) == hc.UnhealthyThreshold
	if hc.Path != "" {
		m := ""
		if g.Matcher != nil {
			m = aws.ToString(g.Matcher.HttpCode)
		}
		same = same && aws.ToString(g.HealthCheckPath) == hc.Path && m == hc.Matcher
	}
	return same
}

// member is an instance of an app as a target: its name and "ip:port".
type member struct {
	Instance string
	Addr     string
}

func addrsOf(ms []member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Addr
	}
	return out
}

// syncTargets registers want in the group and deregisters the other
// targets it serves; rec records the group's targets.
func (a *applier) syncTargets(ctx context.Context, name, arn string, want []member, rec *recorded) error {
	health, err := healthOf(ctx, a.c, arn)
	if err != nil {
		return fmt.Errorf("reading the targets of target group %s: %w", arn, err)
	}
	wanted := map[string]bool{}
	var register, deregister []string
	for _, m := range want {
		wanted[m.Addr] = true
		if h, ok := health[m.Addr]; !ok || h.draining() {
			register = append(register, m.Addr)
		}
	}
	for addr, h := range health {
		if !wanted[addr] && !h.draining() {
			deregister = append(deregister, addr)
		}
	}
	sort.Strings(deregister)
	if len(register) > 0 {
		ts, err := targetsOf(register)
		if err != nil {
			return err
		}
		if _, err := a.c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: ts}); err != nil {
			return fmt.Errorf("registering targets of %s: %w", name, err)
		}
		a.emit("progress", "", "registered %d targets of %s", len(register), name)
	}
	if len(deregister) > 0 {
		ts, err := targetsOf(deregister)
		if err != nil {
			return err
		}
		if _, err := a.c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: ts}); err != nil {
			return fmt.Errorf("deregistering targets of %s: %w", name, err)
		}
		a.emit("progress", "", "deregistered %d targets of %s", len(deregister), name)
	}
	rec.Groups[name] = groupState{ARN: arn, Targets: addrsOf(want)}
	return nil
}

// syncListeners makes the load balancer's listeners b's, each forwarding
// by default to its default target's groups as route says, with its
// rules; listeners b does not have are deleted.
func (a *applier) syncListeners(ctx context.Context, b *balancer, lbARN string, route routing, rec *recorded) error {
	existing, err := listenersOf(ctx, a.c, lbARN)
	if err != nil {
		return fmt.Errorf("reading the listeners of %s: %w", b.Name, err)
	}
	byPort := map[int32]types.Listener{}
	for _, l := range existing {
		byPort[aws.ToInt32(l.Port)] = l
	}
	wanted := map[string]bool{}
	for _, l := range b.Listeners {
		wanted[portKey(l.Port)] = true
		def := route[l.DefaultTarget]
		var certs []types.Certificate
		if l.CertificateARN != "" {
			certs = []types.Certificate{{CertificateArn: aws.String(l.CertificateARN)}}
		}
		var arn string
		if ex, ok := byPort[l.Port]; ok {
			arn = aws.ToString(ex.ListenerArn)
			if err := a.syncTags(ctx, arn, lbTags(b)); err != nil {
				return err
			}
			if listenerDiffers(ex, l, def) {
				_, err := a.c.ModifyListener(ctx, &elb.ModifyListenerInput{
					ListenerArn: ex.ListenerArn, Port: aws.Int32(l.Port), Protocol: types.ProtocolEnum(l.Protocol),
					Certificates: certs, DefaultActions: forwardTo(def),
				})
				if err != nil {
					return fmt.Errorf("changing listener %d: %w", l.Port, err)
				}
				a.emit("progress", "", "listener %d forwards to %s", l.Port, describeForward(rec.forwardByName(def)))
			}
		} else {
			out, err := a.c.CreateListener(ctx, &elb.CreateListenerInput{
				LoadBalancerArn: aws.String(lbARN), Port: aws.Int32(l.Port), Protocol: types.ProtocolEnum(l.Protocol),
				Certificates: certs, DefaultActions: forwardTo(def), Tags: tagList(lbTags(b)),
			})
			if err != nil {
				return fmt.Errorf("creating listener %d: %w", l.Port, err)
			}
			if len(out.Listeners) == 0 {
				return fmt.Errorf("creating listener %d: ELBv2 returned no listener", l.Port)
			}
			arn = aws.ToString(out.Listeners[0].ListenerArn)
			a.emit("progress", "", "created listener %d (%s)", l.Port, l.Protocol)
		}
		rec.Listeners[portKey(l.Port)] = listenerState{ARN: arn, Forward: rec.forwardByName(def)}
		if b.Type == typeApplication {
			if err := a.syncRules(ctx, b, arn, l, route); err != nil {
				return err
			}
		}
	}
	for _, port := range sortedPorts(byPort) {
		if wanted[portKey(port)] {
			continue
		}
		if _, err := a.c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: byPort[port].ListenerArn}); err != nil && !isNotFound(err) {
			return fmt.Errorf("deleting listener %d: %w", port, err)
		}
		a.emit("progress", "", "deleted listener %d", port)
	}
	for port := range rec.Listeners {
		if !wanted[port] {
			delete(rec.Listeners, port)
		}
	}
	return nil
}

func sortedPorts(m map[int32]types.Listener) []int32 {
	out := make([]int32, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// listenerDiffers reports whether an existing listener is not l
// forwarding as def says.
func listenerDiffers(ex types.Listener, l listener, def map[string]int) bool {
	cert := ""
	if len(ex.Certificates) > 0 {
		cert = aws.ToString(ex.Certificates[0].CertificateArn)
	}
	return string(ex.Protocol) != l.Protocol || cert != l.CertificateARN || !maps.Equal(forwardWeights(ex.DefaultActions), def)
}

// describeForward is weights by target name, for a message.
func describeForward(w map[string]int) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(w)) {
		parts = append(parts, fmt.Sprintf("%s (weight %d)", n, w[n]))
	}
	return strings.Join(parts, ", ")
}

// syncRules makes a listener's rules l's: by priority, each forwarding
// to its target's group.
func (a *applier) syncRules(ctx context.Context, b *balancer, listenerARN string, l listener, route routing) error {
	existing, err := rulesOf(ctx, a.c, listenerARN)
	if err != nil {
		return fmt.Errorf("reading the rules of listener %d: %w", l.Port, err)
	}
	byPriority := map[int32]types.Rule{}
	for _, r := range existing {
		if n, err := strconv.Atoi(aws.ToString(r.Priority)); err == nil {
			byPriority[int32(n)] = r
		}
	}
	wanted := map[int32]bool{}
	for _, r := range l.Rules {
		wanted[r.Priority] = true
		conds, fw := conditionsOf(r), route[r.Target]
		if ex, ok := byPriority[r.Priority]; ok {
			if sameConditions(ex.Conditions, conds) && maps.Equal(forwardWeights(ex.Actions), fw) {
				continue
			}
			if _, err := a.c.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: ex.RuleArn, Conditions: conds, Actions: forwardTo(fw)}); err != nil {
				return fmt.Errorf("changing rule %d of listener %d: %w", r.Priority, l.Port, err)
			}
			continue
		}
		_, err := a.c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(listenerARN), Priority: aws.Int32(r.Priority),
			Conditions: conds, Actions: forwardTo(fw), Tags: tagList(lbTags(b))})
		if err != nil {
			return fmt.Errorf("creating rule %d of listener %d: %w", r.Priority, l.Port, err)
		}
	}
	for p, ex := range byPriority {
		if wanted[p] {
			continue
		}
		if _, err := a.c.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: ex.RuleArn}); err != nil && !isNotFound(err) {
			return fmt.Errorf("deleting rule %d of listener %d: %w", p, l.Port, err)
		}
	}
	return nil
}

// conditionsOf is a rule's conditions in ELBv2's terms.
func conditionsOf(r rule) []types.RuleCondition {
	var out []types.RuleCondition
	if len(r.PathPatterns) > 0 {
		out = append(out, types.RuleCondition{Field: aws.String("path-pattern"), PathPatternConfig: &types.PathPatternConditionConfig{Values: r.PathPatterns}})
	}
	if len(r.HostHeaders) > 0 {
		out = append(out, types.RuleCondition{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: r.HostHeaders}})
	}
	return out
}

// sameConditions compares conditions by field and values, whether ELBv2
// gives the values in the field's config or in Values.
func sameConditions(a, b []types.RuleCondition) bool {
	norm := func(cs []types.RuleCondition) map[string][]string {
		m := map[string][]string{}
		for _, c := range cs {
			var vs []string
			switch {
			case c.PathPatternConfig != nil:
				vs = c.PathPatternConfig.Values
			case c.HostHeaderConfig != nil:
				vs = c.HostHeaderConfig.Values
			default:
				vs = c.Values
			}
			f := aws.ToString(c.Field)
			m[f] = append(m[f], vs...)
		}
		for f := range m {
			slices.Sort(m[f])
		}
		return m
	}
	na, nb := norm(a), norm(b)
	if len(na) != len(nb) {
		return false
	}
	for f, vs := range na {
		if !slices.Equal(vs, nb[f]) {
			return false
		}
	}
	return true
}
