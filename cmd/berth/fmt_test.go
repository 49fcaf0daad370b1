package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

const (
	unformatted = "app \"web\" {\nimage=\"nginx\"\n  replicas    = 2\n}\n"
	formatted   = "app \"web\" {\n  image    = \"nginx\"\n  replicas = 2\n}\n"
	brokenHCL   = "app \"web\" {\n  image = \n"
)

// runFmtIn runs `berth -chdir=dir fmt args...`.
func runFmtIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"-chdir=" + dir, "fmt", "-no-color"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeFiles creates files (name -> content) under a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFmt(t *testing.T) {
	files := map[string]string{
		"a.berth.hcl":          unformatted,
		"b.berth.hcl":          formatted,
		"prod.auto.vars.hcl":   "tag=\"1.0\"\nreplicas = 3\n",
		"other.hcl":            unformatted, // not a berth file: left alone
		"c.berth.json":         `{"app":{"web":{}}}`,
		"sub/d.berth.hcl":      unformatted,
		".hidden/e.berth.hcl":  unformatted,
		"sub/deep/f.berth.hcl": unformatted,
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		changed  []string // files rewritten
		contains string   // a substring of stdout
		stderr   string   // checked when set
	}{
		{name: "default", code: 0, stdout: "a.berth.hcl\nprod.auto.vars.hcl\n",
			changed: []string{"a.berth.hcl", "prod.auto.vars.hcl"}},
		{name: "check", args: []string{"-check"}, code: 3, stdout: "a.berth.hcl\nprod.auto.vars.hcl\n"},
		{name: "check no list", args: []string{"-check", "-list=false"}, code: 3, stdout: ""},
		{name: "no write", args: []string{"-write=false"}, code: 0, stdout: "a.berth.hcl\nprod.auto.vars.hcl\n"},
		{name: "recursive", args: []string{"-recursive"}, code: 0,
			stdout:  "a.berth.hcl\nprod.auto.vars.hcl\nsub/d.berth.hcl\nsub/deep/f.berth.hcl\n",
			changed: []string{"a.berth.hcl", "prod.auto.vars.hcl", "sub/d.berth.hcl", "sub/deep/f.berth.hcl"}},
		{name: "directory argument", args: []string{"sub"}, code: 0, stdout: "sub/d.berth.hcl\n",
			changed: []string{"sub/d.berth.hcl"}},
		{name: "file argument", args: []string{"sub/deep/f.berth.hcl"}, code: 0, stdout: "sub/deep/f.berth.hcl\n",
			changed: []string{"sub/deep/f.berth.hcl"}},
		{name: "formatted file", args: []string{"-check", "b.berth.hcl"}, code: 0, stdout: ""},
		{name: "print", args: []string{"-list=false", "-write=false", "a.berth.hcl", "b.berth.hcl"}, code: 0, stdout: formatted + formatted},
		{name: "diff", args: []string{"-diff", "-write=false", "-list=false", "a.berth.hcl"}, code: 0,
			contains: "--- old/a.berth.hcl\n+++ new/a.berth.hcl\n@@ -1,4 +1,4 @@\n app \"web\" {\n-image=\"nginx\"\n-  replicas    = 2\n+  image    = \"nginx\"\n+  replicas = 2\n }\n"},
		{name: "not a berth file", args: []string{"other.hcl"}, code: 1, stdout: ""},
		{name: "missing path", args: []string{"nope"}, code: 1, stdout: "", stderr: "Error: No such file or directory\n\nnope: no such file or directory.\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, files)
			code, stdout, stderr := runFmtIn(t, dir, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if tt.contains != "" {
				if !strings.Contains(stdout, tt.contains) {
					t.Errorf("stdout:\n%s\nwant it to contain:\n%s", stdout, tt.contains)
				}
			} else if stdout != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, tt.stdout)
			}
			if tt.stderr != "" && stderr != tt.stderr {
				t.Errorf("stderr:\n%q\nwant:\n%q", stderr, tt.stderr)
			}
			if (code == 1) != (stderr != "") {
				t.Errorf("exit %d with stderr %q", code, stderr)
			}
			changed := map[string]bool{}
			for _, f := range tt.changed {
				changed[f] = true
			}
			for name, before := range files {
				after := readFile(t, filepath.Join(dir, name))
				want := before
				if changed[name] {
					want = string(hclwrite.Format([]byte(before)))
				}
				if after != want {
					t.Errorf("%s is now:\n%s\nwant:\n%s", name, after, want)
				}
			}
		})
	}
}

func TestFmtInvalid(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.berth.hcl": unformatted, "broken.berth.hcl": brokenHCL})
	code, stdout, stderr := runFmtIn(t, dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "Error: ") || !strings.Contains(stderr, "broken.berth.hcl line 2, in app \"web\"") {
		t.Errorf("stderr has no diagnostic for broken.berth.hcl:\n%s", stderr)
	}
	// The valid file is still formatted, and the broken one left as it was.
	if stdout != "a.berth.hcl\n" {
		t.Errorf("stdout %q", stdout)
	}
	if got := readFile(t, filepath.Join(dir, "broken.berth.hcl")); got != brokenHCL {
		t.Errorf("broken file was rewritten:\n%s", got)
	}
}

func TestFmtStdin(t *testing.T) {
	tests := []struct {
		name, in string
		args     []string
		code     int
		stdout   string
	}{
		{"format", unformatted, nil, 0, formatted},
		{"already formatted", formatted, nil, 0, formatted},
		{"check", unformatted, []string{"-check"}, 3, formatted},
		{"check formatted", formatted, []string{"-check"}, 0, formatted},
		{"diff", unformatted, []string{"-diff"}, 0, "--- old/<stdin>\n+++ new/<stdin>\n@@ -1,4 +1,4 @@\n app \"web\" {\n-image=\"nginx\"\n-  replicas    = 2\n+  image    = \"nginx\"\n+  replicas = 2\n }\n"},
		{"invalid", brokenHCL, nil, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			m := &Meta{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(tt.in), Dir: t.TempDir()}
			code := runFmt(context.Background(), m, append(tt.args, "-"))
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tt.stdout)
			}
		})
	}
}

// TestFmtRewrites checks terraform fmt's rewrites beyond layout: lone
// interpolations are unwrapped, real templates are kept, labels quoted.
func TestFmtRewrites(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lone interpolation", `a = "${var.tag}"`, `a = var.tag`},
		{"spaces inside", `a = "${ var.tag }"`, `a = var.tag`},
		{"comment kept", `a = "${var.tag}" # why`, `a = var.tag # why`},
		{"nested template", `a = "${format("%s", "${var.x}")}"`, `a = format("%s", "${var.x}")`},
		{"literal text", `a = "${var.a}-x"`, `a = "${var.a}-x"`},
		{"two interpolations", `a = "${var.a}${var.b}"`, `a = "${var.a}${var.b}"`},
		{"directive", `a = "%{if true}x%{endif}"`, `a = "%{if true}x%{endif}"`},
		{"plain string", `a = "${"x"}"`, `a = "x"`},
		{"multi-line gets parentheses", "a = \"${\n  var.flag ?\n  1 : 2\n}\"", "a = (var.flag ?\n1 : 2)"},
		{"already parenthesized", "a = \"${(\n  1 + 2\n)}\"", "a = (\n  1 + 2\n)"},
		{"in a block, unquoted label", "app web {\nimage = \"${var.image}\"\n}", "app \"web\" {\n  image = var.image\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(formatHCL([]byte(tt.in + "\n")))
			if got != tt.want+"\n" {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			// Canonical output is a fixed point, and still parses.
			if again := string(formatHCL([]byte(got))); again != got {
				t.Errorf("not idempotent:\n%s", again)
			}
			if _, diags := hclsyntax.ParseConfig([]byte(got), "x", hcl.InitialPos); diags.HasErrors() {
				t.Errorf("the result does not parse: %s", diags)
			}
		})
	}
}

// TestFmtCorpus formats every parseable file of the corpus and the
// examples: formatting must be idempotent, and the examples, which users
// copy, must already be formatted.
func TestFmtCorpus(t *testing.T) {
	for _, root := range []string{corpusDir, filepath.Join("..", "..", "examples")} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isFmtFile(path) {
				return err
			}
			src := readFile(t, path)
			if _, diags := hclwrite.ParseConfig([]byte(src), path, hcl.InitialPos); diags.HasErrors() {
				return nil // the syntax-error cases
			}
			once := formatHCL([]byte(src))
			if twice := formatHCL(once); !bytes.Equal(once, twice) {
				t.Errorf("%s: formatting is not idempotent", path)
			}
			if !bytes.Equal(once, []byte(src)) {
				t.Errorf("%s is not formatted (run berth fmt -recursive):\n%s", path, unifiedDiff("old", "new", src, string(once)))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// everyLineChanges returns n blocks of five lines (n*5 in all) that
// formatting changes every one of: headers gain a space, attributes an
// indent and aligned "=", closing braces lose theirs.
func everyLineChanges(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "app \"web%d\"{\nimage=\"nginx:%d\"\nreplicas=%d\nport=%d\n  }\n", i, i, i%7, 8000+i)
	}
	return b.String()
}

// TestFmtDiffMemory bounds what the diff of `fmt -diff` allocates when
// every line of a 4,000-line file changes: a diff that kept each of Myers'
// frontiers allocated a gigabyte there. Formatting is left out: it
// allocates most of the command's ~95 MB (HCL's scanner), and a bound on
// it would test HCL. TotalAlloc bounds the peak heap from above.
func TestFmtDiffMemory(t *testing.T) {
	src := everyLineChanges(800)
	out := string(formatHCL([]byte(src)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	diff := unifiedDiff("old", "new", src, out)
	runtime.ReadMemStats(&after)
	if !strings.HasPrefix(diff, "--- old\n+++ new\n@@ -1,4000 +1,4000 @@\n") {
		t.Fatalf("not one hunk of 4,000 changed lines:\n%.300s", diff)
	}
	const limit = 16 << 20
	if got := after.TotalAlloc - before.TotalAlloc; got > limit {
		t.Errorf("the diff allocated %d MB, want at most %d MB", got>>20, limit>>20)
	}
}

// BenchmarkFmtDiffEveryLine4000 times `berth fmt -check -diff` on a
// 4,000-line file whose every line changes (issue 8: under 2 s and 100 MB).
func BenchmarkFmtDiffEveryLine4000(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.berth.hcl"), []byte(everyLineChanges(800)), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out, errOut bytes.Buffer
		code := run([]string{"-chdir=" + dir, "fmt", "-no-color", "-check", "-diff", "big.berth.hcl"}, &out, &errOut)
		if code != exitFmtCheck {
			b.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFmtCheck, errOut.String())
		}
		if !strings.HasPrefix(out.String(), "big.berth.hcl\n--- old/big.berth.hcl\n+++ new/big.berth.hcl\n@@ -1,4000 +1,4000 @@\n") {
			b.Fatalf("not one hunk of 4,000 changed lines:\n%.300s", out.String())
		}
	}
}
