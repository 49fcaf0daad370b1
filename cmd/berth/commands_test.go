package main

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
)

// runCLI runs berth with args and returns the exit code and both outputs.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCommandHelp checks the help conventions on every registered command:
// -h and -help print the usage on stdout and exit 0 (also after -input),
// `berth help COMMAND` prints the same, and a flag error goes to stderr
// with exit 1.
func TestCommandHelp(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		words := strings.Fields(name)
		t.Run(name, func(t *testing.T) {
			args := func(extra ...string) []string { return append(slices.Clone(words), extra...) }
			code, usage, stderr := runCLI(args("-h")...)
			if code != 0 || stderr != "" || !strings.HasPrefix(usage, "Usage: berth ") || !strings.Contains(usage, name) {
				t.Fatalf("%s -h: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout only", name, code, usage, stderr)
			}
			for _, extra := range [][]string{{"-help"}, {"--help"}, {"-input=false", "-h"}, {"-input=true", "-help"}} {
				code, stdout, stderr := runCLI(args(extra...)...)
				if code != 0 || stderr != "" || stdout != usage {
					t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want exit 0 and the -h usage", name, strings.Join(extra, " "), code, stdout, stderr)
				}
			}
			code, stdout, stderr := runCLI(append([]string{"help"}, words...)...)
			if code != 0 || stderr != "" || stdout != usage {
				t.Errorf("help %s: exit %d, stdout %q, stderr %q; want exit 0 and the -h usage", name, code, stdout, stderr)
			}
			code, stdout, stderr = runCLI(args("-no-such-flag")...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, "flag provided but not defined: -no-such-flag") || !strings.Contains(stderr, "Usage: berth ") {
				t.Errorf("%s -no-such-flag: exit %d, stdout %q, stderr %q; want exit 1, the error and the usage on stderr", name, code, stdout, stderr)
			}
			code, stdout, stderr = runCLI(args("-input=maybe")...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, `invalid boolean value "maybe" for -input`) {
				t.Errorf("%s -input=maybe: exit %d, stdout %q, stderr %q; want exit 1 and the error on stderr", name, code, stdout, stderr)
			}
		})
	}
}

// TestGlobalHelp checks berth's own usage and `berth help` with an unknown
// command.
func TestGlobalHelp(t *testing.T) {
	var buf bytes.Buffer
	usage(&buf)
	want := buf.String()
	for _, args := range [][]string{{"-h"}, {"-help"}, {"help"}, {"help", "-input=false"}} {
		code, stdout, stderr := runCLI(args...)
		if code != 0 || stderr != "" || stdout != want {
			t.Errorf("berth %s: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help", "plna"}, `Error: unknown command "plna". Did you mean "plan"?`},
		{[]string{"help", "state", "lsit"}, `Error: unknown command "state lsit". Did you mean "state list"?`},
		{[]string{"help", "state", "list", "extra"}, `Error: unknown command "state list extra".`},
		{[]string{"plna"}, `Error: unknown command "plna". Did you mean "plan"?`},
		{[]string{"-no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{}, "Usage: berth "},
		{[]string{"state"}, "Usage: berth [-chdir=DIR] state <subcommand>"},
		{[]string{"state", "lsit"}, `Error: unknown state subcommand "lsit". Did you mean "list"?`},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(tt.args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("berth %s: exit %d, stdout %q, stderr %q; want exit 1 and %q on stderr", strings.Join(tt.args, " "), code, stdout, stderr, tt.want)
		}
	}
}

// TestInputFlag checks that -input, which Terraform CI scripts pass, is
// accepted by a command that then runs as without it.
func TestInputFlag(t *testing.T) {
	_, want, _ := runCLI("version")
	for _, v := range []string{"-input=false", "-input=true", "-input"} {
		code, stdout, stderr := runCLI("version", v)
		if code != 0 || stderr != "" || stdout != want {
			t.Errorf("version %s: exit %d, stdout %q, stderr %q; want %q", v, code, stdout, stderr, want)
		}
	}
}
