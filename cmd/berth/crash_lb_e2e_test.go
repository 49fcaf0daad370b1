//go:build crash && integration

package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/platform/app"
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
	var kills, orphans, duplicates, stale, missing int
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
		o, d, s, m := l.convergence(t, ctx, c)
		orphans, duplicates, stale, missing = orphans+o, duplicates+d, stale+s, missing+m
		if o+d+s+m > 0 {
			t.Errorf("trial %d (%s): %d orphans, %d duplicates, %d stale targets, %d missing after the next apply", i,
				map[bool]string{true: "create", false: "rollout"}[create], o, d, s, m)
		}
	}
	t.Logf("%d trials, %d kills: %d orphans, %d duplicates, %d stale targets, %d missing targets after the next apply",
		*crashLB, kills, orphans, duplicates, stale, missing)
}

// convergence compares the emulator with the state: load balancers and
// target groups not recorded (orphans) or more than one (duplicates), and
// registered targets that are not the app's recorded instances (stale) or
// instances not registered (missing).
func (l *lbTest) convergence(t *testing.T, ctx context.Context, c *elasticloadbalancingv2.Client) (orphans, duplicates, stale, missing int) {
	t.Helper()
	st := l.e.state()
	lb := st.Instance(addrs.Instance{Resource: addrs.Resource{Mode: addrs.Managed, Type: "load_balancer", Name: "web"}})
	ap := st.Instance(addrs.Instance{Resource: addrs.Resource{Mode: addrs.Managed, Type: "app", Name: l.app}})
	if lb == nil || ap == nil {
		t.Fatalf("the state lacks the load balancer or the app after an apply")
	}
	lbs, err := c.DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	duplicates += max(len(lbs.LoadBalancers)-1, 0)
	for _, x := range lbs.LoadBalancers {
		if aws.ToString(x.LoadBalancerArn) != app.Str(lb.Value, "arn") {
			orphans++
		}
	}
	tgs, err := c.DescribeTargetGroups(ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	duplicates += max(len(tgs.TargetGroups)-1, 0)
	v, _ := lb.Value.UnmarkDeep()
	group := v.GetAttr("target_groups").Index(cty.StringVal(l.app))
	groupARN := group.GetAttr("arn").AsString()
	for _, g := range tgs.TargetGroups {
		if aws.ToString(g.TargetGroupArn) != groupARN {
			orphans++
		}
	}
	var want []string
	for _, in := range app.DecodeInstances(ap.Value) {
		want = append(want, in.Addresses["http"].String())
	}
	th, err := c.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(groupARN)})
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
		if !slices.Contains(want, g) {
			stale++
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing++
		}
	}
	return orphans, duplicates, stale, missing
}
