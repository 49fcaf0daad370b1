package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testFlagSet has a flag of each kind splitArgs must tell apart.
func testFlagSet() (*flag.FlagSet, *[]string, *string, *bool) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var vars []string
	fs.Func("var", "", func(s string) error { vars = append(vars, s); return nil })
	state := fs.String("state", "", "")
	approve := fs.Bool("auto-approve", false, "")
	fs.BoolFunc("no-color", "", func(string) error { return nil })
	fs.Int("parallelism", 10, "")
	return fs, &vars, state, approve
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name             string
		args             []string
		flags, positonal []string
	}{
		{"flags after the positional", []string{"web.plan", "-auto-approve", "-no-color"}, []string{"-auto-approve", "-no-color"}, []string{"web.plan"}},
		{"separate value", []string{"-var", "x=1", "web.plan", "-var", "y=2"}, []string{"-var", "x=1", "-var", "y=2"}, []string{"web.plan"}},
		{"joined value", []string{"a", "-var=x=1", "b"}, []string{"-var=x=1"}, []string{"a", "b"}},
		{"double dash", []string{"--state", "s", "a", "--parallelism=3"}, []string{"--state", "s", "--parallelism=3"}, []string{"a"}},
		{"a boolean takes no value", []string{"-auto-approve", "false"}, []string{"-auto-approve"}, []string{"false"}},
		{"a boolean func takes no value", []string{"-no-color", "x"}, []string{"-no-color"}, []string{"x"}},
		{"-- ends the flags", []string{"a", "--", "-b", "--", "c"}, nil, []string{"a", "-b", "--", "c"}},
		{"-- as a value is a value", []string{"-state", "--", "a", "-auto-approve"}, []string{"-state", "--", "-auto-approve"}, []string{"a"}},
		{"lone dash is positional", []string{"-", "-no-color"}, []string{"-no-color"}, []string{"-"}},
		{"unknown flags stay flags", []string{"a", "-bogus", "b"}, []string{"-bogus"}, []string{"a", "b"}},
		{"help anywhere", []string{"a", "-h"}, []string{"-h"}, []string{"a"}},
		{"missing value", []string{"a", "-var"}, []string{"-var"}, []string{"a"}},
		{"nothing", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _, _, _ := testFlagSet()
			flags, positional := splitArgs(fs, tt.args)
			if !slices.Equal(flags, tt.flags) || !slices.Equal(positional, tt.positonal) {
				t.Errorf("splitArgs(%q) = %q, %q; want %q, %q", tt.args, flags, positional, tt.flags, tt.positonal)
			}
		})
	}
}

// TestParseInterleaved: Meta.parse sets the flags wherever they are, in
// their order, and leaves the positional arguments to fs.Args(); -h after a
// positional argument is still help, and a flag error is still one.
func TestParseInterleaved(t *testing.T) {
	var stdout, stderr bytes.Buffer
	m := &Meta{Stdout: &stdout, Stderr: &stderr}
	fs, vars, state, approve := testFlagSet()
	fs.SetOutput(&stderr)
	code, ok := m.parse(fs, []string{"-var", "a=1", "plan.out", "-state=x", "--", "-y", "-var", "b=2"})
	if !ok || code != 0 {
		t.Fatalf("parse: %d %v; stderr %s", code, ok, stderr.String())
	}
	if !slices.Equal(*vars, []string{"a=1"}) || *state != "x" || *approve || !slices.Equal(fs.Args(), []string{"plan.out", "-y", "-var", "b=2"}) {
		t.Errorf("vars %q, state %q, auto-approve %v, args %q", *vars, *state, *approve, fs.Args())
	}

	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"plan.out", "-h"}, 0, "Usage of t", ""},
		{[]string{"plan.out", "-var"}, 1, "", "flag needs an argument: -var"},
		{[]string{"plan.out", "-bogus"}, 1, "", "flag provided but not defined: -bogus"},
		{[]string{"plan.out", "-parallelism", "many"}, 1, "", `invalid value "many" for flag -parallelism`},
	}
	for _, tt := range tests {
		stdout.Reset()
		stderr.Reset()
		fs, _, _, _ := testFlagSet()
		fs.SetOutput(&stderr)
		code, ok := m.parse(fs, tt.args)
		if ok || code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("parse(%q) = %d, %v; stdout %q, stderr %q; want %d, %q on stdout, %q on stderr", tt.args, code, ok, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
		}
	}
}

// TestStateFlagsAfterAddresses: state commands take their options after
// the addresses too, and "--" makes what follows addresses.
func TestStateFlagsAfterAddresses(t *testing.T) {
	dir := stateFixture(t)
	code, out, errOut := runBerth(t, dir, "state", "list", "test_object.b", "-state=berth.state", "app.web")
	if code != 0 || out != "app.web\ntest_object.b[0]\ntest_object.b[1]\n" {
		t.Errorf("state list ADDR -state=PATH ADDR: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runBerth(t, dir, "state", "show", "app.web", "-no-color")
	if code != 0 || !strings.Contains(out, `image`) || strings.Contains(out, "\x1b[") {
		t.Errorf("state show ADDR -no-color: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Options between the group and the subcommand's name.
	code, out, errOut = runBerth(t, dir, "state", "-no-color", "list", "app.web")
	if code != 0 || out != "app.web\n" {
		t.Errorf("state -no-color list ADDR: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runBerth(t, dir, "state", "list", "--", "-state=berth.state")
	if code != 1 || !strings.Contains(errOut, `"-state=berth.state"`) {
		t.Errorf("state list -- -state=...: exit %d, stderr %q; want the word taken as an address", code, errOut)
	}
}

// TestE2EFlagsAfterPlanFile: apply and show take their options after a
// saved plan's name, as before it.
func TestE2EFlagsAfterPlanFile(t *testing.T) {
	e := newE2E(t, `
variable "name" {
  type    = string
  default = "a"
}
resource "test_object" "a" {
  name = var.name
}
`)
	e.ok("plan", "-out=web.plan", "-var", "name=b")
	before := e.ok("show", "-json", "web.plan").stdout
	after := e.ok("show", "web.plan", "-json").stdout
	if before != after || !json.Valid([]byte(after)) {
		t.Errorf("show -json PLAN and show PLAN -json differ, or are not JSON:\n%s\n---\n%s", before, after)
	}
	text := e.ok("show", "web.plan", "-no-color").stdout
	mustContain(t, "show PLAN -no-color", text, "test_object.a will be created")

	// A saved plan takes no -var: given after the plan file, it is still
	// the flag (with its separate value), and refused as such.
	r := e.expect(1, "apply", "web.plan", "-var", "name=c")
	mustContain(t, "apply PLAN -var", r.stderr, "Options not allowed with a saved plan")

	r = e.ok("apply", "web.plan", "-auto-approve", "-no-color", "-parallelism", "2")
	mustContain(t, "apply PLAN -auto-approve", r.stdout, "Apply complete!")
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("-no-color after the plan file was ignored:\n%s", r.stdout)
	}
	if got := e.ok("state", "list", "test_object.a", "-state="+filepath.Join(e.dir, "berth.state")).stdout; got != "test_object.a\n" {
		t.Errorf("state list ADDR -state=PATH after apply: %q", got)
	}
	if st := e.state(); st == nil || len(e.stateIDs()) != 1 {
		t.Fatalf("the plan was not applied: %v", st)
	}
}
