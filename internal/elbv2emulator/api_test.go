package elbv2emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	smithy "github.com/aws/smithy-go"
)

func TestLoadBalancerShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	out, err := f.c.DescribeLoadBalancers(f.ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	lb := out.LoadBalancers[0]
	checks := []struct {
		what, got, re string
	}{
		{"ARN", aws.ToString(lb.LoadBalancerArn), `^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/[0-9a-f]{16}$`},
		{"DNS name", aws.ToString(lb.DNSName), `^web-[0-9]{10}\.us-east-1\.elb\.amazonaws\.com$`},
		{"hosted zone", aws.ToString(lb.CanonicalHostedZoneId), `^Z35SXDOTRQ7X7K$`},
		{"state", string(lb.State.Code), `^active$`},
		{"type", string(lb.Type), `^application$`},
		{"scheme", string(lb.Scheme), `^internet-facing$`},
		{"VPC", aws.ToString(lb.VpcId), `^vpc-[0-9a-f]{17}$`},
	}
	for _, c := range checks {
		if !regexp.MustCompile(c.re).MatchString(c.got) {
			t.Errorf("%s = %q, want %s", c.what, c.got, c.re)
		}
	}
	if len(lb.AvailabilityZones) != 2 || aws.ToString(lb.AvailabilityZones[0].ZoneName) != "us-east-1a" || len(lb.SecurityGroups) != 1 {
		t.Errorf("zones %+v, security groups %v", lb.AvailabilityZones, lb.SecurityGroups)
	}
	if lb.CreatedTime == nil || time.Since(*lb.CreatedTime) > time.Hour {
		t.Errorf("created %v", lb.CreatedTime)
	}

	// Idempotent: the same settings give the same load balancer.
	again, err := f.c.CreateLoadBalancer(f.ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"subnet-bbbb", "subnet-aaaa"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.LoadBalancers[0].LoadBalancerArn) != f.lbARN {
		t.Errorf("creating it again gave another load balancer")
	}

	nlb, err := f.c.CreateLoadBalancer(f.ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("tcp"), Type: types.LoadBalancerTypeEnumNetwork, Scheme: types.LoadBalancerSchemeEnumInternal, Subnets: []string{"subnet-aaaa"}})
	if err != nil {
		t.Fatal(err)
	}
	n := nlb.LoadBalancers[0]
	if !regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/tcp/[0-9a-f]{16}$`).MatchString(aws.ToString(n.LoadBalancerArn)) ||
		!regexp.MustCompile(`^internal-tcp-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com$`).MatchString(aws.ToString(n.DNSName)) ||
		aws.ToString(n.CanonicalHostedZoneId) != "Z26RNL4JYFTOTI" {
		t.Errorf("network load balancer %s %s %s", aws.ToString(n.LoadBalancerArn), aws.ToString(n.DNSName), aws.ToString(n.CanonicalHostedZoneId))
	}
}

// apiCode is the ELBv2 error code of err.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestTypedErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	tg := f.targetGroup(t, "web")
	lis, _ := f.listener(t, types.ProtocolEnumHttp, 80, []string{tg})
	missingTG := strings.Replace(tg, "targetgroup/web/", "targetgroup/gone/", 1)

	var tgNotFound *types.TargetGroupNotFoundException
	_, err := f.c.DescribeTargetGroups(f.ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{missingTG}})
	if !errors.As(err, &tgNotFound) {
		t.Errorf("DescribeTargetGroups of a missing group: %v", err)
	}
	_, err = f.c.DescribeTargetHealth(f.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(missingTG)})
	if !errors.As(err, &tgNotFound) {
		t.Errorf("DescribeTargetHealth of a missing group: %v", err)
	}

	var inUse *types.ResourceInUseException
	_, err = f.c.DeleteTargetGroup(f.ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: aws.String(tg)})
	if !errors.As(err, &inUse) {
		t.Errorf("DeleteTargetGroup of a group in use: %v", err)
	}

	var dupListener *types.DuplicateListenerException
	_, err = f.c.CreateListener(f.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: aws.String(f.lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("404")}}},
	})
	if !errors.As(err, &dupListener) {
		t.Errorf("a second listener on port 80: %v", err)
	}
	// The same settings again: the same listener.
	same, err := f.c.CreateListener(f.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: aws.String(f.lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
			TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(tg), Weight: aws.Int32(1)}}}}},
	})
	if err != nil || aws.ToString(same.Listeners[0].ListenerArn) != lis {
		t.Errorf("creating the listener again: %v", err)
	}

	rule := &elbv2.CreateRuleInput{
		ListenerArn: aws.String(lis), Priority: aws.Int32(1),
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/a"}}},
		Actions:    []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}},
	}
	if _, err := f.c.CreateRule(f.ctx, rule); err != nil {
		t.Fatal(err)
	}
	var prio *types.PriorityInUseException
	if _, err := f.c.CreateRule(f.ctx, rule); !errors.As(err, &prio) {
		t.Errorf("a second rule of priority 1: %v", err)
	}

	var lbNotFound *types.LoadBalancerNotFoundException
	if _, err := f.c.DescribeLoadBalancers(f.ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"nope"}}); !errors.As(err, &lbNotFound) {
		t.Errorf("DescribeLoadBalancers of a missing name: %v", err)
	}
	var lisNotFound *types.ListenerNotFoundException
	if _, err := f.c.DeleteListener(f.ctx, &elbv2.DeleteListenerInput{ListenerArn: aws.String(lis + "0")}); !errors.As(err, &lisNotFound) {
		t.Errorf("DeleteListener of a missing listener: %v", err)
	}
	var ruleNotFound *types.RuleNotFoundException
	if _, err := f.c.DeleteRule(f.ctx, &elbv2.DeleteRuleInput{RuleArn: aws.String(strings.Replace(lis, ":listener/", ":listener-rule/", 1) + "/0123456789abcdef")}); !errors.As(err, &ruleNotFound) {
		t.Errorf("DeleteRule of a missing rule: %v", err)
	}
	var dupTG *types.DuplicateTargetGroupNameException
	if _, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("web"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String("vpc-1"), TargetType: types.TargetTypeEnumIp}); !errors.As(err, &dupTG) {
		t.Errorf("a second group named web with other settings: %v", err)
	}
	var dupLB *types.DuplicateLoadBalancerNameException
	if _, err := f.c.CreateLoadBalancer(f.ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("web"), Scheme: types.LoadBalancerSchemeEnumInternal, Subnets: []string{"subnet-aaaa", "subnet-bbbb"}}); !errors.As(err, &dupLB) {
		t.Errorf("a second load balancer named web with other settings: %v", err)
	}
	var invalidTarget *types.InvalidTargetException
	if _, err := f.c.RegisterTargets(f.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}}}); !errors.As(err, &invalidTarget) {
		t.Errorf("an instance ID in an ip group: %v", err)
	}
	var incompatible *types.IncompatibleProtocolsException
	tcpTG := f.targetGroup(t, "tcp", func(in *elbv2.CreateTargetGroupInput) { in.Protocol = types.ProtocolEnumTcp; in.HealthCheckPath = nil })
	if _, err := f.c.CreateListener(f.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: aws.String(f.lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(81),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tcpTG)}},
	}); !errors.As(err, &incompatible) {
		t.Errorf("an HTTP listener forwarding to a TCP group: %v", err)
	}
	var notPermitted *types.OperationNotPermittedException
	rules, err := f.c.DescribeRules(f.ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(lis)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.DeleteRule(f.ctx, &elbv2.DeleteRuleInput{RuleArn: rules.Rules[len(rules.Rules)-1].RuleArn}); !errors.As(err, &notPermitted) {
		t.Errorf("deleting the default rule: %v", err)
	}

	validation := []struct {
		name string
		call func() error
	}{
		{"name too long", func() error {
			_, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String(strings.Repeat("a", 33)), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1")})
			return err
		}},
		{"name ends with a hyphen", func() error {
			_, err := f.c.CreateLoadBalancer(f.ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("web-"), Subnets: []string{"subnet-aaaa", "subnet-bbbb"}})
			return err
		}},
		{"name with an underscore", func() error {
			_, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("a_b"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1")})
			return err
		}},
		{"port 0", func() error {
			_, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("p"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(0), VpcId: aws.String("vpc-1")})
			return err
		}},
		{"interval 4", func() error {
			_, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("p"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"), HealthCheckIntervalSeconds: aws.Int32(4)})
			return err
		}},
		{"timeout not below the interval", func() error {
			_, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("p"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"), HealthCheckIntervalSeconds: aws.Int32(5)})
			return err
		}},
		{"matcher 600", func() error {
			_, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("p"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"), Matcher: &types.Matcher{HttpCode: aws.String("200-600")}})
			return err
		}},
		{"deregistration delay 3601", func() error {
			_, err := f.c.ModifyTargetGroupAttributes(f.ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tg), Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("3601")}}})
			return err
		}},
		{"unknown attribute", func() error {
			_, err := f.c.ModifyLoadBalancerAttributes(f.ctx, &elbv2.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(f.lbARN), Attributes: []types.LoadBalancerAttribute{{Key: aws.String("nope"), Value: aws.String("1")}}})
			return err
		}},
		{"malformed ARN", func() error {
			_, err := f.c.DescribeTargetHealth(f.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String("tg")})
			return err
		}},
		{"one subnet for an application load balancer", func() error {
			_, err := f.c.CreateLoadBalancer(f.ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("one"), Subnets: []string{"subnet-aaaa"}})
			return err
		}},
		{"TCP listener on an application load balancer", func() error {
			_, err := f.c.CreateListener(f.ctx, &elbv2.CreateListenerInput{LoadBalancerArn: aws.String(f.lbARN), Protocol: types.ProtocolEnumTcp, Port: aws.Int32(82),
				DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}})
			return err
		}},
		{"HTTPS listener without a certificate", func() error {
			_, err := f.c.CreateListener(f.ctx, &elbv2.CreateListenerInput{LoadBalancerArn: aws.String(f.lbARN), Protocol: types.ProtocolEnumHttps, Port: aws.Int32(443),
				DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}})
			return err
		}},
		{"weight 1000", func() error {
			_, err := f.c.ModifyListener(f.ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(lis),
				DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(tg), Weight: aws.Int32(1000)}}}}}})
			return err
		}},
	}
	for _, v := range validation {
		if err := v.call(); apiCode(err) != "ValidationError" {
			t.Errorf("%s: %v, want a ValidationError", v.name, err)
		}
	}
}

func TestTargetGroupDefaultsAndAttributes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	out, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("d"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String("vpc-1")})
	if err != nil {
		t.Fatal(err)
	}
	g := out.TargetGroups[0]
	got := []any{aws.ToBool(g.HealthCheckEnabled), g.HealthCheckProtocol, aws.ToString(g.HealthCheckPort), aws.ToString(g.HealthCheckPath),
		aws.ToInt32(g.HealthCheckIntervalSeconds), aws.ToInt32(g.HealthCheckTimeoutSeconds), aws.ToInt32(g.HealthyThresholdCount),
		aws.ToInt32(g.UnhealthyThresholdCount), aws.ToString(g.Matcher.HttpCode), g.TargetType, aws.ToString(g.ProtocolVersion), g.IpAddressType}
	want := []any{true, types.ProtocolEnumHttp, "traffic-port", "/", int32(30), int32(5), int32(5), int32(2), "200", types.TargetTypeEnumInstance, "HTTP1", types.TargetGroupIpAddressTypeEnumIpv4}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("default %d: %v, want %v", i, got[i], want[i])
		}
	}
	if !regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/d/[0-9a-f]{16}$`).MatchString(aws.ToString(g.TargetGroupArn)) {
		t.Errorf("ARN %s", aws.ToString(g.TargetGroupArn))
	}
	tcp, err := f.c.CreateTargetGroup(f.ctx, &elbv2.CreateTargetGroupInput{Name: aws.String("t"), Protocol: types.ProtocolEnumTcp, Port: aws.Int32(8080), VpcId: aws.String("vpc-1")})
	if err != nil {
		t.Fatal(err)
	}
	if g := tcp.TargetGroups[0]; g.HealthCheckProtocol != types.ProtocolEnumTcp || aws.ToInt32(g.HealthCheckTimeoutSeconds) != 10 || g.Matcher != nil || g.HealthCheckPath != nil {
		t.Errorf("TCP defaults: %s %d %v %v", g.HealthCheckProtocol, aws.ToInt32(g.HealthCheckTimeoutSeconds), g.Matcher, g.HealthCheckPath)
	}

	arn := g.TargetGroupArn
	mod, err := f.c.ModifyTargetGroup(f.ctx, &elbv2.ModifyTargetGroupInput{TargetGroupArn: arn, HealthCheckPath: aws.String("/ready"), Matcher: &types.Matcher{HttpCode: aws.String("200,204")}})
	if err != nil {
		t.Fatal(err)
	}
	if g := mod.TargetGroups[0]; aws.ToString(g.HealthCheckPath) != "/ready" || aws.ToString(g.Matcher.HttpCode) != "200,204" {
		t.Errorf("modified: %s %s", aws.ToString(g.HealthCheckPath), aws.ToString(g.Matcher.HttpCode))
	}

	attrs, err := f.c.DescribeTargetGroupAttributes(f.ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if v := attrValue(attrs.Attributes, "deregistration_delay.timeout_seconds"); v != "300" {
		t.Errorf("deregistration delay default %q", v)
	}
	if _, err := f.c.ModifyTargetGroupAttributes(f.ctx, &elbv2.ModifyTargetGroupAttributesInput{TargetGroupArn: arn, Attributes: []types.TargetGroupAttribute{
		{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")},
		{Key: aws.String("stickiness.enabled"), Value: aws.String("true")},
	}}); err != nil {
		t.Fatal(err)
	}
	attrs, err = f.c.DescribeTargetGroupAttributes(f.ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if attrValue(attrs.Attributes, "deregistration_delay.timeout_seconds") != "30" || attrValue(attrs.Attributes, "stickiness.enabled") != "true" {
		t.Errorf("attributes not kept: %v", attrs.Attributes)
	}

	lbAttrs, err := f.c.ModifyLoadBalancerAttributes(f.ctx, &elbv2.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(f.lbARN), Attributes: []types.LoadBalancerAttribute{
		{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("120")},
		{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := f.c.DescribeLoadBalancerAttributes(f.ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(f.lbARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.Attributes) != len(lbAttrs.Attributes) {
		t.Errorf("describe and modify list different attributes")
	}
	for _, a := range desc.Attributes {
		if aws.ToString(a.Key) == "idle_timeout.timeout_seconds" && aws.ToString(a.Value) != "120" {
			t.Errorf("idle timeout %s", aws.ToString(a.Value))
		}
	}
	var notPermitted *types.OperationNotPermittedException
	if _, err := f.c.DeleteLoadBalancer(f.ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(f.lbARN)}); !errors.As(err, &notPermitted) {
		t.Errorf("deleting a protected load balancer: %v", err)
	}
}

func attrValue(attrs []types.TargetGroupAttribute, key string) string {
	for _, a := range attrs {
		if aws.ToString(a.Key) == key {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

func TestPagingTagsAndDeletes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	var arns []string
	for _, n := range []string{"g1", "g2", "g3", "g4", "g5"} {
		arns = append(arns, f.targetGroup(t, n))
	}
	p := elbv2.NewDescribeTargetGroupsPaginator(f.c, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(2)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.TargetGroups {
			names = append(names, aws.ToString(g.TargetGroupName))
		}
	}
	if strings.Join(names, ",") != "g1,g2,g3,g4,g5" || pages != 3 {
		t.Errorf("paged %d pages: %v", pages, names)
	}

	if _, err := f.c.AddTags(f.ctx, &elbv2.AddTagsInput{ResourceArns: []string{f.lbARN, arns[0]}, Tags: []types.Tag{
		{Key: aws.String("app"), Value: aws.String("web")}, {Key: aws.String("env"), Value: aws.String("prod")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.RemoveTags(f.ctx, &elbv2.RemoveTagsInput{ResourceArns: []string{arns[0]}, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.c.DescribeTags(f.ctx, &elbv2.DescribeTagsInput{ResourceArns: []string{f.lbARN, arns[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.TagDescriptions) != 2 || len(tags.TagDescriptions[0].Tags) != 2 || len(tags.TagDescriptions[1].Tags) != 1 ||
		aws.ToString(tags.TagDescriptions[1].Tags[0].Key) != "app" {
		t.Errorf("tags %+v", tags.TagDescriptions)
	}
	var dupKeys *types.DuplicateTagKeysException
	if _, err := f.c.AddTags(f.ctx, &elbv2.AddTagsInput{ResourceArns: []string{f.lbARN}, Tags: []types.Tag{{Key: aws.String("a")}, {Key: aws.String("a")}}}); !errors.As(err, &dupKeys) {
		t.Errorf("duplicate tag keys: %v", err)
	}

	// Deleting is idempotent for load balancers and target groups, and
	// takes the listeners with the load balancer.
	lis, _ := f.listener(t, types.ProtocolEnumHttp, 80, []string{arns[0]})
	for range 2 {
		if _, err := f.c.DeleteLoadBalancer(f.ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(f.lbARN)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.DeleteTargetGroup(f.ctx, &elbv2.DeleteTargetGroupInput{TargetGroupArn: aws.String(arns[0])}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := f.s.ListenerAddr(lis); ok {
		t.Errorf("the listener of a deleted load balancer is still served")
	}
	var lisNotFound *types.ListenerNotFoundException
	if _, err := f.c.DescribeListeners(f.ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{lis}}); !errors.As(err, &lisNotFound) {
		t.Errorf("DescribeListeners of a deleted load balancer's listener: %v", err)
	}
}

func TestListenersEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	tg := f.targetGroup(t, "web")
	lis, addr := f.listener(t, types.ProtocolEnumHttp, 8080, []string{tg})
	resp, err := http.Get(f.s.URL() + "/_emulator/listeners")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0]["listener_arn"] != lis || got[0]["address"] != addr || got[0]["port"] != float64(8080) ||
		got[0]["protocol"] != "HTTP" || got[0]["load_balancer_arn"] != f.lbARN || !strings.HasPrefix(got[0]["dns_name"].(string), "web-") {
		t.Errorf("listeners %v", got)
	}
}

func TestUnknownActionAndRawErrors(t *testing.T) {
	t.Parallel()
	s := startEmulator(t)
	resp, err := http.PostForm(s.URL(), url.Values{"Action": {"CreateTrustStore"}, "Version": {"2015-12-01"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("an action the emulator does not implement: %d", resp.StatusCode)
	}
	c := newClient(s)
	_, err = c.DescribeTrustStores(t.Context(), &elbv2.DescribeTrustStoresInput{})
	if apiCode(err) != "InvalidAction" {
		t.Errorf("SDK call of an action the emulator does not implement: %v", err)
	}
}

// TestCloseLeavesNoGoroutines runs traffic, health checks and a drain, then
// closes the emulator: its goroutines must all end.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	b := newBackend(t, "b")
	before := runtime.NumGoroutine()
	s, err := Start(Options{TimeScale: testScale})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{s: s, c: newClient(s), ctx: t.Context()}
	out, err := f.c.CreateLoadBalancer(f.ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		t.Fatal(err)
	}
	f.lbARN = aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	tg := f.targetGroup(t, "web")
	_, addr := f.listener(t, types.ProtocolEnumHttp, 80, []string{tg})
	f.register(t, tg, b)
	f.waitInService(t, tg, b)
	spread(t, addr, 5)
	f.deregister(t, tg, b) // draining when closed
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	httpClient.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(waitFor)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before Start, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := f.c.DescribeLoadBalancers(f.ctx, &elbv2.DescribeLoadBalancersInput{}); err == nil {
		t.Errorf("the API answers after Close")
	}
}
