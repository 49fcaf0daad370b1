package aws

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// api is the part of the ELBv2 API the provider calls: the SDK's client,
// or in tests a wrapper that records the order of the calls.
type api interface {
	CreateLoadBalancer(context.Context, *elb.CreateLoadBalancerInput, ...func(*elb.Options)) (*elb.CreateLoadBalancerOutput, error)
	DescribeLoadBalancers(context.Context, *elb.DescribeLoadBalancersInput, ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error)
	DeleteLoadBalancer(context.Context, *elb.DeleteLoadBalancerInput, ...func(*elb.Options)) (*elb.DeleteLoadBalancerOutput, error)
	SetSecurityGroups(context.Context, *elb.SetSecurityGroupsInput, ...func(*elb.Options)) (*elb.SetSecurityGroupsOutput, error)
	SetSubnets(context.Context, *elb.SetSubnetsInput, ...func(*elb.Options)) (*elb.SetSubnetsOutput, error)

	CreateTargetGroup(context.Context, *elb.CreateTargetGroupInput, ...func(*elb.Options)) (*elb.CreateTargetGroupOutput, error)
	DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
	ModifyTargetGroup(context.Context, *elb.ModifyTargetGroupInput, ...func(*elb.Options)) (*elb.ModifyTargetGroupOutput, error)
	DeleteTargetGroup(context.Context, *elb.DeleteTargetGroupInput, ...func(*elb.Options)) (*elb.DeleteTargetGroupOutput, error)
	DescribeTargetGroupAttributes(context.Context, *elb.DescribeTargetGroupAttributesInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupAttributesOutput, error)
	ModifyTargetGroupAttributes(context.Context, *elb.ModifyTargetGroupAttributesInput, ...func(*elb.Options)) (*elb.ModifyTargetGroupAttributesOutput, error)

	CreateListener(context.Context, *elb.CreateListenerInput, ...func(*elb.Options)) (*elb.CreateListenerOutput, error)
	DescribeListeners(context.Context, *elb.DescribeListenersInput, ...func(*elb.Options)) (*elb.DescribeListenersOutput, error)
	ModifyListener(context.Context, *elb.ModifyListenerInput, ...func(*elb.Options)) (*elb.ModifyListenerOutput, error)
	DeleteListener(context.Context, *elb.DeleteListenerInput, ...func(*elb.Options)) (*elb.DeleteListenerOutput, error)

	CreateRule(context.Context, *elb.CreateRuleInput, ...func(*elb.Options)) (*elb.CreateRuleOutput, error)
	DescribeRules(context.Context, *elb.DescribeRulesInput, ...func(*elb.Options)) (*elb.DescribeRulesOutput, error)
	ModifyRule(context.Context, *elb.ModifyRuleInput, ...func(*elb.Options)) (*elb.ModifyRuleOutput, error)
	DeleteRule(context.Context, *elb.DeleteRuleInput, ...func(*elb.Options)) (*elb.DeleteRuleOutput, error)

	RegisterTargets(context.Context, *elb.RegisterTargetsInput, ...func(*elb.Options)) (*elb.RegisterTargetsOutput, error)
	DeregisterTargets(context.Context, *elb.DeregisterTargetsInput, ...func(*elb.Options)) (*elb.DeregisterTargetsOutput, error)
	DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)

	AddTags(context.Context, *elb.AddTagsInput, ...func(*elb.Options)) (*elb.AddTagsOutput, error)
	RemoveTags(context.Context, *elb.RemoveTagsInput, ...func(*elb.Options)) (*elb.RemoveTagsOutput, error)
	DescribeTags(context.Context, *elb.DescribeTagsInput, ...func(*elb.Options)) (*elb.DescribeTagsOutput, error)
}

var _ api = (*elb.Client)(nil)

// settings is the provider block.
type settings struct {
	Region, Profile, Endpoint string
}

func decodeSettings(v cty.Value) settings {
	v, _ = v.UnmarkDeep()
	return settings{Region: str(v, "region"), Profile: str(v, "profile"), Endpoint: str(v, "endpoint")}
}

// ValidateProviderConfig checks the endpoint is a URL.
func (p *Provider) ValidateProviderConfig(_ context.Context, req providers.ValidateProviderConfigRequest) providers.ValidateResponse {
	s := decodeSettings(req.Config)
	if s.Endpoint == "" {
		return providers.ValidateResponse{}
	}
	if err := checkEndpoint(s.Endpoint); err != nil {
		return providers.ValidateResponse{Diagnostics: hcl.Diagnostics{providers.AttributeError("Invalid endpoint", err.Error(), cty.GetAttrPath("endpoint"))}}
	}
	return providers.ValidateResponse{}
}

func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the endpoint must be an http:// or https:// URL, such as https://elasticloadbalancing.eu-west-1.amazonaws.com; got %q", s)
	}
	return nil
}

// ConfigureProvider loads the SDK's configuration, as the AWS CLI does:
// credentials from the environment, the shared files (profile), SSO or
// the instance's role; the region from the block, else AWS_REGION or the
// profile. An endpoint in the block wins over
// AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, which the SDK reads itself.
func (p *Provider) ConfigureProvider(ctx context.Context, req providers.ConfigureProviderRequest) providers.ConfigureProviderResponse {
	s := settings{}
	if req.Config != cty.NilVal {
		s = decodeSettings(req.Config)
	}
	client, err := newClient(ctx, s)
	if err != nil {
		return providers.ConfigureProviderResponse{Diagnostics: hcl.Diagnostics{errDiag("Cannot configure the aws provider", err)}}
	}
	p.mu.Lock()
	p.client = client
	p.mu.Unlock()
	return providers.ConfigureProviderResponse{}
}

func newClient(ctx context.Context, s settings) (*elb.Client, error) {
	var opts []func(*config.LoadOptions) error
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New(`no AWS region: set region in the provider "aws" block, AWS_REGION, or a region in the profile`)
	}
	if s.Endpoint != "" {
		if err := checkEndpoint(s.Endpoint); err != nil {
			return nil, err
		}
	}
	return elb.NewFromConfig(cfg, func(o *elb.Options) {
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
	}), nil
}

// str is v's string attribute name, "" when absent, null or unknown.
func str(v cty.Value, name string) string {
	a := attr(v, name)
	if a.IsNull() || !a.IsKnown() || a.Type() != cty.String {
		return ""
	}
	return a.AsString()
}

// attr is v's attribute name, or a null value when v has none.
func attr(v cty.Value, name string) cty.Value {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}
