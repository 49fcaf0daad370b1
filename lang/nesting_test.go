package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestCheckNesting(t *testing.T) {
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	tests := []struct {
		name, file, src string
		wantLine        int
		wantCol         int // 0: no error
	}{
		{"parens ok", "a.berth.hcl", "a = " + deep("(", ")", MaxNesting), 0, 0},
		{"parens deep", "a.berth.hcl", "a = " + deep("(", ")", 100000), 1, 5 + MaxNesting},
		{"brackets deep", "a.berth.hcl", "\na = " + deep("[", "]", 100000), 2, 5 + MaxNesting},
		{"mixed deep", "a.berth.hcl", "a = " + deep("{x=[(", ")]}", 1000), 1, 0},
		{"in a block", "a.berth.hcl", "locals {\n  a = " + deep("(", ")", MaxNesting) + "\n}", 2, 7 + MaxNesting - 1},
		{"interpolation", "a.berth.hcl", `a = "` + strings.Repeat("${", 3000) + "1" + strings.Repeat("}", 3000) + `"`, 1, 0},
		{"comment", "a.berth.hcl", "# " + strings.Repeat("(", 5000) + "\n/* " + strings.Repeat("[", 5000) + " */\na = 1 // " + strings.Repeat("{", 5000), 0, 0},
		{"string", "a.berth.hcl", `a = "` + strings.Repeat("(", 5000) + `\"` + strings.Repeat("[", 5000) + `"`, 0, 0},
		{"escaped interpolation", "a.berth.hcl", `a = "` + strings.Repeat("$${", 5000) + `"`, 0, 0},
		{"heredoc", "a.berth.hcl", "a = <<-EOT\n  " + strings.Repeat("(", 5000) + "\n  EOT\nb = 1\n", 0, 0},
		{"heredoc deep interpolation", "a.berth.hcl", "a = <<EOT\n" + strings.Repeat("${(", 1500) + "\nEOT\n", 2, 0},
		{"json deep", "a.berth.json", `{"a": ` + deep("[", "]", 100000) + "}", 1, 0},
		{"json ok", "a.berth.json", `{"a": "` + strings.Repeat("[", 5000) + `\" {"}`, 0, 0},
		{"json template deep", "a.berth.json", `{"a": "${` + deep("(", ")", 5000) + `}"}`, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := CheckNesting([]byte(tt.src), tt.file)
			if tt.wantLine == 0 {
				if diags.HasErrors() {
					t.Fatalf("unexpected error: %s", diags.Error())
				}
				return
			}
			if !diags.HasErrors() {
				t.Fatal("want an error")
			}
			d := diags[0]
			if d.Summary != "Expression nested too deeply" || d.Subject == nil || d.Subject.Filename != tt.file {
				t.Fatalf("got %s", diags.Error())
			}
			if d.Subject.Start.Line != tt.wantLine || tt.wantCol != 0 && d.Subject.Start.Column != tt.wantCol {
				t.Errorf("at %s, want line %d column %d", d.Subject, tt.wantLine, tt.wantCol)
			}
		})
	}
}

// TestDeepNestingDoesNotCrash loads configurations that would overflow
// the parsers' stacks (a fatal error, which no recover catches).
func TestDeepNestingDoesNotCrash(t *testing.T) {
	const n = 100000
	for name, src := range map[string]string{
		"main.berth.hcl":  "locals {\n  a = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n}\n",
		"main.berth.json": `{"locals": {"a": ` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}}",
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := LoadDir(writeDir(t, map[string]string{name: src}))
			if !diags.HasErrors() || diags[0].Summary != "Expression nested too deeply" {
				t.Fatalf("got %v", diags)
			}
			if got := diags[0].Subject.String(); !strings.HasSuffix(got, name+":2,2006-2007") && !strings.HasSuffix(got, name+":1,2016-2017") {
				t.Errorf("subject %s", got)
			}
		})
	}
	t.Run("var", func(t *testing.T) {
		dir := writeDir(t, map[string]string{
			"main.berth.hcl": `variable "n" { type = list(any) }`,
			"deep.vars.hcl":  "n = " + strings.Repeat("[", n) + strings.Repeat("]", n),
		})
		cfg, diags := LoadDir(dir)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		_, diags = CollectVariables(cfg, dir, []VarArg{{Kind: "var-file", Value: "deep.vars.hcl"}}, []string{"BERTH_VAR_n=" + strings.Repeat("(", n)})
		var count int
		for _, d := range diags {
			if d.Summary == "Expression nested too deeply" || strings.Contains(d.Detail, "nested at most") {
				count++
			}
		}
		if count != 2 {
			t.Errorf("want 2 nesting errors, got %s", diags.Error())
		}
	})
	t.Run("templatefile", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "t.tpl"), []byte(strings.Repeat("${(", n)), 0o644); err != nil {
			t.Fatal(err)
		}
		expr, _ := parseExpr(`templatefile("t.tpl", {})`)
		_, diags := (&Scope{BaseDir: dir}).EvalExpr(expr, cty.DynamicPseudoType)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), "nested") {
			t.Fatalf("got %v", diags)
		}
	})
}
