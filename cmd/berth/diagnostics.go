package main

import (
	"github.com/berth-sh/berth/views/diagnostics"
	"github.com/hashicorp/hcl/v2"
)

// showDiagnostics prints diags as text on the command's outputs: errors on
// stderr, warnings on stdout (see diagnostics.Text), each warning on one
// line with -compact-warnings. files may be nil: locations are then shown
// without source.
func (m *Meta) showDiagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	if m.CompactWarnings {
		diagnostics.CompactWarnings(m.Stdout, m.Stderr, diags, files, m.Color)
		return
	}
	diagnostics.Text(m.Stdout, m.Stderr, diags, files, m.Color)
}
