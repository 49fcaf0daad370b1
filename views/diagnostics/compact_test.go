package diagnostics

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/internal/golden"
	"github.com/hashicorp/hcl/v2"
)

// TestCompactWarnings: errors exactly as Text writes them; warnings as one
// "Warning:" line per distinct summary, with its first place and how many
// times it was raised, and the count (golden file; -update rewrites it).
func TestCompactWarnings(t *testing.T) {
	diags, files := renderFixture(t)
	warning := diags[1]
	again := *warning
	other := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Deprecated attribute", Detail: "Use another."}
	all := append(diags, &again, other)

	var stdout, stderr, fullErr bytes.Buffer
	CompactWarnings(&stdout, &stderr, all, files, false)
	var errs hcl.Diagnostics
	for _, d := range all {
		if d.Severity == hcl.DiagError {
			errs = append(errs, d)
		}
	}
	Text(&bytes.Buffer{}, &fullErr, errs, files, false)
	if stderr.String() != fullErr.String() {
		t.Errorf("errors are not in full:\n%s\nwant\n%s", stderr.String(), fullErr.String())
	}
	if strings.Contains(stdout.String(), warning.Detail) {
		t.Errorf("a warning's detail in the compact output:\n%s", stdout.String())
	}
	golden.Check(t, filepath.Join("..", "..", "testdata", "output", "render_compact_warnings.golden"), stdout.Bytes())

	tests := []struct {
		name  string
		diags hcl.Diagnostics
		want  string
	}{
		{"none", nil, ""},
		{"errors only", errs, ""},
		{"one", hcl.Diagnostics{other}, "\nWarning: Deprecated attribute\n\n1 warning; run without -compact-warnings to see them in full.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			CompactWarnings(&stdout, &bytes.Buffer{}, tt.diags, files, false)
			if stdout.String() != tt.want {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.want)
			}
		})
	}

	var colored bytes.Buffer
	CompactWarnings(&colored, &bytes.Buffer{}, hcl.Diagnostics{other}, nil, true)
	if !strings.Contains(colored.String(), "\x1b[1m\x1b[33mWarning:\x1b[0m") {
		t.Errorf("no colour with color set: %q", colored.String())
	}
}
