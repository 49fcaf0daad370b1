package diagnostics

import (
	"fmt"
	"io"
	"strings"

	"github.com/berth-sh/berth/redact"
	"github.com/berth-sh/berth/views/ansi"
	"github.com/hashicorp/hcl/v2"
)

// CompactWarnings writes diags as Text does, except the warnings (what
// -compact-warnings asks for, as Terraform's): one "Warning: SUMMARY" line
// for each distinct summary, with where it was first raised and how many
// times, then the count. Errors are written in full on stderr, since they
// are what the reader must act on; the warnings stay on stdout.
func CompactWarnings(stdout, stderr io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, color bool) {
	var errs, warnings hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs = append(errs, d)
		} else {
			warnings = append(warnings, d)
		}
	}
	Text(stdout, stderr, errs, files, color)
	if len(warnings) == 0 {
		return
	}
	// A failed write to the terminal leaves nothing useful to report to.
	_, _ = io.WriteString(stdout, compactWarnings(warnings, color))
}

// compactWarnings renders warnings, grouped by summary in the order they
// first appear.
func compactWarnings(warnings hcl.Diagnostics, color bool) string {
	type group struct {
		summary string
		first   *hcl.Range
		n       int
	}
	var groups []*group
	bySummary := map[string]*group{}
	for _, d := range warnings {
		summary := redact.String(d.Summary)
		g := bySummary[summary]
		if g == nil {
			g = &group{summary: summary}
			bySummary[summary] = g
			groups = append(groups, g)
		}
		if g.first == nil {
			g.first = d.Subject
		}
		g.n++
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, g := range groups {
		b.WriteString(ansi.Paint(color, ansi.Bold+ansi.Yellow, "Warning:") + " " + ansi.Paint(color, ansi.Bold, g.summary))
		var notes []string
		if g.first != nil {
			notes = append(notes, fmt.Sprintf("%s:%d", g.first.Filename, g.first.Start.Line))
		}
		if g.n > 1 {
			notes = append(notes, fmt.Sprintf("%d times", g.n))
		}
		if len(notes) > 0 {
			b.WriteString(" (" + strings.Join(notes, ", ") + ")")
		}
		b.WriteString("\n")
	}
	noun := "warnings"
	if len(warnings) == 1 {
		noun = "warning"
	}
	fmt.Fprintf(&b, "\n%d %s; run without -compact-warnings to see them in full.\n", len(warnings), noun)
	return b.String()
}
