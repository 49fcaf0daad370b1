package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/zclconf/go-cty/cty"
)

// stateFixture writes a state with package state into a new directory
// (without configuration: the default local backend, berth.state) and
// returns the directory.
func stateFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s := state.New()
	set := func(addr string, provider string, obj *state.Object) {
		a, err := addrs.ParseInstance(addr)
		if err != nil {
			t.Fatal(err)
		}
		s.SetInstance(a, provider, obj)
	}
	obj := func(id, name, value string) *state.Object {
		return &state.Object{Value: cty.ObjectVal(map[string]cty.Value{
			"id":     cty.StringVal(id),
			"name":   cty.StringVal(name),
			"value":  cty.StringVal(value),
			"secret": cty.NullVal(cty.String),
		})}
	}
	set("test_object.a", "test", obj("o-1", "a", "one"))
	set("test_object.b[0]", "test", obj("o-2", "b0", "two"))
	set("test_object.b[1]", "test", obj("o-3", "b1", "three"))
	set(`test_object.each["eu"]`, "test", obj("o-4", "eu", "four"))
	set(`test_object.each["us"]`, "test", obj("o-5", "us", "five"))
	set("app.web", "docker", &state.Object{
		Value: cty.ObjectVal(map[string]cty.Value{
			"id":       cty.StringVal("web"),
			"image":    cty.StringVal("harbor.example.com/shop/web:1.4.2"),
			"replicas": cty.NumberIntVal(6),
			"cpu":      cty.NumberFloatVal(0.5),
			"enabled":  cty.True,
			"command":  cty.ListVal([]cty.Value{cty.StringVal("/web"), cty.StringVal("-port=8080")}),
			"args":     cty.ListValEmpty(cty.String),
			"env": cty.MapVal(map[string]cty.Value{
				"LOG_LEVEL": cty.StringVal("info"),
				"TEMPLATE":  cty.StringVal("${not} a template"),
			}),
			"password": cty.StringVal("hunter2").Mark(state.SensitiveMark),
			"port": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{
				"name":      cty.StringVal("http"),
				"container": cty.NumberIntVal(8080),
			})}),
			"script": cty.StringVal("#!/bin/sh\necho ready\n"),
			"note":   cty.NullVal(cty.String),
		}),
		Status: state.ObjectTainted,
	})
	set("data.test_echo.cfg", "test", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{
		"input":  cty.StringVal("x"),
		"output": cty.StringVal("x"),
	})})
	if err := statemgr.New(local.New(filepath.Join(dir, "berth.state"))).Write(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runBerth runs the CLI in dir and returns its exit code and output.
func runBerth(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"-chdir=" + dir}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// readStateAt reads the state of dir's berth.state.
func readStateAt(t *testing.T, dir string) *state.State {
	t.Helper()
	st, err := statemgr.New(local.New(filepath.Join(dir, "berth.state"))).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func listOf(t *testing.T, dir string) string {
	t.Helper()
	code, out, errOut := runBerth(t, dir, "state", "list")
	if code != 0 {
		t.Fatalf("state list: %d %s", code, errOut)
	}
	return out
}

func TestStateList(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string // file under testdata/state with the expected stdout
		stdout string // the expected stdout when no golden file
		code   int
		stderr string
	}{
		{name: "all", golden: "list_all.golden"},
		{name: "resource filter", args: []string{"test_object.b"}, stdout: "test_object.b[0]\ntest_object.b[1]\n"},
		{name: "instance filter", args: []string{`test_object.each["us"]`}, stdout: "test_object.each[\"us\"]\n"},
		{name: "several filters sorted and deduplicated", args: []string{"test_object.b[1]", "app.web", "test_object.b"}, stdout: "app.web\ntest_object.b[0]\ntest_object.b[1]\n"},
		{name: "data source", args: []string{"data.test_echo.cfg"}, stdout: "data.test_echo.cfg\n"},
		{name: "unknown resource suggests", args: []string{"test_object.bb"}, code: 1, stderr: "Error: no object is recorded at test_object.bb. Did you mean test_object.b?"},
		{name: "unknown instance suggests", args: []string{"test_object.b[11]"}, code: 1, stderr: "Did you mean test_object.b[1]?"},
		{name: "nothing close", args: []string{"load_balancer.zzz"}, code: 1, stderr: "no object is recorded at load_balancer.zzz.\n"},
		{name: "invalid address", args: []string{"test_object"}, code: 1, stderr: `invalid address "test_object"`},
	}
	dir := stateFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runBerth(t, dir, append([]string{"state", "list"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if tt.stderr != "" && !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.stderr)
			}
			if tt.golden != "" {
				golden.Check(t, filepath.Join("testdata", "state", tt.golden), []byte(out))
			} else if out != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.stdout)
			}
		})
	}
}

// TestStateReadErrors: no state, a corrupt state, a configured backend
// path, and -state.
func TestStateReadErrors(t *testing.T) {
	t.Run("no state lists nothing", func(t *testing.T) {
		code, out, errOut := runBerth(t, t.TempDir(), "state", "list")
		if code != 0 || out != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("no state to show", func(t *testing.T) {
		code, _, errOut := runBerth(t, t.TempDir(), "state", "show", "app.web")
		if code != 1 || !strings.Contains(errOut, "no state is recorded in") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	for _, cmd := range [][]string{{"state", "list"}, {"state", "show", "app.web"}, {"state", "rm", "app.web"}, {"state", "mv", "app.web", "app.x"}, {"state", "pull"}} {
		t.Run("corrupt state: "+strings.Join(cmd, " "), func(t *testing.T) {
			dir := stateFixture(t)
			path := filepath.Join(dir, "berth.state")
			data, _ := os.ReadFile(path)
			truncated := data[:len(data)/2]
			if err := os.WriteFile(path, truncated, 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runBerth(t, dir, cmd...)
			if code != 1 || out != "" || !strings.Contains(errOut, "berth.state cannot be used") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, truncated) {
				t.Fatalf("the corrupt state file was changed")
			}
		})
	}
	t.Run("configured backend path", func(t *testing.T) {
		dir := stateFixture(t)
		if err := os.Rename(filepath.Join(dir, "berth.state"), filepath.Join(dir, "prod.state")); err != nil {
			t.Fatal(err)
		}
		cfg := "berth {\n  backend \"local\" {\n    path = \"prod.state\"\n  }\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.berth.hcl"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runBerth(t, dir, "state", "list", "app.web")
		if code != 0 || out != "app.web\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("-state", func(t *testing.T) {
		dir := stateFixture(t)
		if err := os.Rename(filepath.Join(dir, "berth.state"), filepath.Join(dir, "other.state")); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runBerth(t, dir, "state", "list", "-state=other.state", "test_object.a")
		if code != 0 || out != "test_object.a\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
}

func TestStateShow(t *testing.T) {
	tests := []struct {
		name   string
		addr   string
		golden string
		code   int
		stderr string
	}{
		{name: "domain block, nested values, sensitive, tainted", addr: "app.web", golden: "show_app.golden"},
		{name: "resource instance", addr: "test_object.b[1]", golden: "show_resource.golden"},
		{name: "single-instance resource by resource address", addr: "test_object.a", golden: "show_single.golden"},
		{name: "data source", addr: "data.test_echo.cfg", golden: "show_data.golden"},
		{name: "several instances", addr: "test_object.b", code: 1, stderr: "test_object.b has 2 instances; show one of them: test_object.b[0], test_object.b[1]."},
		{name: "unknown", addr: `test_object.each["es"]`, code: 1, stderr: `Did you mean test_object.each["eu"]?`},
	}
	dir := stateFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runBerth(t, dir, "state", "show", tt.addr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if tt.stderr != "" && !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.stderr)
			}
			if tt.golden != "" {
				golden.Check(t, filepath.Join("testdata", "state", tt.golden), []byte(out))
			}
			if strings.Contains(out, "hunter2") {
				t.Errorf("a sensitive value was printed:\n%s", out)
			}
		})
	}
}

// TestShowState: berth show of the state prints every object exactly as
// berth state show prints it (HCL through the one value printer, nested
// values included), then the outputs.
func TestShowState(t *testing.T) {
	dir := stateFixture(t)
	code, out, errOut := runBerth(t, dir, "show")
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	golden.Check(t, filepath.Join("testdata", "state", "show_state.golden"), []byte(out))
	for _, addr := range strings.Fields(listOf(t, dir)) {
		_, one, _ := runBerth(t, dir, "state", "show", addr)
		if !strings.Contains(out, one+"\n") {
			t.Errorf("show does not print %s as state show does:\n%s", addr, one)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("a sensitive value was printed:\n%s", out)
	}
}

func TestStateMv(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		wantList string // state list afterwards; "" means unchanged
	}{
		{
			name: "instance", args: []string{"test_object.b[1]", "test_object.b[7]"},
			stdout:   "Moved test_object.b[1] to test_object.b[7]\nSuccessfully moved 1 object(s).\n",
			wantList: "app.web\ntest_object.a\ntest_object.b[0]\ntest_object.b[7]\ntest_object.each[\"eu\"]\ntest_object.each[\"us\"]\ndata.test_echo.cfg\n",
		},
		{
			name: "resource", args: []string{"test_object.each", "test_object.regions"},
			stdout:   "Moved test_object.each[\"eu\"] to test_object.regions[\"eu\"]\nMoved test_object.each[\"us\"] to test_object.regions[\"us\"]\nSuccessfully moved 2 object(s).\n",
			wantList: "app.web\ntest_object.a\ntest_object.b[0]\ntest_object.b[1]\ntest_object.regions[\"eu\"]\ntest_object.regions[\"us\"]\ndata.test_echo.cfg\n",
		},
		{name: "dry run", args: []string{"-dry-run", "test_object.a", "test_object.z"}, stdout: "Would move test_object.a to test_object.z\n"},
		{name: "destination exists", args: []string{"test_object.b[0]", "test_object.b[1]"}, code: 1, stderr: "an object is already recorded at test_object.b[1]"},
		{name: "types differ", args: []string{"test_object.a", "other_object.a"}, code: 1, stderr: "the resource types differ"},
		{name: "unknown source", args: []string{"test_object.aa", "test_object.z"}, code: 1, stderr: "no object is recorded at test_object.aa. Did you mean test_object.a?"},
		{name: "one argument", args: []string{"test_object.a"}, code: 1, stderr: "exactly two addresses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := stateFixture(t)
			before := listOf(t, dir)
			serial := readStateAt(t, dir).Serial
			code, out, errOut := runBerth(t, dir, append([]string{"state", "mv"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if tt.stderr != "" && !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.stderr)
			}
			if tt.stdout != "" && out != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.stdout)
			}
			after := listOf(t, dir)
			st := readStateAt(t, dir)
			if tt.wantList == "" {
				if after != before || st.Serial != serial {
					t.Fatalf("the state changed (serial %d -> %d):\n%s", serial, st.Serial, after)
				}
			} else {
				if after != tt.wantList {
					t.Fatalf("state list:\n%s\nwant:\n%s", after, tt.wantList)
				}
				if st.Serial != serial+1 {
					t.Errorf("serial %d, want %d", st.Serial, serial+1)
				}
				if _, err := os.Stat(filepath.Join(dir, "berth.state.backup")); err != nil {
					t.Errorf("no backup of the previous state: %v", err)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "berth.state.lock")); err == nil {
				t.Errorf("the lock was left behind")
			}
		})
	}

	t.Run("moved object keeps its attributes", func(t *testing.T) {
		dir := stateFixture(t)
		if code, _, errOut := runBerth(t, dir, "state", "mv", "app.web", "app.front"); code != 0 {
			t.Fatal(errOut)
		}
		code, out, _ := runBerth(t, dir, "state", "show", "app.front")
		if code != 0 || !strings.Contains(out, `image    = "harbor.example.com/shop/web:1.4.2"`) || !strings.Contains(out, "password = (sensitive value)") {
			t.Fatalf("show after mv:\n%s", out)
		}
		// Options also after the address, as people type them.
		if code, out2, errOut := runBerth(t, dir, "state", "show", "app.front", "-no-color"); code != 0 || out2 != out {
			t.Fatalf("state show app.front -no-color: exit %d\n%s%s", code, out2, errOut)
		}
	})
}

func TestStateRm(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		wantList string
	}{
		{
			name: "resource and instance", args: []string{"test_object.b", `test_object.each["eu"]`},
			stdout:   "Removed test_object.b[0]\nRemoved test_object.b[1]\nRemoved test_object.each[\"eu\"]\nSuccessfully removed 3 object(s).\n",
			wantList: "app.web\ntest_object.a\ntest_object.each[\"us\"]\ndata.test_echo.cfg\n",
		},
		{
			name: "overlapping addresses", args: []string{"test_object.b[0]", "test_object.b"},
			stdout:   "Removed test_object.b[0]\nRemoved test_object.b[1]\nSuccessfully removed 2 object(s).\n",
			wantList: "app.web\ntest_object.a\ntest_object.each[\"eu\"]\ntest_object.each[\"us\"]\ndata.test_echo.cfg\n",
		},
		{name: "dry run", args: []string{"-dry-run", "app.web"}, stdout: "Would remove app.web\n"},
		{name: "one unknown address removes nothing", args: []string{"test_object.a", "app.wbe"}, code: 1, stderr: "no object is recorded at app.wbe. Did you mean app.web?"},
		{name: "no address", code: 1, stderr: "at least one address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := stateFixture(t)
			before := listOf(t, dir)
			code, out, errOut := runBerth(t, dir, append([]string{"state", "rm"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if tt.stderr != "" && !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.stderr)
			}
			if tt.stdout != "" && out != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.stdout)
			}
			want := tt.wantList
			if want == "" {
				want = before
			}
			if after := listOf(t, dir); after != want {
				t.Fatalf("state list:\n%s\nwant:\n%s", after, want)
			}
		})
	}
}

// TestStateLocking: the writing commands wait for the lock with
// -lock-timeout, name the holder when they give up, and -lock=false
// skips it.
func TestStateLocking(t *testing.T) {
	dir := stateFixture(t)
	lockFile := local.New(filepath.Join(dir, "berth.state"))
	holder := statemgr.New(lockFile)
	info := statemgr.NewLockInfo("apply")
	id, err := holder.Lock(context.Background(), info, 0)
	if err != nil {
		t.Fatal(err)
	}

	code, _, errOut := runBerth(t, dir, "state", "rm", "test_object.a")
	if code != 1 || !strings.Contains(errOut, "state is locked by "+info.Who) || !strings.Contains(errOut, "lock ID "+id) {
		t.Fatalf("rm under a held lock: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(listOf(t, dir), "test_object.a\n") {
		t.Fatalf("rm removed the object without the lock")
	}

	// The holder releases the lock while mv waits for it.
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = holder.Unlock(context.Background(), id)
	}()
	code, _, errOut = runBerth(t, dir, "state", "mv", "-lock-timeout=10s", "test_object.a", "test_object.z")
	if code != 0 {
		t.Fatalf("mv waiting for the lock: exit %d, stderr %q", code, errOut)
	}

	if _, err := holder.Lock(context.Background(), info, 0); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runBerth(t, dir, "state", "rm", "-lock=false", "test_object.z")
	if code != 0 {
		t.Fatalf("rm -lock=false: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(lockFile.LockPath()); err != nil {
		t.Fatalf("-lock=false touched the lock held by another: %v", err)
	}
}

func TestStatePull(t *testing.T) {
	dir := stateFixture(t)
	data, err := os.ReadFile(filepath.Join(dir, "berth.state"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBerth(t, dir, "state", "pull")
	if code != 0 || out != string(data) {
		t.Fatalf("exit %d, stderr %q; stdout is not the state file", code, errOut)
	}
	if code, out, _ := runBerth(t, t.TempDir(), "state", "pull"); code != 0 || out != "" {
		t.Fatalf("pull without state: exit %d, stdout %q", code, out)
	}
}

// withStdin runs fn with os.Stdin reading input (run reads os.Stdin).
func withStdin(t *testing.T, input string, fn func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(input); err != nil {
		t.Fatal(err)
	}
	w.Close()
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old; r.Close() }()
	fn()
}

func TestForceUnlock(t *testing.T) {
	tests := []struct {
		name       string
		args       func(id string) []string
		input      string
		code       int
		stdout     string
		stderr     string
		stillHeld  bool
		noLockHeld bool
	}{
		{name: "confirmed", args: func(id string) []string { return []string{id} }, input: "yes\n", stdout: "Only 'yes' will be accepted"},
		{name: "refused", args: func(id string) []string { return []string{id} }, input: "no\n", code: 1, stderr: "force-unlock cancelled", stillHeld: true},
		{name: "no answer", args: func(id string) []string { return []string{id} }, input: "", code: 1, stderr: "force-unlock cancelled", stillHeld: true},
		{name: "-force asks nothing", args: func(id string) []string { return []string{"-force", id} }, stdout: "The state has been unlocked"},
		{name: "wrong ID", args: func(string) []string { return []string{"-force", "not-the-id"} }, code: 1, stderr: "not not-the-id: nothing was unlocked", stillHeld: true},
		{name: "not locked", args: func(id string) []string { return []string{"-force", id} }, code: 1, stderr: "is not locked", noLockHeld: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := stateFixture(t)
			holder := local.New(filepath.Join(dir, "berth.state"))
			id := "0f6e1c52-aaaa-4bbb-8ccc-123456789abc"
			if !tt.noLockHeld {
				if err := holder.Lock(context.Background(), backend.LockInfo{ID: id, Operation: "apply", Who: "ci@runner", PID: 1}); err != nil {
					t.Fatal(err)
				}
			}
			var code int
			var out, errOut string
			withStdin(t, tt.input, func() { code, out, errOut = runBerth(t, dir, append([]string{"force-unlock"}, tt.args(id)...)...) })
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", out, tt.stdout, errOut, tt.stderr)
			}
			_, err := os.Stat(holder.LockPath())
			if held := err == nil; held != tt.stillHeld {
				t.Errorf("lock held afterwards: %v, want %v", held, tt.stillHeld)
			}
		})
	}
}

func TestStateUnknownSubcommand(t *testing.T) {
	code, _, errOut := runBerth(t, t.TempDir(), "state", "lsit")
	if code != 1 || !strings.Contains(errOut, `unknown state subcommand "lsit". Did you mean "list"?`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestStatePush(t *testing.T) {
	dir := stateFixture(t)
	statePath := filepath.Join(dir, "berth.state")
	stored, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := statefile.Decode(stored)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, s *state.State) {
		t.Helper()
		data, err := statefile.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// An errored state: one more object than the stored state records.
	errored := st.DeepCopy()
	errored.Serial++
	for addr, obj := range st.AllInstances() {
		pushed := addrs.Resource{Mode: addr.Resource.Mode, Type: addr.Resource.Type, Name: "pushed"}
		errored.SetInstance(pushed.Instance(addrs.NoKey), st.Resources[addr.Resource].Provider, obj)
		break
	}
	write("errored.berth.state", errored)
	older := st.DeepCopy()
	older.Serial = 0
	write("older.state", older)
	other := st.DeepCopy()
	other.Lineage = "00000000-0000-4000-8000-000000000000"
	write("other.state", other)
	if err := os.WriteFile(filepath.Join(dir, "junk.state"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"state", "push", "other.state"}, 1, "another state's history"},
		{[]string{"state", "push", "older.state"}, 1, "older than the stored state"},
		{[]string{"state", "push", "junk.state"}, 1, "cannot be used as a state"},
		{[]string{"state", "push", "missing.state"}, 1, "no such file"},
		{[]string{"state", "push"}, 1, "exactly one argument"},
	}
	for _, tt := range tests {
		code, _, errOut := runBerth(t, dir, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("berth %v: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
		if now, _ := os.ReadFile(statePath); string(now) != string(stored) {
			t.Fatalf("berth %v changed the state", tt.args)
		}
	}
	code, out, errOut := runBerth(t, dir, "state", "push", "errored.berth.state")
	if code != 0 || !strings.Contains(out, "Stored errored.berth.state") {
		t.Fatalf("push: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runBerth(t, dir, "state", "list")
	if code != 0 || !strings.Contains(out, `.pushed`) {
		t.Errorf("the pushed state is not the state:\n%s", out)
	}
	// -force stores an older serial.
	if code, _, errOut := runBerth(t, dir, "state", "push", "-force", "older.state"); code != 0 {
		t.Errorf("push -force: exit %d: %s", code, errOut)
	}
}
