package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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

func TestUnifiedDiff(t *testing.T) {
	lines := func(n int, prefix string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			b.WriteString(prefix)
			b.WriteString(string(rune('a' + i - 1)))
			b.WriteString("\n")
		}
		return b.String()
	}
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\n", "x\n", ""},
		{"add to empty", "", "x\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{"delete all", "x\ny\n", "", "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n"},
		{"no final newline", "x", "x\n", "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n"},
		{"one change in the middle", lines(10, ""), strings.Replace(lines(10, ""), "e\n", "E\n", 1),
			"--- a\n+++ b\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"},
		{"two hunks", lines(20, ""), strings.Replace(strings.Replace(lines(20, ""), "b\n", "B\n", 1), "s\n", "S\n", 1),
			"--- a\n+++ b\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -16,5 +16,5 @@\n p\n q\n r\n-s\n+S\n t\n"},
		{"close changes merge", lines(10, ""), strings.Replace(strings.Replace(lines(10, ""), "b\n", "B\n", 1), "i\n", "I\n", 1),
			"--- a\n+++ b\n@@ -1,10 +1,10 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n h\n-i\n+I\n j\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unifiedDiff("a", "b", tt.a, tt.b); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestDiffLinesReconstructs checks the edit script on inputs with repeats,
// where a wrong backtrack would still look plausible.
func TestDiffLinesReconstructs(t *testing.T) {
	pairs := [][2]string{
		{"abcabba", "cbabac"},
		{"", "abc"},
		{"abc", ""},
		{"aaaa", "aa"},
		{"xaxbxc", "abc"},
		{"abcdefg", "gfedcba"},
	}
	for _, p := range pairs {
		a, b := strings.Split(p[0], ""), strings.Split(p[1], "")
		if p[0] == "" {
			a = nil
		}
		if p[1] == "" {
			b = nil
		}
		var gotA, gotB []string
		changes := 0
		for _, e := range diffLines(a, b) {
			if e.op != '+' {
				gotA = append(gotA, e.text)
			}
			if e.op != '-' {
				gotB = append(gotB, e.text)
			}
			if e.op != ' ' {
				changes++
			}
		}
		if strings.Join(gotA, "") != p[0] || strings.Join(gotB, "") != p[1] {
			t.Errorf("%q -> %q: the script rebuilds %q -> %q", p[0], p[1], strings.Join(gotA, ""), strings.Join(gotB, ""))
		}
		// The script is minimal: len(a)+len(b)-2*LCS.
		if want := len(a) + len(b) - 2*lcsLen(a, b); changes != want {
			t.Errorf("%q -> %q: %d changes, want %d", p[0], p[1], changes, want)
		}
	}
}

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}
