package aws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// TestImport adopts a load balancer berth made (by name and by ARN) and
// one made by hand (its group mapped to the target by its name): the
// state records what exists, and for berth's own the next plan changes
// nothing.
func TestImport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := newInstance(t, "web-0")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance()})
	cfg := lbValue(t, "imp", lbSrc, map[string]cty.Value{"web": web})
	st := e.mustApply(cty.NilVal, cfg)

	for _, id := range []string{"imp", decodeRecorded(st).ARN} {
		r := e.p.ImportResource(ctx, providers.ImportResourceRequest{TypeName: TypeLoadBalancer, ID: id, Config: cfg})
		if r.Diagnostics.HasErrors() {
			t.Fatalf("import %s: %s", id, r.Diagnostics.Error())
		}
		if !r.State.Equals(st).True() {
			t.Errorf("import %s:\n%#v\nwant\n%#v", id, r.State, st)
		}
		if pr := e.plan(r.State, cfg); !pr.PlannedState.Equals(r.State).True() || len(pr.RequiresReplace) > 0 {
			t.Errorf("the plan after import %s changes: %v", id, pr.RequiresReplace)
		}
	}

	// Made by hand: no berth tag; its group named "hand-web".
	lb, err := e.sdk.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("hand"), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		t.Fatal(err)
	}
	lbARN := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	g, err := e.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("hand-web"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(8080), TargetType: types.TargetTypeEnumIp, VpcId: lb.LoadBalancers[0].VpcId})
	if err != nil {
		t.Fatal(err)
	}
	gARN := aws.ToString(g.TargetGroups[0].TargetGroupArn)
	target, _ := targetOf(a.addr().String())
	if _, err := e.sdk.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(gARN), Targets: []types.TargetDescription{target}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sdk.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Port: aws.Int32(80),
		Protocol: types.ProtocolEnumHttp, DefaultActions: forwardTo(map[string]int{gARN: 1})}); err != nil {
		t.Fatal(err)
	}
	hand := lbValue(t, "hand", lbSrc, map[string]cty.Value{"web": web})
	r := e.p.ImportResource(ctx, providers.ImportResourceRequest{TypeName: TypeLoadBalancer, ID: "hand", Config: hand})
	if r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Error())
	}
	rec := decodeRecorded(r.State)
	if rec.ARN != lbARN || rec.Groups["web"].ARN != gARN || len(rec.Groups["web"].Targets) != 1 || rec.Listeners["80"].Forward["web"] != 1 {
		t.Fatalf("imported: %+v", rec)
	}
	// It had no tags and a deregistration delay of 300s: the plan puts
	// the configuration's.
	if got := r.State.GetAttr("deregistration_delay"); !got.Equals(cty.StringVal("300s")).True() {
		t.Errorf("imported deregistration_delay %#v", got)
	}
	if got := r.State.GetAttr("tags"); got.LengthInt() != 0 {
		t.Errorf("imported tags %#v", got)
	}
	st2 := e.mustApply(r.State, hand)
	tags, _ := tagsOf(ctx, e.sdk, []string{lbARN, gARN})
	if tags[lbARN]["managed-by"] != "berth" || tags[gARN]["berth:target"] != "web" {
		t.Errorf("tags after the apply of an import: %v", tags)
	}
	if decodeRecorded(st2).Groups["web"].ARN != gARN {
		t.Error("the imported group was replaced")
	}

	if r := e.p.ImportResource(ctx, providers.ImportResourceRequest{TypeName: TypeLoadBalancer, ID: "nope", Config: hand}); !r.Diagnostics.HasErrors() {
		t.Error("importing a load balancer that does not exist succeeded")
	}
}

// TestLookup finds a load balancer by the idempotency key of the create
// that made it, and nothing for another key.
func TestLookup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := newInstance(t, "web-0")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance()})
	cfg := lbValue(t, "look", lbSrc, map[string]cty.Value{"web": web})
	pr := e.plan(cty.NilVal, cfg)
	ar := e.p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: TypeLoadBalancer,
		PriorState: cty.NullVal(cfg.Type()), PlannedState: pr.PlannedState, Config: cfg, IdempotencyKey: "k1"}, nil)
	if ar.Diagnostics.HasErrors() {
		t.Fatal(ar.Diagnostics)
	}
	planned := cty.UnknownAsNull(pr.PlannedState)
	r := e.p.LookupResources(ctx, providers.LookupResourcesRequest{Objects: []providers.LookupObject{
		{ID: "1", TypeName: TypeLoadBalancer, IdempotencyKey: "k1", Planned: planned},
		{ID: "2", TypeName: TypeLoadBalancer, IdempotencyKey: "k2", Planned: planned},
	}})
	if len(r.Results) != 2 || r.Results[0].Diagnostics.HasErrors() || r.Results[1].Diagnostics.HasErrors() {
		t.Fatalf("lookup: %+v", r)
	}
	if !r.Results[0].Found || !r.Results[0].State.Equals(ar.NewState).True() {
		t.Errorf("found %v:\n%#v\nwant\n%#v", r.Results[0].Found, r.Results[0].State, ar.NewState)
	}
	if r.Results[1].Found {
		t.Error("found a load balancer by another key")
	}
	// A create that finds its own load balancer (killed after making it)
	// takes it over; another's is refused.
	again := e.p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: TypeLoadBalancer,
		PriorState: cty.NullVal(cfg.Type()), PlannedState: pr.PlannedState, Config: cfg, IdempotencyKey: "k1"}, nil)
	if again.Diagnostics.HasErrors() || decodeRecorded(again.NewState).ARN != decodeRecorded(ar.NewState).ARN {
		t.Errorf("a create repeated with its key: %v", again.Diagnostics)
	}
	other := e.p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: TypeLoadBalancer,
		PriorState: cty.NullVal(cfg.Type()), PlannedState: pr.PlannedState, Config: cfg, IdempotencyKey: "k3"}, nil)
	if !other.Diagnostics.HasErrors() || !other.NewState.IsNull() {
		t.Errorf("a create over another's load balancer: %v", other.Diagnostics)
	}
}
