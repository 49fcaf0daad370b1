package aws

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

const lbSrc = `
subnets = ["subnet-a", "subnet-b"]
deregistration_delay = "5s"
tags = { team = "shop" }
listener {
  port = 80
}
target {
  app  = app.web
  port = "http"
}
`

// TestLifecycle creates a load balancer whose listener serves an app's
// two instances, refreshes it (no drift), updates it (a second target
// with a rule, a tag, the deregistration delay) and destroys it, checking
// each time what ELBv2 has.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := newInstance(t, "web-0"), newInstance(t, "web-1")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance(), b.appInstance()})
	cfg := lbValue(t, "shop", lbSrc, map[string]cty.Value{"web": web})

	// The plan of a create knows the targets, not the ARNs.
	pr := e.plan(cty.NilVal, cfg)
	tg := pr.PlannedState.GetAttr("target_groups").Index(cty.StringVal("web"))
	both := []string{a.addr().String(), b.addr().String()}
	slices.Sort(both)
	if tg.GetAttr("arn").IsKnown() || !tg.GetAttr("targets").Equals(listVal(both)).True() {
		t.Fatalf("planned target group: %#v", tg)
	}

	st := e.mustApply(cty.NilVal, cfg)
	rec := decodeRecorded(st)
	if rec.ARN == "" || rec.DNSName == "" || len(rec.Groups) != 1 || len(rec.Listeners) != 1 {
		t.Fatalf("recorded: %+v", rec)
	}
	group := rec.Groups["web"]
	if !slices.Equal(group.Targets, both) {
		t.Fatalf("targets %v, want %v", group.Targets, both)
	}
	// What ELBv2 has: the group, its health check from the readiness
	// probe, its tags, the listener forwarding to it.
	g, err := describeGroup(ctx, e.sdk, group.ARN)
	if err != nil || g == nil {
		t.Fatalf("group: %v %v", g, err)
	}
	if aws.ToString(g.TargetGroupName) != "shop-web" || aws.ToString(g.HealthCheckPath) != "/health" || aws.ToString(g.HealthCheckPort) != trafficPort ||
		aws.ToInt32(g.HealthCheckIntervalSeconds) != 5 || aws.ToInt32(g.HealthyThresholdCount) != 2 || string(g.TargetType) != "ip" {
		t.Errorf("group: name %s, path %s, port %s, interval %d, healthy %d, type %s", aws.ToString(g.TargetGroupName), aws.ToString(g.HealthCheckPath),
			aws.ToString(g.HealthCheckPort), aws.ToInt32(g.HealthCheckIntervalSeconds), aws.ToInt32(g.HealthyThresholdCount), g.TargetType)
	}
	tags, err := tagsOf(ctx, e.sdk, []string{rec.ARN, group.ARN})
	if err != nil {
		t.Fatal(err)
	}
	if lt := tags[rec.ARN]; lt["managed-by"] != "berth" || lt["berth:load-balancer"] != "shop" || lt["team"] != "shop" || lt["berth:idempotency-key"] == "" {
		t.Errorf("load balancer tags: %v", lt)
	}
	if gt := tags[group.ARN]; gt["berth:target"] != "web" || gt["managed-by"] != "berth" || gt["team"] != "shop" {
		t.Errorf("group tags: %v", gt)
	}
	attrs, _ := groupAttributes(ctx, e.sdk, group.ARN)
	if attrs[attrDeregistrationDelay] != "5" {
		t.Errorf("deregistration delay %q", attrs[attrDeregistrationDelay])
	}
	e.waitAllHealthy(group.ARN, 2)
	seen := map[string]bool{}
	eventually(t, 10e9, "both instances serve", func() error {
		body, err := e.get(st, "80")
		if err != nil {
			return err
		}
		seen[body] = true
		if !seen["web-0"] || !seen["web-1"] {
			return fmt.Errorf("served by %v", seen)
		}
		return nil
	})

	// Refreshed, it is what was applied: no drift, no change.
	r := e.read(st)
	if r.Gone || !r.NewState.Equals(st).True() {
		t.Fatalf("refresh drifted:\n%#v\nwas\n%#v", r.NewState, st)
	}
	if pr := e.plan(r.NewState, cfg); !pr.PlannedState.Equals(r.NewState).True() {
		t.Fatalf("a plan with no change changes:\n%#v", pr.PlannedState)
	}

	// Update: a second app behind /api/*, a tag removed and one added,
	// another deregistration delay.
	c := newInstance(t, "api-0")
	api := appValue(t, "api", webApp, "dep-api", []app.Instance{c.appInstance()})
	cfg2 := lbValue(t, "shop", `
subnets = ["subnet-a", "subnet-b"]
deregistration_delay = "7s"
tags = { owner = "me" }
listener {
  port = 80
  rule {
    priority      = 10
    path_patterns = ["/api/*"]
    target        = "api"
  }
}
target {
  app  = app.web
  port = "http"
}
target {
  app  = app.api
  port = "http"
}
`, map[string]cty.Value{"web": web, "api": api})
	pr = e.plan(st, cfg2)
	if got := pr.PlannedState.GetAttr("target_groups").Index(cty.StringVal("web")).GetAttr("arn"); !got.Equals(cty.StringVal(group.ARN)).True() {
		t.Errorf("the kept group's ARN is planned %#v", got)
	}
	st2 := e.mustApply(st, cfg2)
	rec2 := decodeRecorded(st2)
	if rec2.ARN != rec.ARN || rec2.Groups["web"].ARN != group.ARN || rec2.Groups["api"].ARN == "" {
		t.Fatalf("after update: %+v", rec2)
	}
	tags, _ = tagsOf(ctx, e.sdk, []string{rec.ARN})
	if lt := tags[rec.ARN]; lt["owner"] != "me" || lt["team"] != "" {
		t.Errorf("load balancer tags after update: %v", lt)
	}
	attrs, _ = groupAttributes(ctx, e.sdk, group.ARN)
	if attrs[attrDeregistrationDelay] != "7" {
		t.Errorf("deregistration delay after update %q", attrs[attrDeregistrationDelay])
	}
	rules, err := rulesOf(ctx, e.sdk, rec2.Listeners["80"].ARN)
	if err != nil || len(rules) != 1 || aws.ToString(rules[0].Priority) != "10" {
		t.Fatalf("rules: %v %v", rules, err)
	}
	e.waitAllHealthy(rec2.Groups["api"].ARN, 1)
	eventually(t, 10e9, "the rule forwards /api/ to api", func() error {
		addr, _ := e.srv.ListenerAddr(rec2.Listeners["80"].ARN)
		resp, err := (&httpClient).Get("http://" + addr + "/api/x")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if c.hits.Load() == 0 {
			return fmt.Errorf("api-0 got no request")
		}
		return nil
	})
	if r := e.read(st2); !r.NewState.Equals(st2).True() {
		t.Fatalf("refresh after update drifted:\n%#v", r.NewState)
	}

	// Destroy: nothing is left.
	dr := e.p.ApplyResourceChange(ctx, applyDestroy(st2), e.record)
	if dr.Diagnostics.HasErrors() || !dr.NewState.IsNull() {
		t.Fatalf("destroy: %v %#v", dr.Diagnostics, dr.NewState)
	}
	if lb, _ := describeLB(ctx, e.sdk, rec.ARN); lb != nil {
		t.Error("the load balancer is left")
	}
	for _, g := range rec2.Groups {
		if tg, _ := describeGroup(ctx, e.sdk, g.ARN); tg != nil {
			t.Errorf("target group %s is left", g.ARN)
		}
	}
	if r := e.read(st2); !r.Gone {
		t.Error("refresh of a destroyed load balancer is not gone")
	}
	out, err := e.sdk.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	if err != nil || len(out.TargetGroups) != 0 {
		t.Errorf("target groups left: %v %v", out, err)
	}
}
