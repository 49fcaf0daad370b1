package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// recorder is the ELBv2 API with the calls that change what exists
// (but tags) recorded in order, target groups by name.
type recorder struct {
	api
	mu    sync.Mutex
	calls []string
	names map[string]string // group ARN -> name
}

func (r *recorder) log(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recorder) weights(actions []elbAction) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for arn, w := range forwardWeights(actions) {
		parts = append(parts, fmt.Sprintf("%s=%d", r.names[arn], w))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (r *recorder) CreateTargetGroup(ctx context.Context, in *elb.CreateTargetGroupInput, o ...func(*elb.Options)) (*elb.CreateTargetGroupOutput, error) {
	out, err := r.api.CreateTargetGroup(ctx, in, o...)
	if err == nil {
		r.mu.Lock()
		r.names[aws.ToString(out.TargetGroups[0].TargetGroupArn)] = aws.ToString(in.Name)
		r.mu.Unlock()
		r.log("create " + aws.ToString(in.Name))
	}
	return out, err
}

// name is the name of the group of ARN arn.
func (r *recorder) name(arn *string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.names[aws.ToString(arn)]
}

func (r *recorder) ModifyTargetGroup(ctx context.Context, in *elb.ModifyTargetGroupInput, o ...func(*elb.Options)) (*elb.ModifyTargetGroupOutput, error) {
	r.log("health " + r.name(in.TargetGroupArn))
	return r.api.ModifyTargetGroup(ctx, in, o...)
}

func (r *recorder) ModifyTargetGroupAttributes(ctx context.Context, in *elb.ModifyTargetGroupAttributesInput, o ...func(*elb.Options)) (*elb.ModifyTargetGroupAttributesOutput, error) {
	r.log("attributes " + r.name(in.TargetGroupArn))
	return r.api.ModifyTargetGroupAttributes(ctx, in, o...)
}

func (r *recorder) RegisterTargets(ctx context.Context, in *elb.RegisterTargetsInput, o ...func(*elb.Options)) (*elb.RegisterTargetsOutput, error) {
	r.log(fmt.Sprintf("register %d in %s", len(in.Targets), r.name(in.TargetGroupArn)))
	return r.api.RegisterTargets(ctx, in, o...)
}

func (r *recorder) DeregisterTargets(ctx context.Context, in *elb.DeregisterTargetsInput, o ...func(*elb.Options)) (*elb.DeregisterTargetsOutput, error) {
	r.log(fmt.Sprintf("deregister %d from %s", len(in.Targets), r.name(in.TargetGroupArn)))
	return r.api.DeregisterTargets(ctx, in, o...)
}

func (r *recorder) ModifyListener(ctx context.Context, in *elb.ModifyListenerInput, o ...func(*elb.Options)) (*elb.ModifyListenerOutput, error) {
	out, err := r.api.ModifyListener(ctx, in, o...)
	if err == nil {
		r.log("listener " + r.weights(in.DefaultActions))
	}
	return out, err
}

func (r *recorder) ModifyRule(ctx context.Context, in *elb.ModifyRuleInput, o ...func(*elb.Options)) (*elb.ModifyRuleOutput, error) {
	out, err := r.api.ModifyRule(ctx, in, o...)
	if err == nil {
		r.log("rule " + r.weights(in.Actions))
	}
	return out, err
}

func (r *recorder) DeleteTargetGroup(ctx context.Context, in *elb.DeleteTargetGroupInput, o ...func(*elb.Options)) (*elb.DeleteTargetGroupOutput, error) {
	out, err := r.api.DeleteTargetGroup(ctx, in, o...)
	name := r.name(in.TargetGroupArn)
	if err != nil {
		r.log("delete " + name + " failed: " + err.Error())
	} else {
		r.log("delete " + name)
	}
	return out, err
}

// TestGroupReplacementOrder changes the port of a target's app: its
// group cannot change its port, so a new group replaces it within the
// update, in the order that never leaves a listener or rule without a
// group nor deletes one in use: create the new group, add it to the
// listener and rule with weight 0 until its targets are healthy, switch
// them to it, then delete the old group.
func TestGroupReplacementOrder(t *testing.T) {
	e := newEnv(t)
	a := newInstance(t, "web-0")
	src := `
subnets = ["subnet-a", "subnet-b"]
deregistration_delay = "1s"
listener {
  port = 80
  rule {
    priority      = 5
    path_patterns = ["/x/*"]
    target        = "web"
  }
}
target {
  app  = app.web
  port = "http"
}
`
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance()})
	st := e.mustApply(cty.NilVal, lbValue(t, "repl", src, map[string]cty.Value{"web": web}))
	old := decodeRecorded(st).Groups["web"].ARN

	rec := &recorder{api: e.p.client, names: map[string]string{old: "repl-web"}}
	e.p.client = rec
	moved := appValue(t, "web", strings.Replace(webApp, "8080", "8081", 1), "dep-web", []app.Instance{a.appInstance()})
	cfg := lbValue(t, "repl", src, map[string]cty.Value{"web": moved})
	if pr := e.plan(st, cfg); pr.PlannedState.GetAttr("target_groups").Index(cty.StringVal("web")).GetAttr("arn").IsKnown() {
		t.Error("the replaced group's ARN is planned known")
	}
	st2 := e.mustApply(st, cfg)
	got := decodeRecorded(st2)
	if got.Groups["web"].ARN == old || len(got.Groups) != 1 {
		t.Fatalf("after the update: %+v", got)
	}
	want := []string{
		"create repl-web-http8081",
		"attributes repl-web-http8081",
		"register 1 in repl-web-http8081",
		"listener repl-web-http8081=0,repl-web=1",
		"rule repl-web-http8081=0,repl-web=1",
		"listener repl-web-http8081=1",
		"rule repl-web-http8081=1",
		"delete repl-web",
	}
	if strings.Join(rec.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(rec.calls, "\n"), strings.Join(want, "\n"))
	}
	if g, _ := describeGroup(context.Background(), e.sdk, old); g != nil {
		t.Error("the old group is left")
	}
	if body, err := e.get(st2, "80"); err != nil || body != "web-0" {
		t.Errorf("through the listener after the replacement: %q %v", body, err)
	}
	if r := e.read(st2); !r.NewState.Equals(st2).True() {
		t.Errorf("drift after the replacement:\n%#v", r.NewState)
	}
}
