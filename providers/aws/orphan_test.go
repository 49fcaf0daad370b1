package aws

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// faulty is the ELBv2 API with ModifyTargetGroupAttributes failing while
// failAttrs is set.
type faulty struct {
	api
	failAttrs atomic.Bool
}

func (f *faulty) ModifyTargetGroupAttributes(ctx context.Context, in *elb.ModifyTargetGroupAttributesInput, o ...func(*elb.Options)) (*elb.ModifyTargetGroupAttributesOutput, error) {
	if f.failAttrs.Load() {
		return nil, errors.New("injected failure")
	}
	return f.api.ModifyTargetGroupAttributes(ctx, in, o...)
}

// TestGroupRecordedBeforeAttributes: a target group whose attributes
// cannot be set is recorded all the same, and the next apply takes it
// over instead of making another.
func TestGroupRecordedBeforeAttributes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := newInstance(t, "web-0")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance()})
	cfg := lbValue(t, "attrs", lbSrc, map[string]cty.Value{"web": web})
	f := &faulty{api: e.p.client}
	f.failAttrs.Store(true)
	e.p.client = f

	r := e.apply(cty.NilVal, cfg)
	if !r.Diagnostics.HasErrors() || !strings.Contains(r.Diagnostics.Error(), "injected failure") {
		t.Fatalf("the apply did not fail: %v", r.Diagnostics)
	}
	group := decodeRecorded(r.NewState).Groups["web"].ARN
	if group == "" {
		t.Fatalf("the group made is not recorded: %#v", r.NewState.GetAttr("target_groups"))
	}
	if g, _ := describeGroup(ctx, e.sdk, group); g == nil {
		t.Fatal("the recorded group does not exist")
	}

	f.failAttrs.Store(false)
	st := e.mustApply(r.NewState, cfg)
	if got := decodeRecorded(st).Groups["web"].ARN; got != group {
		t.Errorf("the next apply made group %s, want %s taken over", got, group)
	}
	if attrs, _ := groupAttributes(ctx, e.sdk, group); attrs[attrDeregistrationDelay] != "5" {
		t.Errorf("deregistration delay %q, want 5", attrs[attrDeregistrationDelay])
	}
}

// TestDestroyStrayGroups: destroy also deletes the target groups tagged
// for the load balancer that the state does not record (made by an
// apply killed before it recorded them), and no other.
func TestDestroyStrayGroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := newInstance(t, "web-0")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance()})
	st := e.mustApply(cty.NilVal, lbValue(t, "stray", lbSrc, map[string]cty.Value{"web": web}))
	mk := func(name string, tags map[string]string) string {
		t.Helper()
		out, err := e.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(8080), TargetType: types.TargetTypeEnumIp, VpcId: aws.String("vpc-1"), Tags: tagList(tags)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.TargetGroups[0].TargetGroupArn)
	}
	stray := mk("stray-web-http8081", map[string]string{tagManagedBy: managedByBerth, tagLoadBalancer: "stray", tagTarget: "web"})
	others := []string{
		mk("strayx-web", map[string]string{tagManagedBy: managedByBerth, tagLoadBalancer: "strayx", tagTarget: "web"}),
		mk("stray-by-hand", nil),
	}

	dr := e.p.ApplyResourceChange(ctx, applyDestroy(st), e.record)
	if dr.Diagnostics.HasErrors() {
		t.Fatal(dr.Diagnostics)
	}
	for _, arn := range append([]string{decodeRecorded(st).Groups["web"].ARN, stray}, others...) {
		g, err := describeGroup(ctx, e.sdk, arn)
		if err != nil {
			t.Fatal(err)
		}
		if mine := arn != others[0] && arn != others[1]; mine != (g == nil) {
			t.Errorf("group %s: exists %v after the destroy", arn, g != nil)
		}
	}
}
