//go:build crash && integration

package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/state"
)

var crashLB = flag.Int("crash.lb", 2, "trials killing berth during the create, and the rollouts, of an app behind a load balancer")

// TestCrashLoadBalancer kills berth (SIGKILL) at a random moment of the
// create of an app and its load balancer (even trials, after a destroy)
// or of a coordinated rollout (odd trials); then the next apply must leave
// exactly one load balancer and one target group, both recorded, whose
// registered targets are exactly the app's recorded instances: 0 orphans,
// 0 duplicates, 0 stale or missing targets.
func TestCrashLoadBalancer(t *testing.T) {
	if *crashLB <= 0 {
		t.Skip("no trials asked for")
	}
	l := newLBTest(t, "crashlb")
	e := l.e
	ctx := context.Background()
	c := l.elbv2Client(t)
	args := func(tag string) []string { return []string{"-auto-approve", "-var=tag=" + tag, l.pw, l.ep} }

	// The windows: a create from nothing, and a rollout.
	start := time.Now()
	e.ok(append([]string{"apply"}, args("v1")...)...)
	createWindow := time.Since(start)
	rolloutWindow := min(rolloutTime(e, args("v2")[1:]...), rolloutTime(e, args("v1")[1:]...))
	t.Logf("a create takes %s, a rollout %s", createWindow, rolloutWindow)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	var kills int
	var total lbFigures
	tag := "v1"
	for i := range *crashLB {
		create := i%2 == 0
		window := rolloutWindow
		if create {
			e.ok(append([]string{"destroy"}, args(tag)...)...)
			window = createWindow
		} else if tag == "v1" {
			tag = "v2"
		} else {
			tag = "v1"
		}
		b := e.start(append([]string{"apply"}, args(tag)...)...)
		if !create {
			waitModifying(b)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(window))))
		killed := b.cmd.Process.Signal(syscall.SIGKILL) == nil
		if code := b.wait(); killed && code != 0 {
			kills++
		}

		e.ok(append([]string{"apply"}, args(tag)...)...)
		f := l.convergence(t, ctx, c)
		total.add(f)
		if !f.zero() {
			t.Errorf("trial %d (%s): %s after the next apply", i, map[bool]string{true: "create", false: "rollout"}[create], f)
		}
	}
	t.Logf("%d trials, %d kills: %s targets after the next apply", *crashLB, kills, total)
}

// convergence compares the emulator with the state (checkGroups): one
// target group, in which exactly the app's recorded instances are
// registered.
func (l *lbTest) convergence(t *testing.T, ctx context.Context, c *elasticloadbalancingv2.Client) lbFigures {
	t.Helper()
	var want []string
	for _, in := range app.DecodeInstances(l.recorded(t).app.Value) {
		want = append(want, in.Addresses["http"].String())
	}
	return l.checkGroups(t, ctx, c, map[string][]string{l.app: want})
}

// lbFigures count what the ELBv2 emulator holds against the state.
type lbFigures struct {
	// orphans exist but are not recorded (load balancers, target groups,
	// containers); duplicates are more than one of what is one (a load
	// balancer, a target's group, its canary group, an instance of a name
	// in a role).
	orphans, duplicates int
	// stale are registered targets that do not belong to their group,
	// and records of what does not exist or should not be recorded;
	// missing are instances not registered where they belong, and
	// groups not recorded that should be.
	stale, missing int
}

func (f *lbFigures) add(g lbFigures) {
	f.orphans, f.duplicates, f.stale, f.missing = f.orphans+g.orphans, f.duplicates+g.duplicates, f.stale+g.stale, f.missing+g.missing
}

func (f lbFigures) zero() bool { return f == lbFigures{} }

func (f lbFigures) String() string {
	return fmt.Sprintf("%d orphans, %d duplicates, %d stale, %d missing", f.orphans, f.duplicates, f.stale, f.missing)
}

// recordedLB is the load balancer and the app as the state records them.
type recordedLB struct {
	lb, app *state.Object
	// groups are the load balancer's target_groups: key to ARN.
	groups map[string]string
}

// recorded reads the load balancer and the app from the state.
func (l *lbTest) recorded(t *testing.T) recordedLB {
	t.Helper()
	st := l.e.state()
	lb := st.Instance(addrs.Instance{Resource: addrs.Resource{Mode: addrs.Managed, Type: "load_balancer", Name: "web"}})
	ap := st.Instance(addrs.Instance{Resource: addrs.Resource{Mode: addrs.Managed, Type: "app", Name: l.app}})
	if lb == nil || ap == nil {
		t.Fatalf("the state lacks the load balancer or the app after an apply")
	}
	r := recordedLB{lb: lb, app: ap, groups: map[string]string{}}
	v, _ := lb.Value.UnmarkDeep()
	for it := v.GetAttr("target_groups").ElementIterator(); it.Next(); {
		k, g := it.Element()
		r.groups[k.AsString()] = g.GetAttr("arn").AsString()
	}
	return r
}

// checkGroups compares the emulator with the state: exactly the recorded
// load balancer; target groups that are all recorded, one of each kind
// (a target's group, its canary group: tag berth:canary); the recorded
// target_groups keys exactly those of want; and in each recorded group
// exactly want's addresses registered (draining ones aside).
func (l *lbTest) checkGroups(t *testing.T, ctx context.Context, c *elasticloadbalancingv2.Client, want map[string][]string) lbFigures {
	t.Helper()
	var f lbFigures
	rec := l.recorded(t)
	lbs, err := c.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	f.duplicates += max(len(lbs.LoadBalancers)-1, 0)
	for _, x := range lbs.LoadBalancers {
		if aws.ToString(x.LoadBalancerArn) != app.Str(rec.lb.Value, "arn") {
			t.Logf("orphan load balancer %s", aws.ToString(x.LoadBalancerArn))
			f.orphans++
		}
	}
	tgs, err := c.DescribeTargetGroups(ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{}
	var arns []string
	for _, g := range tgs.TargetGroups {
		arn := aws.ToString(g.TargetGroupArn)
		exists[arn], arns = true, append(arns, arn)
		if !slices.Contains(slices.Collect(maps.Values(rec.groups)), arn) {
			t.Logf("orphan target group %s", arn)
			f.orphans++
		}
	}
	kinds := map[bool]int{}
	for len(arns) > 0 {
		n := min(len(arns), 20) // DescribeTags takes 20 ARNs
		tags, err := c.DescribeTags(ctx, &elasticloadbalancingv2.DescribeTagsInput{ResourceArns: arns[:n]})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range tags.TagDescriptions {
			canary := slices.ContainsFunc(d.Tags, func(tag types.Tag) bool {
				return aws.ToString(tag.Key) == "berth:canary" && aws.ToString(tag.Value) == "true"
			})
			kinds[canary]++
		}
		arns = arns[n:]
	}
	for canary, n := range kinds {
		if n > 1 {
			t.Logf("%d target groups with berth:canary=%t", n, canary)
			f.duplicates += n - 1
		}
	}
	for _, k := range slices.Sorted(maps.Keys(rec.groups)) {
		if _, ok := want[k]; !ok {
			t.Logf("target_groups records %q, which should not be there", k)
			f.stale++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		arn, ok := rec.groups[k]
		switch {
		case !ok:
			t.Logf("target_groups does not record %q", k)
			f.missing++
			continue
		case !exists[arn]:
			t.Logf("target_groups records %q as %s, which does not exist", k, arn)
			f.stale++
			continue
		}
		th, err := c.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range th.TargetHealthDescriptions {
			if d.TargetHealth != nil && d.TargetHealth.State == "draining" {
				continue
			}
			got = append(got, fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)))
		}
		for _, g := range got {
			if !slices.Contains(want[k], g) {
				t.Logf("%s registered in %q, where it does not belong", g, k)
				f.stale++
			}
		}
		for _, w := range want[k] {
			if !slices.Contains(got, w) {
				t.Logf("%s not registered in %q", w, k)
				f.missing++
			}
		}
	}
	return f
}
