package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompactWarnings: with -compact-warnings each warning is one line on
// stdout, with the count; without it, in full. The configuration raises
// warnings and needs no provider: an encryption block that encrypts
// nothing (validate), and a var file with two undeclared variables (the
// commands that evaluate variables).
func TestCompactWarnings(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"main.berth.hcl":  "berth {\n  encryption {\n  }\n}\n\nvariable \"x\" {\n  default = 1\n}\n",
		"x.auto.vars.hcl": "a = 1\nb = 2\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The files are named by their paths, under dir.
	varWarning := "Warning: Value for undeclared variable (" + filepath.Join(dir, "x.auto.vars.hcl") + ":1, 2 times)"
	tests := []struct {
		args    []string
		compact []string // lines stdout must hold with -compact-warnings
		detail  string   // a warning's detail, which only the full form shows
	}{
		{[]string{"validate"}, []string{"Warning: Encryption encrypts nothing (" + filepath.Join(dir, "main.berth.hcl") + ":2)\n", "\n1 warning; run without -compact-warnings"}, "neither a state block nor a plan block"},
		{[]string{"plan"}, []string{varWarning, "\n3 warnings; run without -compact-warnings"}, "which is not declared"},
		{[]string{"apply", "-auto-approve"}, []string{varWarning, "\n3 warnings; run without -compact-warnings"}, "which is not declared"},
		{[]string{"destroy", "-auto-approve"}, []string{varWarning, "\n3 warnings; run without -compact-warnings"}, "which is not declared"},
		{[]string{"drift"}, []string{varWarning, "\n3 warnings; run without -compact-warnings"}, "which is not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			code, full, errOut := runBerth(t, dir, append(tt.args, "-no-color")...)
			if code != 0 || !strings.Contains(full, tt.detail) {
				t.Fatalf("without -compact-warnings: exit %d, stdout:\n%s\nstderr:\n%s", code, full, errOut)
			}
			code, compact, errOut := runBerth(t, dir, append(tt.args, "-no-color", "-compact-warnings")...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			mustContain(t, strings.Join(tt.args, " ")+" -compact-warnings", compact, tt.compact...)
			if strings.Contains(compact, tt.detail) {
				t.Errorf("a warning in full with -compact-warnings:\n%s", compact)
			}
		})
	}
	// Errors stay in full.
	if err := os.WriteFile(filepath.Join(dir, "bad.berth.hcl"), []byte("variable \"y\" {\n  type = nosuchtype\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runBerth(t, dir, "validate", "-no-color", "-compact-warnings")
	if code != 1 || !strings.Contains(errOut, "Error: ") || !strings.Contains(errOut, "bad.berth.hcl line 2, in variable \"y\":\n   2:   type = nosuchtype") {
		t.Errorf("an error with -compact-warnings: exit %d, stderr:\n%s", code, errOut)
	}
}
