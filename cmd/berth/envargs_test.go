package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/workdir"
	"github.com/zclconf/go-cty/cty"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"  \t\n ", nil, ""},
		{"-no-color -lock-timeout=30s", []string{"-no-color", "-lock-timeout=30s"}, ""},
		{`-var "greeting=hello world"`, []string{"-var", "greeting=hello world"}, ""},
		{`-var 'a=$HOME "x"'`, []string{"-var", `a=$HOME "x"`}, ""},
		{`-var=a\ b`, []string{"-var=a b"}, ""},
		{`"a\"b\\c\d"`, []string{`a"b\c\d`}, ""},
		{`'' ""`, []string{"", ""}, ""},
		{`a"b c"'d'e`, []string{"ab cde"}, ""},
		{"a \\\nb", []string{"a", "b"}, ""},
		{`'open`, nil, "a single quote is not closed"},
		{`"open`, nil, "a double quote is not closed"},
		{`end\`, nil, "a backslash ends the value"},
	}
	for _, tt := range tests {
		got, err := splitWords(tt.in)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("splitWords(%q): error %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || !slices.Equal(got, tt.want)):
			t.Errorf("splitWords(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestWithEnvArgs(t *testing.T) {
	env := map[string]string{
		"BERTH_CLI_ARGS":              "-no-color",
		"BERTH_CLI_ARGS_state_list":   "-state=a.state",
		"BERTH_CLI_ARGS_force_unlock": "-force",
	}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		command string
		args    []string
		want    []string
	}{
		{"plan", []string{"-out=x"}, []string{"-no-color", "-out=x"}},
		{"state list", []string{"app.web", "-state=b.state"}, []string{"-no-color", "-state=a.state", "app.web", "-state=b.state"}},
		{"force-unlock", []string{"id"}, []string{"-no-color", "-force", "id"}},
	}
	for _, tt := range tests {
		got, err := withEnvArgs(getenv, tt.command, tt.args)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("withEnvArgs(%s, %q) = %q, %v; want %q", tt.command, tt.args, got, err, tt.want)
		}
	}
	env["BERTH_CLI_ARGS_plan"] = `-var "x`
	if _, err := withEnvArgs(getenv, "plan", nil); err == nil || !strings.Contains(err.Error(), "BERTH_CLI_ARGS_plan: a double quote is not closed") {
		t.Errorf("bad quoting: %v", err)
	}
}

// writeState writes a state recording test_object instances at addrs in
// dir/name.
func writeState(t *testing.T, dir, name string, instances ...string) {
	t.Helper()
	s := state.New()
	for _, a := range instances {
		addr, err := addrs.ParseInstance(a)
		if err != nil {
			t.Fatal(err)
		}
		s.SetInstance(addr, "test", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(a)})})
	}
	if err := statemgr.New(local.New(filepath.Join(dir, name))).Write(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// TestEnvArgs: BERTH_CLI_ARGS and BERTH_CLI_ARGS_<command> come before
// the command line, which overrides them; they are not given to berth's
// own hidden commands; bad quoting is an error that names the variable.
func TestEnvArgs(t *testing.T) {
	dir := stateFixture(t)
	writeState(t, dir, "other.state", "test_object.z")

	t.Setenv("BERTH_CLI_ARGS", "-no-color")
	t.Setenv("BERTH_CLI_ARGS_state_list", "-state=other.state")
	if code, out, errOut := runBerth(t, dir, "state", "list"); code != 0 || out != "test_object.z\n" {
		t.Errorf("state list with BERTH_CLI_ARGS_state_list=-state=other.state: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, errOut := runBerth(t, dir, "state", "list", "-state=berth.state", "app.web"); code != 0 || out != "app.web\n" {
		t.Errorf("the command line's -state does not override the environment's: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// state show has no variable of its own: only BERTH_CLI_ARGS.
	if code, out, errOut := runBerth(t, dir, "state", "show", "app.web"); code != 0 || strings.Contains(out, "\x1b[") || !strings.Contains(out, "image") {
		t.Errorf("state show with BERTH_CLI_ARGS=-no-color: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	t.Setenv("BERTH_CLI_ARGS", "-bogus")
	if code, _, errOut := runBerth(t, dir, "state", "list"); code != 1 || !strings.Contains(errOut, "flag provided but not defined: -bogus") {
		t.Errorf("a bad flag in BERTH_CLI_ARGS: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{{completeCommand, "--", "state", "l"}, {"help", "state", "list"}} {
		if code, out, errOut := runBerth(t, dir, args...); code != 0 || out == "" {
			t.Errorf("%s with BERTH_CLI_ARGS=-bogus: exit %d, stdout %q, stderr %q; want it unaffected", args[0], code, out, errOut)
		}
	}

	t.Setenv("BERTH_CLI_ARGS", `-state="unclosed`)
	if code, out, errOut := runBerth(t, dir, "state", "list"); code != 1 || out != "" || !strings.Contains(errOut, "Error: BERTH_CLI_ARGS: a double quote is not closed.") {
		t.Errorf("bad quoting: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestDataDir: with BERTH_DATA_DIR, what berth remembers about the working
// directory (here the selected workspace) is there and not in .berth.
func TestDataDir(t *testing.T) {
	dir, data := stateFixture(t), filepath.Join(t.TempDir(), "data")
	t.Setenv(workdir.EnvDataDir, data)
	if code, _, errOut := runBerth(t, dir, "workspace", "new", "dev"); code != 0 {
		t.Fatalf("workspace new: exit %d, stderr %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "environment")); err != nil {
		t.Errorf("the selection is not in BERTH_DATA_DIR: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, workdir.DataDirName)); !os.IsNotExist(err) {
		t.Errorf("%s was made although BERTH_DATA_DIR is set: %v", workdir.DataDirName, err)
	}
	if _, out, _ := runBerth(t, dir, "workspace", "show"); out != "dev\n" {
		t.Errorf("workspace show with BERTH_DATA_DIR: %q, want dev", out)
	}
	t.Setenv(workdir.EnvDataDir, "")
	if _, out, _ := runBerth(t, dir, "workspace", "show"); out != "default\n" {
		t.Errorf("workspace show without BERTH_DATA_DIR: %q, want default", out)
	}
}

// TestE2EInAutomation: BERTH_IN_AUTOMATION drops the hint that names the
// next command, and nothing else.
func TestE2EInAutomation(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	human := e.ok("plan", "-out=web.plan").stdout
	mustContain(t, "plan -out", human, "Saved the plan to: web.plan", "To perform exactly these actions, run:\n    berth apply \"web.plan\"")
	e.env = append(e.env, "BERTH_IN_AUTOMATION=1")
	auto := e.ok("plan", "-out=web.plan").stdout
	mustContain(t, "plan -out in automation", auto, "Saved the plan to: web.plan")
	if strings.Contains(auto, "berth apply") {
		t.Errorf("a next-command hint in automation:\n%s", auto)
	}
	if want, _, _ := strings.Cut(human, "\nTo perform"); strings.TrimRight(auto, "\n") != strings.TrimRight(want, "\n") {
		t.Errorf("automation changed more than the hint:\n%s\n---\n%s", auto, want)
	}
}

// TestE2EInitDataDir: the -plugin-dir flags of init are remembered in
// BERTH_DATA_DIR, and later commands find the plugins through them.
func TestE2EInitDataDir(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	data := filepath.Join(e.root, "data")
	plugins := filepath.Join(e.root, "plugins")
	// Not found on the default search path: only through -plugin-dir.
	e.env = append(e.env, workdir.EnvDataDir+"="+data, "BERTH_PLUGIN_DIR=")
	e.ok("init", "-plugin-dir="+plugins)
	saved, err := os.ReadFile(filepath.Join(data, "plugin-dirs"))
	if err != nil || strings.TrimSpace(string(saved)) != plugins {
		t.Errorf("plugin-dirs in BERTH_DATA_DIR: %q, %v; want %s", saved, err, plugins)
	}
	if _, err := os.Stat(filepath.Join(e.dir, workdir.DataDirName, "plugin-dirs")); !os.IsNotExist(err) {
		t.Errorf("plugin-dirs written under .berth although BERTH_DATA_DIR is set: %v", err)
	}
	e.ok("plan")
	// Another data directory has no record of them: the plugin is not found.
	e.env = append(e.env, workdir.EnvDataDir+"="+filepath.Join(e.root, "other"))
	e.expect(1, "plan")
}
