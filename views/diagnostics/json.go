package diagnostics

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/berth-sh/berth/redact"
	"github.com/berth-sh/berth/views/jsondoc"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcled"
	"github.com/zclconf/go-cty/cty"
)

// Document is the document `berth validate -json` prints, with the
// shape of Terraform's `terraform validate -json` (docs/json-output.md).
type Document struct {
	FormatVersion string       `json:"format_version"`
	Valid         bool         `json:"valid"`
	ErrorCount    int          `json:"error_count"`
	WarningCount  int          `json:"warning_count"`
	Diagnostics   []Diagnostic `json:"diagnostics"`
}

// Diagnostic is one hcl.Diagnostic in machine-readable form.
type Diagnostic struct {
	Severity string   `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail"`
	Range    *Range   `json:"range,omitempty"`
	Snippet  *Snippet `json:"snippet,omitempty"`
}

// Pos is a position in a file: line and column from 1, byte offset from 0.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// Range is the part of a file a diagnostic is about.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Snippet is the source around a diagnostic's subject, so that an
// editor or CI annotation can show it without reading the file again.
type Snippet struct {
	// Context is the header of the block containing the subject
	// (`app "web"`), or null at the top level.
	Context *string `json:"context"`
	// Code is the whole lines covered by the subject and context ranges.
	Code      string `json:"code"`
	StartLine int    `json:"start_line"`
	// The highlight offsets are byte offsets of the subject within Code.
	HighlightStartOffset int         `json:"highlight_start_offset"`
	HighlightEndOffset   int         `json:"highlight_end_offset"`
	Values               []ExprValue `json:"values"`
}

// ExprValue describes the value of one variable of the expression that
// caused the diagnostic ("var.replicas" "is 0").
type ExprValue struct {
	Traversal string `json:"traversal"`
	Statement string `json:"statement"`
}

// NewDocument converts diags into the validate document. files
// provides the source for snippets; it may be nil.
func NewDocument(diags hcl.Diagnostics, files map[string]*hcl.File) Document {
	doc := Document{
		FormatVersion: jsondoc.FormatVersion,
		// An empty array rather than null: consumers iterate without a check.
		Diagnostics: []Diagnostic{},
	}
	for _, d := range diags {
		switch d.Severity {
		case hcl.DiagError:
			doc.ErrorCount++
		case hcl.DiagWarning:
			doc.WarningCount++
		}
		doc.Diagnostics = append(doc.Diagnostics, New(d, files))
	}
	doc.Valid = doc.ErrorCount == 0
	return doc
}

// List converts diags for embedding in another command's JSON
// document (plan -json, ...), so every command shows diagnostics the same
// way; it is never nil.
func List(diags hcl.Diagnostics, files map[string]*hcl.File) []Diagnostic {
	return NewDocument(diags, files).Diagnostics
}

// New converts one diagnostic; files provides the source of its snippet.
func New(d *hcl.Diagnostic, files map[string]*hcl.File) Diagnostic {
	jd := Diagnostic{Summary: redact.String(d.Summary), Detail: redact.String(d.Detail)}
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
	jd.Range = &Range{
		Filename: subject.Filename,
		Start:    Pos{Line: subject.Start.Line, Column: subject.Start.Column, Byte: subject.Start.Byte},
		End:      Pos{Line: subject.End.Line, Column: subject.End.Column, Byte: subject.End.Byte},
	}
	file := files[subject.Filename]
	if file == nil || file.Bytes == nil {
		return jd
	}
	jd.Snippet = newSnippet(d, file)
	return jd
}

// newSnippet follows Terraform's construction of snippets: the whole
// lines covered by the subject and context ranges, with the subject's
// offsets clamped to the code so consumers never index out of bounds.
func newSnippet(d *hcl.Diagnostic, file *hcl.File) *Snippet {
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

	s := &Snippet{
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
func exprValues(d *hcl.Diagnostic) []ExprValue {
	values := []ExprValue{}
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
		values = append(values, ExprValue{Traversal: name, Statement: stmt})
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

// WriteDocument prints the validate document for diags on w.
func WriteDocument(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) error {
	out, err := json.MarshalIndent(NewDocument(diags, files), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(out))
	return err
}
