package diagnostics

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/redact"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// renderSource is the configuration the renderer tests point into.
const renderSource = `app "web" {
  replicas = var.replicas
  image    = "nginx"
}

variable "replicas" {
  default = 0
}
`

// renderFixture parses renderSource and builds diagnostics of every shape
// the renderer must handle: with subject and context, with an expression
// and its values, a warning, and one without any range.
func renderFixture(t *testing.T) (hcl.Diagnostics, map[string]*hcl.File) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(renderSource), "main.berth.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	body := f.Body.(*hclsyntax.Body)
	app := body.Blocks[0]
	replicas := app.Body.Attributes["replicas"]
	image := app.Body.Attributes["image"]
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var": cty.ObjectVal(map[string]cty.Value{"replicas": cty.NumberIntVal(0)}),
	}}
	return hcl.Diagnostics{
		{
			Severity:    hcl.DiagError,
			Summary:     "Invalid replicas",
			Detail:      "An app needs at least one replica to be deployed; this detail is long enough that the renderer has to wrap it at the terminal width of 78 columns.",
			Subject:     replicas.Expr.Range().Ptr(),
			Context:     replicas.SrcRange.Ptr(),
			Expression:  replicas.Expr,
			EvalContext: ctx,
		},
		{
			Severity: hcl.DiagWarning,
			Summary:  "Image without a tag",
			Detail:   `The image "nginx" has no tag, so it means "latest".`,
			Subject:  image.Expr.Range().Ptr(),
		},
		{
			Severity: hcl.DiagError,
			Summary:  "No range",
			Detail:   "A diagnostic about no place in particular.",
		},
	}, map[string]*hcl.File{"main.berth.hcl": f}
}

// TestText compares the text of diagnostics, warnings on stdout and errors
// on stderr, with golden files (go test ./views/diagnostics -update
// rewrites them).
func TestText(t *testing.T) {
	diags, files := renderFixture(t)
	for _, color := range []bool{false, true} {
		name := "text.golden"
		if color {
			name = "text_color.golden"
		}
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			Text(&stdout, &stderr, diags, files, color)
			got := "--- stdout\n" + stdout.String() + "--- stderr\n" + stderr.String()
			golden.Check(t, filepath.Join("..", "..", "testdata", "output", "render_"+name), []byte(got))
		})
	}
}

// TestDocument compares the validate document with a golden file and
// checks its counts and snippet offsets.
func TestDocument(t *testing.T) {
	diags, files := renderFixture(t)
	var out bytes.Buffer
	if err := WriteDocument(&out, diags, files); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("..", "..", "testdata", "output", "render_json.golden"), out.Bytes())

	var doc Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if list := List(nil, nil); list == nil || len(list) != 0 {
		t.Errorf("List(nil) = %#v, want an empty slice", list)
	}
	if list := List(diags, files); len(list) != len(doc.Diagnostics) {
		t.Errorf("List has %d diagnostics, want %d", len(list), len(doc.Diagnostics))
	}
	if doc.Valid || doc.ErrorCount != 2 || doc.WarningCount != 1 || doc.FormatVersion != "1.0" {
		t.Errorf("valid=%v errors=%d warnings=%d format=%q", doc.Valid, doc.ErrorCount, doc.WarningCount, doc.FormatVersion)
	}
	// The highlight offsets must select exactly the subject in the code.
	for i, d := range doc.Diagnostics {
		if d.Snippet == nil {
			continue
		}
		s := d.Snippet
		got := s.Code[s.HighlightStartOffset:s.HighlightEndOffset]
		want := string(diags[i].Subject.SliceBytes([]byte(renderSource)))
		if got != want {
			t.Errorf("diagnostic %d highlights %q, want %q", i, got, want)
		}
	}
}

// TestDocumentEdgeCases covers what must never break a consumer:
// no diagnostics is an empty array, a file without source gets a range but
// no snippet, and an empty range at the end of a file stays in bounds.
func TestDocumentEdgeCases(t *testing.T) {
	src := []byte("a = 1\n")
	files := map[string]*hcl.File{"x.berth.hcl": {Bytes: src}}
	eof := hcl.Pos{Line: 2, Column: 1, Byte: len(src)}
	tests := []struct {
		name  string
		diags hcl.Diagnostics
		want  string
	}{
		{"none", nil, `{"format_version":"1.0","valid":true,"error_count":0,"warning_count":0,"diagnostics":[]}`},
		{"no source", hcl.Diagnostics{{
			Severity: hcl.DiagWarning, Summary: "s", Detail: "d",
			Subject: &hcl.Range{Filename: "gone.berth.hcl", Start: hcl.InitialPos, End: hcl.Pos{Line: 1, Column: 2, Byte: 1}},
		}}, `{"format_version":"1.0","valid":true,"error_count":0,"warning_count":1,"diagnostics":[{"severity":"warning","summary":"s","detail":"d","range":{"filename":"gone.berth.hcl","start":{"line":1,"column":1,"byte":0},"end":{"line":1,"column":2,"byte":1}}}]}`},
		{"empty range at end of file", hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "s",
			Subject: &hcl.Range{Filename: "x.berth.hcl", Start: eof, End: eof},
		}}, `{"format_version":"1.0","valid":false,"error_count":1,"warning_count":0,"diagnostics":[{"severity":"error","summary":"s","detail":"","range":{"filename":"x.berth.hcl","start":{"line":2,"column":1,"byte":6},"end":{"line":2,"column":1,"byte":6}},"snippet":{"context":null,"code":"","start_line":2,"highlight_start_offset":0,"highlight_end_offset":0,"values":[]}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(NewDocument(tt.diags, files))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestExprValues(t *testing.T) {
	expr, diags := hclsyntax.ParseExpression([]byte(`"${var.name}-${var.secret}-${var.list[0]}-${var.unset}-${var.name}"`), "x", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{
		"name":   cty.StringVal("web"),
		"secret": cty.StringVal("hunter2").Mark("sensitive"),
		"list":   cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		"unset":  cty.NullVal(cty.String),
	})}}
	got := exprValues(&hcl.Diagnostic{Expression: expr, EvalContext: ctx})
	want := []ExprValue{
		{"var.list[0]", `is "a"`},
		{"var.name", `is "web"`},
		{"var.secret", "has a sensitive value"},
		{"var.unset", "is null"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

// FuzzSnippet feeds the snippet builder arbitrary sources and ranges,
// including ranges outside the file: it must never panic, and its offsets
// must always be usable to slice the code.
func FuzzSnippet(f *testing.F) {
	f.Add([]byte(renderSource), 25, 37, 0, 60)
	f.Add([]byte("a = 1\n\n\nb = 2\n"), 0, 13, 0, 13)
	f.Add([]byte("x"), 5, 2, -1, 0)
	f.Add([]byte(""), 0, 0, 0, 0)
	f.Add([]byte(""), -90, 0, 0, 0)
	f.Fuzz(func(t *testing.T, src []byte, start, end, ctxStart, ctxEnd int) {
		file := &hcl.File{Bytes: src}
		pos := func(b int) hcl.Pos {
			// Line and column are not derived from b on purpose: producers
			// of diagnostics get them wrong too.
			return hcl.Pos{Line: 1, Column: 1, Byte: b}
		}
		d := &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Subject:  &hcl.Range{Filename: "f", Start: pos(start), End: pos(end)},
			Context:  &hcl.Range{Filename: "f", Start: pos(ctxStart), End: pos(ctxEnd)},
		}
		s := newSnippet(d, file)
		if s.HighlightStartOffset < 0 || s.HighlightStartOffset > s.HighlightEndOffset || s.HighlightEndOffset > len(s.Code) {
			t.Fatalf("offsets %d-%d for code of %d bytes", s.HighlightStartOffset, s.HighlightEndOffset, len(s.Code))
		}
	})
}

// TestRedacted: a secret the process knows of (package redact), quoted by
// a diagnostic (a provider's message, a crash report), is shown neither by
// the text renderer nor in JSON, and the caller's diagnostic is left as
// it was.
func TestRedacted(t *testing.T) {
	const secret = "diag-s3cret-0123456789"
	redact.AddValues(cty.StringVal(secret).Mark(providers.SensitiveMark))
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Provider said " + secret,
		Detail: "panic: cannot open /vault/" + secret + "/key"}
	for _, sev := range []hcl.DiagnosticSeverity{hcl.DiagError, hcl.DiagWarning} {
		d.Severity = sev
		var out, errOut bytes.Buffer
		Text(&out, &errOut, hcl.Diagnostics{d}, nil, false)
		doc, err := json.Marshal(New(d, nil))
		if err != nil {
			t.Fatal(err)
		}
		for what, got := range map[string]string{"text": out.String() + errOut.String(), "json": string(doc)} {
			if strings.Contains(got, secret) || !strings.Contains(got, "/vault/(sensitive value)/key") {
				t.Errorf("%s: %s", what, got)
			}
		}
	}
	if !strings.Contains(d.Detail, secret) {
		t.Errorf("the caller's diagnostic was changed: %s", d.Detail)
	}
}
