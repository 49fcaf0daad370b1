package aws

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// TestDrift changes by hand, through the SDK, a listener's forward
// weights (to a group berth does not know beside its own) and
// deregisters a target: refresh shows both, the plan changes them back,
// apply repairs them, and refresh then finds no drift.
func TestDrift(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := newInstance(t, "web-0"), newInstance(t, "web-1")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance(), b.appInstance()})
	cfg := lbValue(t, "drift", lbSrc, map[string]cty.Value{"web": web})
	st := e.mustApply(cty.NilVal, cfg)
	rec := decodeRecorded(st)
	group, listener := rec.Groups["web"].ARN, rec.Listeners["80"].ARN

	// By hand: a group of someone else's, half of the traffic to it...
	out, err := e.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("by-hand"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(80), TargetType: types.TargetTypeEnumIp, VpcId: aws.String("vpc-1")})
	if err != nil {
		t.Fatal(err)
	}
	other := aws.ToString(out.TargetGroups[0].TargetGroupArn)
	if _, err := e.sdk.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(listener),
		DefaultActions: forwardTo(map[string]int{group: 3, other: 1})}); err != nil {
		t.Fatal(err)
	}
	// ... and web-1 taken out.
	gone, _ := targetOf(b.addr().String())
	if _, err := e.sdk.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(group), Targets: []types.TargetDescription{gone}}); err != nil {
		t.Fatal(err)
	}

	r := e.read(st)
	got := decodeRecorded(r.NewState)
	if w := got.Listeners["80"].Forward; len(w) != 2 || w["web"] != 3 || w[other] != 1 {
		t.Errorf("refreshed forward weights %v, want web: 3 and %s: 1", w, other)
	}
	if ts := got.Groups["web"].Targets; !slices.Equal(ts, []string{a.addr().String()}) {
		t.Errorf("refreshed targets %v, want only %s", ts, a.addr())
	}

	pr := e.plan(r.NewState, cfg)
	if pr.PlannedState.Equals(r.NewState).True() {
		t.Fatal("the plan does not repair the drift")
	}
	st2 := e.mustApply(r.NewState, cfg)
	if r2 := e.read(st2); !r2.NewState.Equals(st2).True() {
		t.Fatalf("drift left after apply:\n%#v", r2.NewState)
	}
	fixed := decodeRecorded(st2)
	if w := fixed.Listeners["80"].Forward; len(w) != 1 || w["web"] != 1 {
		t.Errorf("forward after repair %v", w)
	}
	want := []string{a.addr().String(), b.addr().String()}
	slices.Sort(want)
	if h := e.health(group); len(h) != 2 || h[b.addr().String()] == "" || h[b.addr().String()] == types.TargetHealthStateEnumDraining {
		t.Errorf("targets after repair: %v", h)
	}
	if ts := fixed.Groups["web"].Targets; !slices.Equal(ts, want) {
		t.Errorf("recorded targets after repair %v, want %v", ts, want)
	}
}

// TestRefreshGone: a load balancer deleted by hand, with its groups, is
// gone; one whose groups are left keeps them recorded, and the next
// apply makes the load balancer again around them.
func TestRefreshGone(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := newInstance(t, "web-0")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance()})
	cfg := lbValue(t, "gone", lbSrc, map[string]cty.Value{"web": web})
	st := e.mustApply(cty.NilVal, cfg)
	rec := decodeRecorded(st)
	for _, l := range rec.Listeners {
		if _, err := e.sdk.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(l.ARN)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.sdk.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(rec.ARN)}); err != nil {
		t.Fatal(err)
	}
	r := e.read(st)
	if r.Gone {
		t.Fatal("gone while its target group exists")
	}
	left := decodeRecorded(r.NewState)
	if left.ARN != "" || left.Groups["web"].ARN != rec.Groups["web"].ARN {
		t.Fatalf("refreshed: %+v", left)
	}
	st2 := e.mustApply(r.NewState, cfg)
	again := decodeRecorded(st2)
	if again.ARN == "" || again.ARN == rec.ARN || again.Groups["web"].ARN != rec.Groups["web"].ARN {
		t.Fatalf("after apply: %+v", again)
	}

	dr := e.p.ApplyResourceChange(ctx, applyDestroy(st2), e.record)
	if dr.Diagnostics.HasErrors() {
		t.Fatal(dr.Diagnostics)
	}
	if r := e.read(st2); !r.Gone {
		t.Error("not gone after destroy")
	}
}
