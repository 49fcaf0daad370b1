package docker

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/providers"
)

// LookupResources is not supported yet: no docker resource type declares
// LookupByKey, so the core never asks. The error (rather than results
// saying "not found") keeps a caller that asks anyway from concluding that
// an interrupted create made nothing.
func (p *Provider) LookupResources(_ context.Context, _ providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	return providers.LookupResourcesResponse{Diagnostics: hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Lookup not supported",
		Detail:   "The docker provider cannot yet find an object by the idempotency key of the create that made it.",
	}}}
}
