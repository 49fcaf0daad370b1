package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// ImportResource adopts an existing load balancer, by ARN or name, into
// the configuration the import names: the state is that configuration
// with everything read from ELBv2 (its name, type and scheme as they
// are, so that a difference shows as a replacement; its listeners,
// target groups by the berth:target tag or their name, and the targets
// they serve). The next plan shows what berth would change.
func (p *Provider) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	fail := func(format string, args ...any) providers.ImportResourceResponse {
		return providers.ImportResourceResponse{Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagError,
			Summary: "Cannot import the load balancer", Detail: fmt.Sprintf(format, args...)}}}
	}
	if req.TypeName != TypeLoadBalancer {
		return providers.ImportResourceResponse{Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
	}
	if req.Config == cty.NilVal || req.Config.IsNull() || !req.Config.IsKnown() {
		return fail("berth imports a load balancer into the load_balancer block the import names, whose targets say which apps its target groups serve; the configuration of the import is not known.")
	}
	c, err := p.api()
	if err != nil {
		return fail("%s", err)
	}
	var lb *types.LoadBalancer
	if strings.HasPrefix(req.ID, "arn:") {
		lb, err = describeLB(ctx, c, req.ID)
	} else {
		lb, err = describeLBNamed(ctx, c, req.ID)
	}
	if err != nil {
		return fail("%s", err)
	}
	if lb == nil {
		return fail("Cannot import non-existent object: no load balancer %s exists (give its ARN or its name).", req.ID)
	}
	b, _ := decodeBalancer(req.Config)
	st, err := observe(ctx, c, req.Config, lb, nil, &discovery{Balancer: b, Imported: true})
	if err != nil {
		return fail("%s", err)
	}
	return providers.ImportResourceResponse{State: st}
}
