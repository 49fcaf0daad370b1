package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcled"
	"github.com/zclconf/go-cty/cty"
)

// diagnosticWidth is the column at which the text renderer wraps details.
// It is fixed rather than taken from the terminal so that output is the
// same in CI logs, golden files and an interactive shell.
const diagnosticWidth = 78

// jsonFormatVersion is the version of every JSON document berth prints
// for diagnostics (docs/json-output.md). A consumer may rely on fields of
// a major version never disappearing or changing meaning; new fields only
// bump the minor version.
const jsonFormatVersion = "1.0"

// showDiagnostics prints diags as text, the way HCL renders them (with
// source snippets from files), errors on stderr and warnings on stdout, as
// Terraform does, so that a warning never makes a script think a command
// failed. files may be nil: locations are then shown without source.
func (m *Meta) showDiagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) {
	if len(diags) == 0 {
		return
	}
	errW := hcl.NewDiagnosticTextWriter(m.Stderr, files, diagnosticWidth, m.Color)
	warnW := hcl.NewDiagnosticTextWriter(m.Stdout, files, diagnosticWidth, m.Color)
	for _, d := range diags {
		w := warnW
		if d.Severity == hcl.DiagError {
			w = errW
		}
		// A failed write to the terminal leaves nothing useful to report to.
		_ = w.WriteDiagnostic(d)
	}
}

// jsonDiagnostics is the document `berth validate -json` prints, with the
// shape of Terraform's `terraform validate -json` (docs/json-output.md).
type jsonDiagnostics struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []jsonDiagnostic `json:"diagnostics"`
}

// jsonDiagnostic is one hcl.Diagnostic in machine-readable form.
type jsonDiagnostic struct {
	Severity string       `json:"severity"`
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail"`
	Range    *jsonRange   `json:"range,omitempty"`
	Snippet  *jsonSnippet `json:"snippet,omitempty"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

// jsonSnippet is the source around a diagnostic's subject, so that an
// editor or CI annotation can show it without reading the file again.
type jsonSnippet struct {
	// Context is the header of the block containing the subject
	// (`app "web"`), or null at the top level.
	Context *string `json:"context"`
	// Code is the whole lines covered by the subject and context ranges.
	Code      string `json:"code"`
	StartLine int    `json:"start_line"`
	// The highlight offsets are byte offsets of the subject within Code.
	HighlightStartOffset int             `json:"highlight_start_offset"`
	HighlightEndOffset   int             `json:"highlight_end_offset"`
	Values               []jsonExprValue `json:"values"`
}

// jsonExprValue describes the value of one variable of the expression that
// caused the diagnostic ("var.replicas" "is 0").
type jsonExprValue struct {
	Traversal string `json:"traversal"`
	Statement string `json:"statement"`
}

// newJSONDiagnostics converts diags into the validate document. files
// provides the source for snippets; it may be nil.
func newJSONDiagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) jsonDiagnostics {
	doc := jsonDiagnostics{
		FormatVersion: jsonFormatVersion,
		// An empty array rather than null: consumers iterate without a check.
		Diagnostics: []jsonDiagnostic{},
	}
	for _, d := range diags {
		switch d.Severity {
		case hcl.DiagError:
			doc.ErrorCount++
		case hcl.DiagWarning:
			doc.WarningCount++
		}
		doc.Diagnostics = append(doc.Diagnostics, newJSONDiagnostic(d, files))
	}
	doc.Valid = doc.ErrorCount == 0
	return doc
}

// jsonDiagnosticList converts diags for embedding in another command's JSON
// document (plan -json, ...), so every command shows diagnostics the same
// way; it is never nil.
func jsonDiagnosticList(diags hcl.Diagnostics, files map[string]*hcl.File) []jsonDiagnostic {
	return newJSONDiagnostics(diags, files).Diagnostics
}

func newJSONDiagnostic(d *hcl.Diagnostic, files map[string]*hcl.File) jsonDiagnostic {
	jd := jsonDiagnostic{Summary: d.Summary, Detail: d.Detail}
	switch d.Severity {
	case hcl.DiagError:
		jd.Severity = "error"
	case hcl.DiagWarning:
		jd.Severity = "warning"
	default:
		jd.Severity = "invalid"
	}
	if d.Subject == nil {
		return jd
	}
	subject := *d.Subject
	jd.Range = &jsonRange{
		Filename: subject.Filename,
		Start:    jsonPos{Line: subject.Start.Line, Column: subject.Start.Column, Byte: subject.Start.Byte},
		End:      jsonPos{Line: subject.End.Line, Column: subject.End.Column, Byte: subject.End.Byte},
	}
	file := files[subject.Filename]
	if file == nil || file.Bytes == nil {
		return jd
	}
	jd.Snippet = newJSONSnippet(d, file)
	return jd
}

// newJSONSnippet follows Terraform's construction of snippets: the whole
// lines covered by the subject and context ranges, with the subject's
// offsets clamped to the code so consumers never index out of bounds.
func newJSONSnippet(d *hcl.Diagnostic, file *hcl.File) *jsonSnippet {
	subject := *d.Subject
	snipRange := subject
	if d.Context != nil {
		snipRange = hcl.RangeOver(snipRange, *d.Context)
	}
	// An empty range overlaps no line; widen it like HCL's text writer does.
	if snipRange.Empty() {
		snipRange.End.Byte++
		snipRange.End.Column++
	}

	// The code runs from the start of the first line the range touches to
	// the end of the last one. Taking the bytes in between, rather than
	// joining the overlapping lines, keeps blank lines (which overlap
	// nothing) so that byte offsets into the code stay right.
	src := file.Bytes
	codeStart, codeEnd, startLine := -1, -1, subject.Start.Line
	sc := hcl.NewRangeScanner(src, subject.Filename, bufio.ScanLines)
	for sc.Scan() {
		lr := sc.Range()
		if !lr.Overlaps(snipRange) {
			continue
		}
		if codeStart < 0 {
			codeStart, startLine = lr.Start.Byte, lr.Start.Line
		}
		codeEnd = lr.End.Byte
	}
	if codeStart < 0 {
		// No line overlaps: a range at the end of the file, or a bogus one.
		codeStart = clampOffset(subject.Start.Byte, 0, len(src))
		codeEnd = codeStart
	}
	codeStr := string(src[codeStart:codeEnd])
	start := clampOffset(subject.Start.Byte-codeStart, 0, len(codeStr))
	end := clampOffset(start+subject.End.Byte-subject.Start.Byte, start, len(codeStr))

	s := &jsonSnippet{
		Code:                 codeStr,
		StartLine:            startLine,
		HighlightStartOffset: start,
		HighlightEndOffset:   end,
		Values:               exprValues(d),
	}
	if c := hcled.ContextString(file, subject.Start.Byte); c != "" {
		s.Context = &c
	}
	return s
}

func clampOffset(v, lo, hi int) int {
	return max(lo, min(v, hi))
}

// exprValues describes the variables of the diagnostic's expression, as
// HCL's text writer does in its "with var.x as ..." lines; that matters
// when one expression is evaluated many times (count, for_each).
func exprValues(d *hcl.Diagnostic) []jsonExprValue {
	values := []jsonExprValue{}
	if d.Expression == nil || d.EvalContext == nil {
		return values
	}
	seen := map[string]bool{}
	for _, t := range d.Expression.Variables() {
		val, diags := t.TraverseAbs(d.EvalContext)
		if diags.HasErrors() || !val.IsKnown() {
			continue
		}
		name := diagTraversalString(t)
		if seen[name] {
			continue
		}
		seen[name] = true
		var stmt string
		switch {
		case val.ContainsMarked():
			// Marks carry sensitivity; a sensitive value is never printed.
			stmt = "has a sensitive value"
		case val.IsNull():
			stmt = "is null"
		default:
			stmt = "is " + diagValueString(val)
		}
		values = append(values, jsonExprValue{Traversal: name, Statement: stmt})
	}
	sort.Slice(values, func(i, j int) bool { return values[i].Traversal < values[j].Traversal })
	return values
}

func diagTraversalString(t hcl.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type().IsPrimitiveType() && s.Key.IsKnown() && !s.Key.IsNull() {
				b.WriteString("[" + diagValueString(s.Key) + "]")
			} else {
				b.WriteString("[...]")
			}
		}
	}
	return b.String()
}

// diagValueString renders a value in a few words: scalars literally,
// collections by type and length, so a diagnostic never dumps a big value.
func diagValueString(v cty.Value) string {
	ty := v.Type()
	switch {
	case ty == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case ty == cty.Number:
		return v.AsBigFloat().Text('g', 10)
	case ty == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case ty.IsCollectionType() || ty.IsTupleType():
		switch n := v.LengthInt(); n {
		case 0:
			return "empty " + ty.FriendlyName()
		case 1:
			return ty.FriendlyName() + " with 1 element"
		default:
			return fmt.Sprintf("%s with %d elements", ty.FriendlyName(), n)
		}
	case ty.IsObjectType():
		return fmt.Sprintf("object with %d attributes", len(ty.AttributeTypes()))
	default:
		return ty.FriendlyName()
	}
}

// writeJSONDiagnostics prints the validate document for diags on w.
func writeJSONDiagnostics(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) error {
	out, err := json.MarshalIndent(newJSONDiagnostics(diags, files), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(out))
	return err
}
