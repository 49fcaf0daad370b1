package main

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// completionFixture is stateFixture's state with a configuration beside
// it declaring test_object.a (recorded) and test_object.c (not yet), and
// another state file with test_object.z.
func completionFixture(t *testing.T) string {
	t.Helper()
	dir := stateFixture(t)
	cfg := "resource \"test_object\" \"a\" {\n  name = \"a\"\n}\n\nresource \"test_object\" \"c\" {\n  name = \"c\"\n}\n\ndata \"test_echo\" \"d\" {\n  input = \"x\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.berth.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	writeState(t, dir, "other.state", "test_object.z")
	return dir
}

func TestCompletions(t *testing.T) {
	dir := completionFixture(t)
	all := []string{"app.web", "data.test_echo.cfg", "test_object.a", "test_object.b", "test_object.b[0]", "test_object.b[1]",
		"test_object.each", `test_object.each["eu"]`, `test_object.each["us"]`}
	tests := []struct {
		name  string
		words []string
		want  []string
	}{
		{"command names", []string{"st"}, []string{"state", "status"}},
		{"hidden commands are not offered", []string{"__"}, nil},
		{"global flags", []string{"-"}, []string{"-chdir=", "-version"}},
		{"command after global flags", []string{"-chdir", dir, "dr"}, []string{"drift"}},
		{"global flag value", []string{"-chdir", ""}, nil},
		{"subcommands", []string{"state", ""}, []string{"list", "lock", "mv", "pull", "push", "rekey", "rm", "show"}},
		{"subcommand prefix", []string{"workspace", "s"}, []string{"select", "show"}},
		{"unknown command", []string{"nosuch", ""}, nil},
		{"command flags", []string{"plan", "-re"}, []string{"-refresh", "-refresh-only", "-replace="}},
		{"flags with two dashes", []string{"validate", "--comp"}, []string{"--compact-warnings"}},
		{"-compact and -compact-warnings", []string{"plan", "-compa"}, []string{"-compact", "-compact-warnings"}},
		{"a group's own flags", []string{"state", "-"}, []string{"-input", "-no-color"}},
		{"flags after a positional argument", []string{"apply", "web.plan", "-auto"}, []string{"-auto-approve"}},
		{"-target= addresses with the configuration's", []string{"plan", "-target=test_object."}, prefixed("-target=", "test_object.a", "test_object.b", "test_object.b[0]", "test_object.b[1]", "test_object.c", "test_object.each", `test_object.each["eu"]`, `test_object.each["us"]`)},
		{"-target value separate", []string{"destroy", "-target", "test_object.b["}, []string{"test_object.b[0]", "test_object.b[1]"}},
		{"-replace= addresses from the state", []string{"apply", "-replace=test_object.c"}, nil},
		{"-replace= with a partial key", []string{"plan", "-replace=test_object.each[\"u"}, []string{`-replace=test_object.each["us"]`}},
		{"-var value", []string{"plan", "-var", ""}, nil},
		{"flag of another command", []string{"state", "show", "-target=test"}, nil},
		{"state show", []string{"state", "show", "test_object.e"}, []string{"test_object.each", `test_object.each["eu"]`, `test_object.each["us"]`}},
		{"state show all", []string{"state", "show", ""}, all},
		{"state show takes one address", []string{"state", "show", "app.web", ""}, nil},
		{"state show after a flag", []string{"state", "show", "-no-color", "app"}, []string{"app.web"}},
		{"state rm takes many", []string{"state", "rm", "app.web", "test_object.b"}, []string{"test_object.b", "test_object.b[0]", "test_object.b[1]"}},
		{"state mv source", []string{"state", "mv", "-dry-run", "app."}, []string{"app.web"}},
		{"state list -state", []string{"state", "list", "-state=other.state", ""}, []string{"test_object.z"}},
		{"state list -state separate", []string{"state", "list", "-state", "other.state", "test"}, []string{"test_object.z"}},
		{"after --", []string{"state", "rm", "--", "-"}, nil},
		{"taint", []string{"taint", "app"}, []string{"app.web"}},
		{"untaint", []string{"untaint", "-lock=false", "test_object.a"}, []string{"test_object.a"}},
		{"status: the recorded apps", []string{"status", ""}, []string{"app.web"}},
		{"logs after a flag", []string{"logs", "-f", "a"}, []string{"app.web"}},
		{"logs takes one address", []string{"logs", "app.web", ""}, nil},
		{"exec address after a flag with a value", []string{"exec", "-instance", "web-1", ""}, []string{"app.web"}},
		{"exec command after --", []string{"exec", "app.web", "--", ""}, nil},
		{"exec flags", []string{"exec", "-no"}, []string{"-no-color", "-no-tty"}},
		{"import: configured, not recorded", []string{"import", "test_object."}, []string{"test_object.c"}},
		{"import ID", []string{"import", "test_object.c", ""}, nil},
		{"help", []string{"help", "pl"}, []string{"plan"}},
		{"help subcommand", []string{"help", "state", "l"}, []string{"list", "lock"}},
		{"help takes one command", []string{"help", "plan", ""}, nil},
		{"completion shells", []string{"completion", ""}, []string{"bash", "fish", "zsh"}},
		{"positional without addresses", []string{"plan", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Meta{Dir: dir}
			got := m.completions(context.Background(), tt.words)
			if !slices.Equal(got, tt.want) {
				t.Errorf("completions(%q) = %q, want %q", tt.words, got, tt.want)
			}
		})
	}

	// -chdir names the directory whose state is read.
	m := &Meta{Dir: t.TempDir()}
	if got := m.completions(context.Background(), []string{"-chdir=" + dir, "taint", "app"}); !slices.Equal(got, []string{"app.web"}) {
		t.Errorf("with -chdir: %q", got)
	}
	// No state, no configuration: no addresses, and no error.
	if got := m.completions(context.Background(), []string{"state", "show", ""}); got != nil {
		t.Errorf("in an empty directory: %q", got)
	}
}

func prefixed(prefix string, words ...string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = prefix + w
	}
	return out
}

// TestCompleteEntryPoint: the hidden command prints the candidates one a
// line, for the words after "--".
func TestCompleteEntryPoint(t *testing.T) {
	dir := completionFixture(t)
	code, out, errOut := runBerth(t, dir, completeCommand, "--", "state", "show", "test_object.b")
	if code != 0 || errOut != "" || out != "test_object.b\ntest_object.b[0]\ntest_object.b[1]\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ := runBerth(t, dir, completeCommand); code != 0 || !strings.Contains(out, "apply\n") {
		t.Errorf("no words: exit %d, stdout %q; want the commands", code, out)
	}
}

// TestCommandFlags: every command hands its flag set to completion without
// running.
func TestCommandFlags(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		fs := (&Meta{Dir: t.TempDir()}).commandFlags(commands[name])
		if fs == nil || fs.Lookup("input") == nil {
			t.Errorf("%s: no flag set, or one without -input: %v", name, fs)
		}
	}
	fs := (&Meta{}).commandFlags(commands["plan"])
	for _, f := range []string{"target", "replace", "var", "out", "compact-warnings", "compact"} {
		if fs.Lookup(f) == nil {
			t.Errorf("plan has no -%s", f)
		}
	}
	for _, name := range []string{"apply", "destroy", "show"} {
		if (&Meta{}).commandFlags(commands[name]).Lookup("compact") == nil {
			t.Errorf("%s has no -compact", name)
		}
	}
}

// TestCompletionScripts: each script is printed, calls the entry point,
// and is valid for its shell when the shell is installed.
func TestCompletionScripts(t *testing.T) {
	for shell, check := range map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}} {
		t.Run(shell, func(t *testing.T) {
			code, script, errOut := runCLI("completion", shell)
			if code != 0 || errOut != "" || !strings.Contains(script, "berth "+completeCommand+" --") {
				t.Fatalf("exit %d, stderr %q, script:\n%s", code, errOut, script)
			}
			if _, err := exec.LookPath(check[0]); err != nil {
				t.Logf("%s is not installed: the script's syntax is not checked", check[0])
				return
			}
			path := filepath.Join(t.TempDir(), "berth."+shell)
			if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(check[0], append(check[1:], path)...).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", strings.Join(check, " "), path, err, out)
			}
		})
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if code, _, errOut := runCLI(args...); code != 1 || !strings.Contains(errOut, "bash, fish, zsh") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestBashCompletion runs the bash script as bash's completion does: with
// the line and the cursor in COMP_LINE and COMP_POINT, and the real berth
// on PATH; COMPREPLY holds what bash offers.
func TestBashCompletion(t *testing.T) {
	requireShell(t, "bash")
	dir := completionFixture(t)
	bin := berthBinary(t)
	_, script, _ := runCLI("completion", "bash")
	scriptPath := filepath.Join(t.TempDir(), "berth.bash")
	if err := os.WriteFile(scriptPath, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		want []string
	}{
		{"berth sta", []string{"state", "status"}},
		{"berth state ", []string{"list", "lock", "mv", "pull", "push", "rekey", "rm", "show"}},
		{"berth plan -ta", []string{"-target="}},
		// Bash replaces only what follows "=" (a word-break character).
		{"berth plan -target=test_object.b", []string{"test_object.b", `test_object.b\[0\]`, `test_object.b\[1\]`}},
		// Quoted for the shell.
		{"berth state show test_object.each", []string{"test_object.each", `test_object.each\[\"eu\"\]`, `test_object.each\[\"us\"\]`}},
		// What bash inserted is read back without its backslashes.
		{`berth state show test_object.each\[\"u`, []string{`test_object.each\[\"us\"\]`}},
		{"berth -chdir=" + dir + " taint ap", []string{"app.web"}},
		// Nothing: bash completes file names (complete -o default).
		{"berth plan -var-file ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", `source "$1"; COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; `+
				`COMP_WORDBREAKS=$' \t\n"'"'"'><=;|&(:'; _berth; printf '%s\n' "${COMPREPLY[@]}"`, "bash", scriptPath, tt.line)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			if !slices.Equal(got, tt.want) {
				t.Errorf("COMPREPLY = %q, want %q", got, tt.want)
			}
		})
	}
}

// shellCompletion runs script in shell with the real berth on PATH, in
// dir, and returns the lines it prints.
func shellCompletion(t *testing.T, shell, dir, program string, args ...string) []string {
	t.Helper()
	requireShell(t, shell)
	bin := berthBinary(t)
	argv := []string{"-c", program, shell} // $0, then $1...
	if shell == "fish" {
		argv = argv[:2] // $argv[1]...
	}
	cmd := exec.Command(shell, append(argv, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", shell, err, out)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// TestFishCompletion asks fish for its completions of a command line
// (complete -C), with the script loaded.
func TestFishCompletion(t *testing.T) {
	dir := completionFixture(t)
	tests := []struct {
		line string
		want []string
	}{
		{"berth sta", []string{"state", "status"}},
		{"berth plan -ta", []string{"-target="}},
		{"berth plan -target=test_object.b", []string{"-target=test_object.b", "-target=test_object.b[0]", "-target=test_object.b[1]"}},
		{"berth state show test_object.each[", []string{`test_object.each["eu"]`, `test_object.each["us"]`}},
		{"berth import test_", []string{"test_object.c"}},
		// Nothing from berth: file names.
		{"berth plan -var-file main.berth", []string{"main.berth.hcl"}},
	}
	// One fish for every line: it takes seconds to start.
	var lines []string
	for _, tt := range tests {
		lines = append(lines, tt.line)
	}
	out := shellCompletion(t, "fish", dir, `berth completion fish | source; for l in $argv; complete -C $l; echo ===; end`, lines...)
	for _, tt := range tests {
		i := slices.Index(out, "===")
		if i < 0 {
			t.Fatalf("fish printed too little: %q", out)
		}
		if got := out[:i]; !slices.Equal(got, tt.want) {
			t.Errorf("%s: completions %q, want %q", tt.line, got, tt.want)
		}
		out = out[i+1:]
	}
}

// TestZshCompletion calls the script's function as zsh's completion
// system would, with words, CURRENT and PREFIX set and compadd and _files
// standing in for zsh's, printing what they are given.
func TestZshCompletion(t *testing.T) {
	dir := completionFixture(t)
	tests := []struct {
		words []string // the last is the prefix being completed
		want  []string
	}{
		{[]string{"berth", "sta"}, []string{"compadd -- state status"}},
		{[]string{"berth", "plan", "-ta"}, []string{"compadd -S  -- -target="}},
		{[]string{"berth", "state", "show", "test_object.b"}, []string{"compadd -- test_object.b test_object.b[0] test_object.b[1]"}},
		// The prefix as typed, quoted for the shell.
		{[]string{"berth", "state", "show", `test_object.each\[\"u`}, []string{`compadd -- test_object.each["us"]`}},
		{[]string{"berth", "plan", "-var-file", ""}, []string{"_files"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			program := `compdef() { :; }
source <(berth completion zsh)
compadd() { print -r -- "compadd $*"; }
_files() { print -r -- _files; }
words=("$@"); CURRENT=$#; PREFIX=${words[-1]}
_berth`
			got := shellCompletion(t, "zsh", dir, program, tt.words...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// requireShell skips a test of a shell's completion where the shell is
// not installed, but fails it when BERTH_TEST_SHELLS=required (CI, which
// installs bash, zsh and fish: .ci/run), so that CI never passes a script
// it did not run.
func requireShell(t *testing.T, shell string) {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		if os.Getenv("BERTH_TEST_SHELLS") == "required" {
			t.Fatalf("%s is not installed, and BERTH_TEST_SHELLS=required", shell)
		}
		t.Skipf("%s is not installed", shell)
	}
}
