package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/berth-sh/berth/atomicfile"
	"github.com/berth-sh/berth/lang"
)

func init() {
	register(&Command{
		Name:     "fmt",
		Synopsis: "Rewrite configuration files to the canonical format",
		Run:      runFmt,
	})
}

// fmtSuffixes are the files berth fmt rewrites: configuration and the
// variable files berth loads by itself. JSON files have no canonical HCL
// layout, and berth.lock.hcl is written by berth init, so both are left
// alone.
var fmtSuffixes = []string{".berth.hcl", ".auto.vars.hcl"}

// exitFmtCheck is the exit status of `fmt -check` when a file is not
// formatted; 3 like Terraform, so CI can tell it from an error (1).
const exitFmtCheck = 3

type fmtOptions struct {
	list, write, diff, check, recursive bool
}

// fmtRun holds the state of one fmt invocation.
type fmtRun struct {
	m    *Meta
	opts fmtOptions
	// changed is set when some input was not in canonical format.
	changed bool
	diags   hcl.Diagnostics
	// files are the sources of the inputs with syntax errors, so their
	// diagnostics can show snippets.
	files map[string]*hcl.File
}

func runFmt(_ context.Context, m *Meta, args []string) int {
	flags := m.NewFlagSet("fmt")
	var o fmtOptions
	flags.BoolVar(&o.list, "list", true, "list the files whose formatting differs")
	flags.BoolVar(&o.write, "write", true, "write the result to the source files instead of stdout")
	flags.BoolVar(&o.diff, "diff", false, "print a unified diff of the changes")
	flags.BoolVar(&o.check, "check", false, "write nothing; exit status 3 if any input is not formatted")
	flags.BoolVar(&o.recursive, "recursive", false, "also process subdirectories")
	noColor := flags.Bool("no-color", false, "disable colour in the output")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "Usage: berth [-chdir=DIR] fmt [options] [DIR or FILE...]\n\n"+
			"Rewrites *.berth.hcl and *.auto.vars.hcl files to the canonical format.\n"+
			"With no argument, the files of the working directory; with -, standard\n"+
			"input to standard output. Exit status 0, 1 on error, 3 with -check when\n"+
			"an input is not formatted.\n\nOptions:\n")
		flags.PrintDefaults()
	}
	if code, ok := m.parse(flags, args); !ok {
		return code
	}
	if *noColor {
		m.Color = false
	}
	if o.check {
		o.write = false
	}

	r := &fmtRun{m: m, opts: o, files: map[string]*hcl.File{}}
	paths := flags.Args()
	switch {
	case len(paths) == 1 && paths[0] == "-":
		// A filter: nothing to list and no file to write.
		r.opts.list, r.opts.write = false, false
		src, err := io.ReadAll(m.Stdin)
		if err != nil {
			m.Errorf("reading standard input: %s", err)
			return 1
		}
		r.formatSource("<stdin>", src, m.Stdout, nil)
	case len(paths) == 0:
		r.processPath(".")
	default:
		for _, p := range paths {
			if p == "-" {
				m.Errorf("- (standard input) cannot be combined with other paths.")
				return 1
			}
			r.processPath(p)
		}
	}

	if r.diags.HasErrors() {
		m.showDiagnostics(r.diags, r.files)
		return 1
	}
	if o.check && r.changed {
		return exitFmtCheck
	}
	return 0
}

// fsPath turns a path as the user wrote it into one usable from the
// process's directory: relative paths are relative to -chdir, as they would
// be after Terraform's chdir. Names printed to the user stay as written.
func (r *fmtRun) fsPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.m.Dir, p)
}

// processPath formats a file or the matching files of a directory. A file
// named explicitly must have a berth suffix: formatting some other file by
// mistake would be worse than refusing.
func (r *fmtRun) processPath(p string) {
	st, err := os.Stat(r.fsPath(p))
	if err != nil {
		r.fail("No such file or directory", pathError(p, err))
		return
	}
	if !st.IsDir() {
		if !isFmtFile(p) {
			r.fail("Only berth configuration files can be formatted",
				p+" is not a *.berth.hcl or *.auto.vars.hcl file.")
			return
		}
		r.processFile(p, st.Mode().Perm())
		return
	}

	entries, err := os.ReadDir(r.fsPath(p))
	if err != nil {
		r.fail("Cannot read directory", pathError(p, err))
		return
	}
	// ReadDir sorts by name, so listings are stable.
	for _, e := range entries {
		name := filepath.Join(p, e.Name())
		switch {
		case e.IsDir():
			// Hidden directories (.git, .berth) never hold configuration
			// the user wants rewritten.
			if r.opts.recursive && !strings.HasPrefix(e.Name(), ".") {
				r.processPath(name)
			}
		case isFmtFile(e.Name()):
			info, err := e.Info()
			if err != nil {
				r.fail("Cannot read file", pathError(name, err))
				continue
			}
			if info.Mode().IsRegular() {
				r.processFile(name, info.Mode().Perm())
			}
		}
	}
}

func isFmtFile(name string) bool {
	for _, s := range fmtSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func (r *fmtRun) processFile(name string, perm fs.FileMode) {
	src, err := os.ReadFile(r.fsPath(name))
	if err != nil {
		r.fail("Cannot read file", pathError(name, err))
		return
	}
	// Like terraform fmt, -list=false -write=false prints the formatted
	// files; -check only reports, so it prints no content.
	var stdout io.Writer
	if !r.opts.check {
		stdout = r.m.Stdout
	}
	r.formatSource(name, src, stdout, func(out []byte) error {
		return atomicfile.Write(r.fsPath(name), out, perm)
	})
}

// formatSource formats one input. When the input is not in canonical
// form it is listed, diffed and written (through write) as the options
// say; stdout, if not nil, receives the result when nothing else is asked
// for, which is what makes `berth fmt -` a filter.
func (r *fmtRun) formatSource(name string, src []byte, stdout io.Writer, write func([]byte) error) {
	// hclwrite.Format formats even broken input token by token; parsing
	// first refuses to "format" a file that is not HCL, like Terraform. The
	// parsed file also gives the diagnostics their snippet and context.
	// Input nested too deeply would overflow the parsers' stacks (fatal).
	if diags := lang.CheckNesting(src, name); diags.HasErrors() {
		r.diags = append(r.diags, diags...)
		return
	}
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		r.diags = append(r.diags, diags...)
		r.files[name] = f
		return
	}
	out := formatHCL(src)

	if !bytes.Equal(src, out) {
		r.changed = true
		if r.opts.list {
			fmt.Fprintln(r.m.Stdout, name)
		}
		if r.opts.write && write != nil {
			if err := write(out); err != nil {
				r.fail("Cannot write file", pathError(name, err))
				return
			}
		}
		if r.opts.diff {
			fmt.Fprint(r.m.Stdout, unifiedDiff("old/"+filepath.ToSlash(name), "new/"+filepath.ToSlash(name), string(src), string(out)))
		}
	}
	if stdout != nil && !r.opts.list && !r.opts.write && !r.opts.diff {
		_, _ = stdout.Write(out)
	}
}

// formatHCL returns src, which must be valid HCL native syntax, in
// canonical form: terraform fmt's rewrites (below), then hclwrite's layout.
func formatHCL(src []byte) []byte {
	f, diags := hclwrite.ParseConfig(src, "", hcl.InitialPos)
	if diags.HasErrors() {
		// Unreachable after a successful hclsyntax parse; layout only.
		return hclwrite.Format(src)
	}
	normalizeBody(f.Body())
	return hclwrite.Format(f.Bytes())
}

// normalizeBody applies terraform fmt's rewrites, which change the text
// but never the meaning: an attribute that is a lone interpolation,
// "${var.tag}", becomes the bare expression var.tag (HCL gives both the
// same value, unconverted), and block labels are written quoted.
func normalizeBody(body *hclwrite.Body) {
	for name, attr := range body.Attributes() {
		tokens := attr.Expr().BuildTokens(nil)
		if unwrapped, ok := unwrapInterpolation(tokens); ok {
			body.SetAttributeRaw(name, unwrapped)
		}
	}
	for _, block := range body.Blocks() {
		block.SetLabels(block.Labels())
		normalizeBody(block.Body())
	}
}

// unwrapInterpolation turns the tokens of "${ EXPR }" into those of EXPR,
// reporting false when the template is anything more than one
// interpolation. It follows terraform fmt's rules: literal text or a
// second interpolation at the outer level keeps the template, and a
// multi-line EXPR is parenthesized so that it still parses.
func unwrapInterpolation(tokens hclwrite.Tokens) (hclwrite.Tokens, bool) {
	n := len(tokens)
	if n < 5 ||
		tokens[0].Type != hclsyntax.TokenOQuote ||
		tokens[1].Type != hclsyntax.TokenTemplateInterp ||
		tokens[n-2].Type != hclsyntax.TokenTemplateSeqEnd ||
		tokens[n-1].Type != hclsyntax.TokenCQuote {
		return nil, false
	}
	inside := tokens[2 : n-2]
	quotes := 0
	for _, t := range inside {
		switch {
		case t.Type == hclsyntax.TokenOQuote:
			quotes++
		case t.Type == hclsyntax.TokenCQuote:
			quotes--
		case quotes > 0:
			// Templates inside nested strings belong to the expression:
			// "${format("%s", "${x}")}".
		case t.Type == hclsyntax.TokenTemplateInterp, t.Type == hclsyntax.TokenTemplateSeqEnd,
			t.Type == hclsyntax.TokenTemplateControl, t.Type == hclsyntax.TokenQuotedLit:
			// "${a}${b}", "${a}-b", %{ if }: a real template.
			return nil, false
		}
	}
	for len(inside) > 0 && inside[0].Type == hclsyntax.TokenNewline {
		inside = inside[1:]
	}
	for len(inside) > 0 && inside[len(inside)-1].Type == hclsyntax.TokenNewline {
		inside = inside[:len(inside)-1]
	}
	if len(inside) == 0 {
		return nil, false
	}
	multiLine := false
	for _, t := range inside {
		if t.Type == hclsyntax.TokenNewline {
			multiLine = true
		}
	}
	parenthesized := inside[0].Type == hclsyntax.TokenOParen && inside[len(inside)-1].Type == hclsyntax.TokenCParen
	if multiLine && !parenthesized {
		wrapped := hclwrite.Tokens{{Type: hclsyntax.TokenOParen, Bytes: []byte("(")}}
		wrapped = append(wrapped, inside...)
		return append(wrapped, &hclwrite.Token{Type: hclsyntax.TokenCParen, Bytes: []byte(")")}), true
	}
	return inside, true
}

// fail records an error diagnostic without a source range.
func (r *fmtRun) fail(summary, detail string) {
	r.diags = append(r.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail})
}

// pathError describes err about path without repeating the path that
// *fs.PathError already carries.
func pathError(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("%s: %s.", path, err)
}
