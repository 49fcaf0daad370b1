package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/views/diagnostics"
)

// corpusDir is the shared corpus of configurations (testdata/README.md).
var corpusDir = filepath.Join("..", "..", "testdata", "validate")

// minCorpus is the least number of cases the corpus must keep: the issue
// asks for 60, and a refactoring that silently loses cases must fail.
const minCorpus = 60

// TestValidateCorpus runs `berth validate` on every case of the corpus and
// compares its diagnostics, one line each, with the case's golden file. A
// case named valid_* must validate without errors, every other case must
// have at least one error, and the exit status must agree.
func TestValidateCorpus(t *testing.T) {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, e.Name())
		}
	}
	if len(cases) < minCorpus {
		t.Fatalf("the corpus has %d cases, want at least %d", len(cases), minCorpus)
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(corpusDir, name)
			doc, code := validateJSON(t, dir)
			got := goldenLines(doc, dir)
			golden.Check(t, filepath.Join(dir, "diagnostics.golden"), []byte(got))

			checkSnippets(t, doc)

			wantValid := strings.HasPrefix(name, "valid_")
			switch {
			case wantValid && doc.ErrorCount > 0:
				t.Errorf("a valid case has %d errors:\n%s", doc.ErrorCount, got)
			case !wantValid && doc.ErrorCount == 0:
				t.Errorf("an invalid case has no error")
			}
			if wantCode := exitFor(doc.Valid); code != wantCode {
				t.Errorf("validate -json exited %d, want %d", code, wantCode)
			}

			// The text renderer must agree on the outcome and print every
			// diagnostic (each starts with "Error: " or "Warning: ").
			var stdout, stderr bytes.Buffer
			code = run([]string{"-chdir=" + dir, "validate", "-no-color"}, &stdout, &stderr)
			if wantCode := exitFor(doc.Valid); code != wantCode {
				t.Errorf("validate exited %d, want %d; stderr:\n%s", code, wantCode, stderr.String())
			}
			if n := strings.Count(stderr.String(), "Error: "); n < doc.ErrorCount {
				t.Errorf("text output has %d errors, JSON %d; stderr:\n%s", n, doc.ErrorCount, stderr.String())
			}
			if doc.Valid && !strings.Contains(stdout.String(), "Success! The configuration is valid") {
				t.Errorf("no success message on stdout:\n%s", stdout.String())
			}
			// "hunter2" is the corpus's sensitive value: DESIGN says sensitive
			// values are redacted in every output, diagnostics included.
			// Snippets show source code, which may hold the literal.
			for _, out := range []string{docText(doc), withoutSnippets(stdout.String()), withoutSnippets(stderr.String())} {
				if strings.Contains(out, sensitiveValue) {
					t.Errorf("the output shows the sensitive value %q:\n%s", sensitiveValue, out)
				}
			}
			if strings.Contains(stdout.String()+stderr.String(), "\x1b[") {
				t.Errorf("-no-color output has escape sequences")
			}
		})
	}
}

// sensitiveValue is the value the corpus gives sensitive variables whose
// value must never be shown.
const sensitiveValue = "hunter2"

// docText is the text of the diagnostics that is not source code.
func docText(doc diagnostics.Document) string {
	var b strings.Builder
	for _, d := range doc.Diagnostics {
		b.WriteString(d.Summary + "\n" + d.Detail + "\n")
		if d.Snippet != nil {
			for _, v := range d.Snippet.Values {
				b.WriteString(v.Traversal + " " + v.Statement + "\n")
			}
		}
	}
	return b.String()
}

// snippetLine matches the source lines of HCL's text rendering ("  12: ...").
var snippetLine = regexp.MustCompile(`(?m)^ *[0-9]+: .*$`)

func withoutSnippets(s string) string { return snippetLine.ReplaceAllString(s, "") }

func exitFor(valid bool) int {
	if valid {
		return 0
	}
	return 1
}

// validateJSON runs `berth -chdir=dir validate -json` and decodes its output.
func validateJSON(t *testing.T, dir string) (diagnostics.Document, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run([]string{"-chdir=" + dir, "validate", "-json"}, &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Errorf("validate -json wrote on stderr:\n%s", stderr.String())
	}
	var doc diagnostics.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("validate -json printed invalid JSON (%v):\n%s", err, stdout.String())
	}
	return doc, code
}

// checkSnippets checks that every snippet's highlight is exactly the text
// of the diagnostic's range in the file, which is what editors and CI
// annotations rely on.
func checkSnippets(t *testing.T, doc diagnostics.Document) {
	t.Helper()
	for _, d := range doc.Diagnostics {
		if d.Snippet == nil || d.Range == nil {
			continue
		}
		src, err := os.ReadFile(d.Range.Filename)
		if err != nil {
			t.Errorf("%s: %v", d.Summary, err)
			continue
		}
		s := d.Snippet
		if s.HighlightStartOffset > s.HighlightEndOffset || s.HighlightEndOffset > len(s.Code) {
			t.Errorf("%s: highlight %d-%d outside the code (%d bytes)", d.Summary, s.HighlightStartOffset, s.HighlightEndOffset, len(s.Code))
			continue
		}
		want := string(src[d.Range.Start.Byte:min(d.Range.End.Byte, len(src))])
		got := s.Code[s.HighlightStartOffset:s.HighlightEndOffset]
		// A range may end on the newline after the last line, which the
		// code leaves out; the highlight is then cut at the end of the code.
		cut := s.HighlightEndOffset == len(s.Code) && strings.HasPrefix(want, got)
		if got != want && !cut {
			t.Errorf("%s: the snippet highlights %q, the range covers %q", d.Summary, got, want)
		}
	}
}

// goldenLines renders diagnostics as the corpus's golden files hold them:
// "severity file:line:col: summary", paths relative to the case directory
// so that the goldens do not depend on where the test runs from.
func goldenLines(doc diagnostics.Document, dir string) string {
	var b strings.Builder
	for _, d := range doc.Diagnostics {
		loc := "-"
		if d.Range != nil {
			file := filepath.ToSlash(d.Range.Filename)
			if rest, ok := strings.CutPrefix(file, filepath.ToSlash(dir)+"/"); ok {
				file = rest
			}
			loc = fmt.Sprintf("%s:%d:%d", file, d.Range.Start.Line, d.Range.Start.Column)
		}
		fmt.Fprintf(&b, "%s %s: %s\n", d.Severity, loc, d.Summary)
	}
	return b.String()
}

// TestValidateOutput checks the complete output of validate, text and
// JSON, for a few cases against golden files. It runs from inside the case
// directory, as a user would, so file names in the output are the short
// ones a user sees.
func TestValidateOutput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"valid_app_full", []string{"validate", "-no-color"}, 0},
		{"many_errors", []string{"validate", "-no-color"}, 1},
		{"many_errors", []string{"validate", "-json"}, 1},
		{"probe_unknown_port_name_inline", []string{"validate"}, 1},
		{"probe_unknown_port_name_inline", []string{"validate", "-json"}, 1},
		{"unknown_variable", []string{"validate", "-no-color"}, 1},
	}
	for _, tt := range tests {
		name := tt.name + strings.ReplaceAll(strings.Join(tt.args[1:], ""), "-", "_") + ".golden"
		t.Run(name, func(t *testing.T) {
			abs, err := filepath.Abs(filepath.Join(corpusDir, tt.name))
			if err != nil {
				t.Fatal(err)
			}
			out, err := filepath.Abs(filepath.Join("..", "..", "testdata", "output", name))
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(abs)
			unsetNoColor(t)
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			got := "--- stdout\n" + stdout.String() + "--- stderr\n" + stderr.String()
			golden.Check(t, out, []byte(got))
		})
	}
}

func TestValidateArguments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-chdir=" + filepath.Join(corpusDir, "valid_app_minimal"), "validate", "somedir"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "-chdir=somedir") {
		t.Errorf("validate with an argument: exit %d, stderr %q", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"validate", "-bogus"}, &stdout, &stderr); code != 1 {
		t.Errorf("unknown flag: exit %d, want 1", code)
	}
	stderr.Reset()
	for _, cmd := range []string{"validate", "fmt"} {
		if code := run([]string{cmd, "-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "Usage: berth [-chdir=DIR] "+cmd) {
			t.Errorf("%s -h: exit %d, stdout %q", cmd, code, stdout.String())
		}
	}
}

// TestExamplesValidate checks that every example validates clean, which is
// what `make examples` checks with the built binary.
func TestExamplesValidate(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if files, _ := filepath.Glob(filepath.Join(dir, "*.berth.hcl")); len(files) == 0 {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			doc, code := validateJSON(t, dir)
			if code != 0 || len(doc.Diagnostics) > 0 {
				t.Errorf("exit %d, diagnostics:\n%s", code, goldenLines(doc, dir))
			}
		})
	}
	if n < 2 {
		t.Errorf("found %d examples, want at least showcase and quickstart", n)
	}
}

// unsetNoColor removes NO_COLOR for the test, so the colour of the output
// depends only on the flags the test passes.
func unsetNoColor(t *testing.T) {
	if v, ok := os.LookupEnv("NO_COLOR"); ok {
		os.Unsetenv("NO_COLOR")
		t.Cleanup(func() { os.Setenv("NO_COLOR", v) })
	}
}

// TestValidateSuggestions checks that typos get a "Did you mean" with the
// right name; the goldens hold only summaries, so this is where the detail
// of those diagnostics is checked.
func TestValidateSuggestions(t *testing.T) {
	tests := map[string]string{
		"unknown_app_attribute":                `Did you mean "replicas"?`,
		"unknown_probe_attribute":              `Did you mean "period"?`,
		"unknown_variable_attribute":           `Did you mean "default"?`,
		"unknown_output_attribute":             `Did you mean "sensitive"?`,
		"unknown_nested_block":                 `Did you mean "rollout"?`,
		"unknown_lifecycle_attribute":          `Did you mean "prevent_destroy"?`,
		"unknown_meta_block_typo":              `Did you mean "lifecycle"?`,
		"unknown_block_type_suggestion":        `Did you mean "app"?`,
		"unknown_block_type_json":              `Did you mean "app"?`,
		"unknown_variable":                     `Did you mean "tag"?`,
		"unknown_local":                        `Did you mean "env"?`,
		"unknown_app_reference":                `Did you mean "web"?`,
		"unknown_probe_reference":              `Did you mean "health"?`,
		"unknown_registry_reference":           `Did you mean "harbor"?`,
		"unknown_registry_attribute_reference": `Did you mean "address"?`,
		"unknown_function":                     `Did you mean "jsonencode"?`,
		"load_balancer_port_not_named":         `Did you mean "http"?`,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			doc, _ := validateJSON(t, filepath.Join(corpusDir, name))
			if len(doc.Diagnostics) == 0 {
				t.Fatal("no diagnostic")
			}
			if d := doc.Diagnostics[0]; !strings.Contains(d.Detail, want) {
				t.Errorf("detail %q does not suggest %s", d.Detail, want)
			}
		})
	}
}
