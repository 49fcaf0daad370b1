package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// LookupResources finds load balancers whose create berth never
// recorded, by the idempotency key the create tagged them with
// (berth:idempotency-key). A load balancer's name is unique in its
// region, so the planned name finds the one candidate: one
// DescribeLoadBalancers and one DescribeTags per object, not a listing
// of the account. A found one's state is what exists of it, its target
// groups found by the names berth gives them.
func (p *Provider) LookupResources(ctx context.Context, req providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	results := make([]providers.LookupResult, len(req.Objects))
	c, cerr := p.api()
	for i, o := range req.Objects {
		results[i] = o.NotFound()
		if o.TypeName != TypeLoadBalancer {
			continue
		}
		failed := func(err error) {
			results[i].Diagnostics = hcl.Diagnostics{errDiag("Cannot look up the load balancer", err)}
		}
		if cerr != nil {
			failed(cerr)
			continue
		}
		if o.IdempotencyKey == "" || o.Planned == cty.NilVal || o.Planned.IsNull() || !o.Planned.IsKnown() {
			failed(fmt.Errorf("no key or planned state to look %s up by", o.ID))
			continue
		}
		name := str(o.Planned, "name")
		lb, err := describeLBNamed(ctx, c, name)
		if err != nil {
			failed(fmt.Errorf("ELBv2 cannot be asked whether the interrupted create made load balancer %s: %w", name, err))
			continue
		}
		if lb == nil {
			continue
		}
		arn := aws.ToString(lb.LoadBalancerArn)
		tags, err := tagsOf(ctx, c, []string{arn})
		if err != nil {
			failed(err)
			continue
		}
		if tags[arn][tagIdempotencyKey] != o.IdempotencyKey {
			continue
		}
		b, _ := decodeBalancer(o.Planned)
		st, err := observe(ctx, c, o.Planned, lb, nil, &discovery{Balancer: b})
		if err != nil {
			failed(err)
			continue
		}
		results[i].Found, results[i].State = true, st
	}
	return providers.LookupResourcesResponse{Results: results}
}
