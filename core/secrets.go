package core

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/redact"
	"github.com/zclconf/go-cty/cty"
)

// registering is a provider whose every call first adds the sensitive
// values it carries to the process's secrets (package redact), and then
// those of the values the provider returns. A provider can only echo what
// it was given, but it may do so anywhere: in its log, in a panic, in a
// message about another call; with every secret known before the call,
// berth's log sink and every diagnostic redact whatever the provider
// writes, whichever call reports it.
type registering struct{ providers.Interface }

func (r registering) ValidateProviderConfig(ctx context.Context, req providers.ValidateProviderConfigRequest) providers.ValidateResponse {
	redact.AddValues(req.Config)
	return r.Interface.ValidateProviderConfig(ctx, req)
}

func (r registering) ValidateResourceConfig(ctx context.Context, req providers.ValidateResourceConfigRequest) providers.ValidateResponse {
	redact.AddValues(req.Config)
	return r.Interface.ValidateResourceConfig(ctx, req)
}

func (r registering) ConfigureProvider(ctx context.Context, req providers.ConfigureProviderRequest) providers.ConfigureProviderResponse {
	redact.AddValues(req.Config)
	return r.Interface.ConfigureProvider(ctx, req)
}

func (r registering) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	for _, o := range req.Objects {
		redact.AddValues(o.State)
	}
	resp := r.Interface.ReadResources(ctx, req)
	for _, res := range resp.Results {
		redact.AddValues(res.NewState)
	}
	return resp
}

func (r registering) PlanResourceChange(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	redact.AddValues(req.PriorState, req.ProposedNewState, req.Config, req.SavedPlannedState)
	resp := r.Interface.PlanResourceChange(ctx, req)
	redact.AddValues(resp.PlannedState)
	return resp
}

func (r registering) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	redact.AddValues(req.PriorState, req.PlannedState, req.Config)
	resp := r.Interface.ApplyResourceChange(ctx, req, events)
	redact.AddValues(resp.NewState)
	return resp
}

func (r registering) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	redact.AddValues(req.Config)
	resp := r.Interface.ImportResource(ctx, req)
	redact.AddValues(resp.State)
	return resp
}

func (r registering) LookupResources(ctx context.Context, req providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	for _, o := range req.Objects {
		redact.AddValues(o.Planned)
	}
	resp := r.Interface.LookupResources(ctx, req)
	for _, res := range resp.Results {
		redact.AddValues(res.State)
	}
	return resp
}

func (r registering) ReadDataSource(ctx context.Context, req providers.ReadDataSourceRequest) providers.ReadDataSourceResponse {
	redact.AddValues(req.Config)
	resp := r.Interface.ReadDataSource(ctx, req)
	redact.AddValues(resp.State)
	return resp
}

// operator is the provider's InstanceOperator, or a diagnostic saying it
// has none.
func (r registering) operator() (providers.InstanceOperator, hcl.Diagnostics) {
	op, ok := r.Interface.(providers.InstanceOperator)
	if !ok {
		return nil, errDiag("Provider runs no instances", "The provider serves no day-2 calls (status, logs, exec).", nil)
	}
	return op, nil
}

func (r registering) DescribeInstances(ctx context.Context, req providers.DescribeInstancesRequest) providers.DescribeInstancesResponse {
	op, diags := r.operator()
	if diags != nil {
		return providers.DescribeInstancesResponse{Diagnostics: diags}
	}
	redact.AddValues(req.Target.State)
	return op.DescribeInstances(ctx, req)
}

func (r registering) InstanceLogs(ctx context.Context, req providers.InstanceLogsRequest, lines func([]providers.LogLine)) hcl.Diagnostics {
	op, diags := r.operator()
	if diags != nil {
		return diags
	}
	redact.AddValues(req.Target.State)
	return op.InstanceLogs(ctx, req, lines)
}

func (r registering) InstanceExec(ctx context.Context, req providers.InstanceExecRequest) (int, hcl.Diagnostics) {
	op, diags := r.operator()
	if diags != nil {
		return -1, diags
	}
	redact.AddValues(req.Target.State)
	return op.InstanceExec(ctx, req)
}

// addSecrets adds the sensitive values among vars (the input variables)
// to the process's secrets: they may reach a provider inside anything.
func addSecrets(vars map[string]cty.Value) {
	for _, v := range vars {
		redact.AddValues(v)
	}
}
