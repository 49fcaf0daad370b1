package core

import (
	"errors"

	"github.com/berth-sh/berth/core/dag"
	"github.com/hashicorp/hcl/v2"
)

// errVertexFailed tells the walk a vertex failed; its diagnostics were
// recorded by the walker, so the error itself carries nothing.
var errVertexFailed = errors.New("failed")

// walkErrors turns the walk's errors into diagnostics: vertices skipped
// because something they depend on failed are not errors of their own,
// and failures already reported are not repeated.
func walkErrors(errs dag.Errors, gr *graph, reported hcl.Diagnostics) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, e := range errs.Failed() {
		if errors.Is(e.Err, errVertexFailed) {
			continue
		}
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Internal error in " + gr.g.Vertex(e.Vertex).addr,
			Detail:   e.Err.Error(),
		})
	}
	return diags
}
