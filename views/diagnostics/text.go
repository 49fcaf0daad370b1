// Package diagnostics shows hcl.Diagnostics: as text the way HCL renders
// them, with source snippets, and as the JSON of docs/json-output.md
// (`validate -json`'s document, and one diagnostic a message in the
// -json stream of plan and apply).
package diagnostics

import (
	"io"

	"github.com/berth-sh/berth/redact"
	"github.com/hashicorp/hcl/v2"
)

// width is the column at which the text renderer wraps details. It is
// fixed rather than taken from the terminal so that output is the same in
// CI logs, golden files and an interactive shell.
const width = 78

// Text writes diags as HCL renders them (with source snippets from files),
// errors on stderr and warnings on stdout, as Terraform does, so that a
// warning never makes a script think a command failed. files may be nil:
// locations are then shown without source. Summaries and details go
// through package redact, as every line of berth's log does: a diagnostic
// may quote what a provider wrote, and no secret berth knows of is shown.
func Text(stdout, stderr io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, color bool) {
	errW := hcl.NewDiagnosticTextWriter(stderr, files, width, color)
	warnW := hcl.NewDiagnosticTextWriter(stdout, files, width, color)
	for _, d := range diags {
		w := warnW
		if d.Severity == hcl.DiagError {
			w = errW
		}
		shown := *d
		shown.Summary, shown.Detail = redact.String(d.Summary), redact.String(d.Detail)
		// A failed write to the terminal leaves nothing useful to report to.
		_ = w.WriteDiagnostic(&shown)
	}
}
