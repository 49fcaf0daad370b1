package main

import (
	"github.com/berth-sh/berth/views/diagnostics"
	"github.com/hashicorp/hcl/v2"
)

// showDiagnostics prints diags as text on the command's outputs: errors on
// stderr, warnings on stdout (see diagnostics.Text). files may be nil:
// locations are then shown without source.
func (m *Meta) showDiagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	diagnostics.Text(m.Stdout, m.Stderr, diags, files, m.Color)
}
