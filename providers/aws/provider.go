// Package aws is berth's built-in AWS provider: the load_balancer domain
// block as an Elastic Load Balancing v2 load balancer (an Application or a
// Network Load Balancer), with one target group per target app, its
// listeners and their rules, and the app's ready instances registered as
// targets by IP address. It is the default provider of load_balancer
// blocks.
//
// Around each wave of an app's rollout the core asks it to drain the
// instances about to stop (StepDrain: deregistered, and the call returns
// once no request goes to them) and to admit the new ones (StepAdmit:
// registered, and the call returns once each is healthy); in a canary
// rollout it gives the app's canary instances a target group of their
// own and a share of the traffic, and retires them (StepCanary).
// docs/aws.md records the decisions.
package aws

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
)

// Name is the provider's name: provider "aws" { ... }.
const Name = "aws"

// TypeLoadBalancer is the provider's one resource type, the language's
// load_balancer block.
const TypeLoadBalancer = "load_balancer"

func init() {
	builtin.Register(builtin.Provider{Name: Name, New: func() providers.Interface { return New() }, DefaultFor: []string{TypeLoadBalancer}})
}

// Provider is the AWS provider. ConfigureProvider makes its ELBv2 client.
type Provider struct {
	mu     sync.Mutex
	client api

	stop providers.Stopper

	// pollInterval is how often the state of targets and of a load
	// balancer being provisioned is asked for.
	pollInterval time.Duration
}

// New returns an unconfigured provider.
func New() *Provider { return &Provider{pollInterval: time.Second} }

// api returns the configured client.
func (p *Provider) api() (api, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return nil, fmt.Errorf("the aws provider is not configured")
	}
	return p.client, nil
}

// GetSchema declares the provider block (region, profile, endpoint) and
// load_balancer with an empty block: its schema is the language's, and
// the provider receives values of the language's type.
func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	str := func(desc string) *providers.Attribute {
		return &providers.Attribute{Type: cty.String, Optional: true, Description: desc}
	}
	return providers.GetSchemaResponse{
		Provider: providers.Schema{Block: &providers.Block{
			Attributes: map[string]*providers.Attribute{
				"region":   str("the AWS region; default: the SDK's chain (AWS_REGION, the profile's region)"),
				"profile":  str("the shared config profile; default: AWS_PROFILE, else \"default\""),
				"endpoint": str("the ELBv2 endpoint URL (an emulator's); default: AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, else the region's"),
			},
			BlockTypes: map[string]*providers.NestedBlock{},
		}},
		ResourceTypes: map[string]providers.Schema{
			TypeLoadBalancer: {Version: 1, Block: &providers.Block{Attributes: map[string]*providers.Attribute{}, BlockTypes: map[string]*providers.NestedBlock{}}, LookupByKey: true},
		},
		DataSources: map[string]providers.Schema{},
	}
}

// ValidateResourceConfig checks what ELBv2 cannot take, offline.
func (p *Provider) ValidateResourceConfig(_ context.Context, req providers.ValidateResourceConfigRequest) providers.ValidateResponse {
	if req.TypeName != TypeLoadBalancer || req.DataSource {
		return providers.ValidateResponse{Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
	}
	return providers.ValidateResponse{Diagnostics: validateBalancer(req.Config)}
}

// ReadDataSource: the provider has no data sources.
func (p *Provider) ReadDataSource(_ context.Context, req providers.ReadDataSourceRequest) providers.ReadDataSourceResponse {
	return providers.NoDataSource("aws", req.TypeName)
}

// Stop cancels the work in flight: calls return promptly with the state
// that exists. Later calls run normally.
func (p *Provider) Stop(context.Context) error {
	p.stop.Stop()
	return nil
}

// Close forgets the client (the SDK's HTTP transport needs no closing).
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.client = nil
	return nil
}

func unknownType(t string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown resource type",
		Detail: fmt.Sprintf("The aws provider has no resource type %q (it has load_balancer).", t)}
}

func errDiag(summary string, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: err.Error()}
}
