package main

// End-to-end tests: the real berth binary, the real test provider as a
// plugin process installed in a plugin directory and locked by berth init,
// a local state, each test in its own working directory.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/providers/install"
	"github.com/berth-sh/berth/providers/testprovider"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/views/jsondoc"
	"github.com/zclconf/go-cty/cty"
)

var (
	berthOnce sync.Once
	berthBin  string
	berthErr  error
	berthTmp  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if berthTmp != "" {
		os.RemoveAll(berthTmp)
	}
	os.Exit(code)
}

// berthBinary builds the berth binary once per test run, only for the
// tests that need it.
func berthBinary(t testing.TB) string {
	t.Helper()
	berthOnce.Do(func() {
		berthTmp, berthErr = os.MkdirTemp("", "berth-e2e-")
		if berthErr != nil {
			return
		}
		berthBin = filepath.Join(berthTmp, "berth")
		out, err := exec.Command("go", "build", "-o", berthBin, ".").CombinedOutput()
		if err != nil {
			berthErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if berthErr != nil {
		t.Fatal(berthErr)
	}
	return berthBin
}

// e2eHeader declares the test provider; its knobs are variables so a test
// can slow it down or make it crash from the command line.
const e2eHeader = `berth {
  required_providers {
    test = { source = "berth-test/test", version = "1.0.0" }
  }
}

variable "delay_ms" {
  type    = number
  default = 0
}

variable "panic_on" {
  type    = string
  default = ""
}

provider "test" {
  store          = "${path.module}/store.json"
  delay_ms       = var.delay_ms
  panic_on_apply = var.panic_on
}
`

// e2e is one working directory with the test provider installed.
type e2e struct {
	t    testing.TB
	root string
	dir  string
	bin  string
	// storeAt and stateAt are the test provider's store and the state
	// file, when not store.json and berth.state in dir.
	storeAt, stateAt string
	// env is added to berth's environment.
	env []string
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s\n--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

func newE2E(t testing.TB, config string) *e2e {
	t.Helper()
	e := &e2e{t: t, root: t.TempDir(), bin: berthBinary(t)}
	e.dir = filepath.Join(e.root, "work")
	plugin := filepath.Join(e.root, "plugins", "berth-test", "test", "1.0.0", install.Platform, "berth-provider-test")
	for _, d := range []string{e.dir, filepath.Dir(plugin), filepath.Join(e.root, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile(testprovider.Build(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	e.write(config)
	e.ok("init")
	return e
}

func (e *e2e) write(config string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(e2eHeader+config), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(),
		"HOME="+filepath.Join(e.root, "home"),
		"BERTH_PLUGIN_DIR="+filepath.Join(e.root, "plugins"),
		"NO_COLOR=1")
	cmd.Env = append(cmd.Env, e.env...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// runIn runs berth with stdin as its standard input.
func (e *e2e) runIn(stdin string, args ...string) result {
	e.t.Helper()
	return e.runCmd(e.command(stdin, args...), args)
}

// runCmd runs a command made by e.command.
func (e *e2e) runCmd(cmd *exec.Cmd, args []string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("running berth %v: %v", args, err)
	}
	return r
}

func (e *e2e) run(args ...string) result { e.t.Helper(); return e.runIn("", args...) }

// ok runs berth and fails the test unless it exits 0.
func (e *e2e) ok(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("berth %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// expect runs berth and checks its exit code.
func (e *e2e) expect(code int, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != code {
		e.t.Fatalf("berth %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	return r
}

func (e *e2e) storePath() string {
	if e.storeAt != "" {
		return e.storeAt
	}
	return filepath.Join(e.dir, "store.json")
}

func (e *e2e) statePath() string {
	if e.stateAt != "" {
		return e.stateAt
	}
	return filepath.Join(e.dir, "berth.state")
}

func (e *e2e) store() *testprovider.Store {
	e.t.Helper()
	s, err := testprovider.ReadStore(e.storePath())
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// state reads berth.state (nil when there is none).
func (e *e2e) state() *state.State {
	e.t.Helper()
	b, err := os.ReadFile(e.statePath())
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := statefile.Decode(b)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// stateIDs maps the ids of the objects recorded in the state to their addresses.
func (e *e2e) stateIDs() map[string]string {
	e.t.Helper()
	ids := map[string]string{}
	st := e.state()
	if st == nil {
		return ids
	}
	for addr, obj := range st.AllInstances() {
		v, _ := obj.Value.UnmarkDeep()
		id := v.GetAttr("id").AsString()
		if prev, dup := ids[id]; dup {
			e.t.Errorf("object %s recorded twice: %s and %s", id, prev, addr)
		}
		ids[id] = addr.String()
	}
	return ids
}

func sortedIDs[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

const lifecycleConfig = `
resource "test_object" "a" {
  name   = "a"
  value  = "one"
  secret = "hunter2"
}

resource "test_object" "b" {
  count = 2
  name  = "b${count.index}"
  value = test_object.a.id
}

output "a_id" {
  value = test_object.a.id
}

output "secret" {
  value     = test_object.a.secret
  sensitive = true
}
`

func TestE2ELifecycle(t *testing.T) {
	e := newE2E(t, lifecycleConfig)

	// Create from nothing.
	r := e.expect(2, "plan", "-detailed-exitcode")
	mustContain(t, "plan", r.stdout, "# test_object.a will be created", "Plan: 3 to add, 0 to change, 0 to destroy.")
	if e.state() != nil || len(e.store().Objects) != 0 {
		t.Fatal("plan changed something")
	}

	// No terminal, no answer: refused, nothing done.
	r = e.expect(1, "apply")
	mustContain(t, "apply without an answer", r.stderr, "standard input is closed or not a terminal", "-auto-approve")
	r = e.runIn("no\n", "apply")
	if r.code != 1 || !strings.Contains(r.stderr, "Apply cancelled") {
		t.Fatalf("apply answered no: %s", r)
	}
	if len(e.store().Objects) != 0 {
		t.Fatal("a refused apply created objects")
	}

	r = e.runIn("yes\n", "apply")
	if r.code != 0 {
		t.Fatalf("apply: %s", r)
	}
	mustContain(t, "apply", r.stdout,
		"Do you want to perform these actions?",
		"test_object.a: Creating...",
		"test_object.b[1]: Creation complete after 0s [id=o-",
		"Apply complete! Resources: 3 added, 0 changed, 0 destroyed.",
		"Outputs:", `a_id = "o-`, "secret = <sensitive>")
	if strings.Contains(r.stdout, "hunter2") {
		t.Errorf("apply printed a sensitive value:\n%s", r.stdout)
	}
	if got := len(e.store().Objects); got != 3 {
		t.Fatalf("store has %d objects, want 3", got)
	}
	if got, want := sortedIDs(e.stateIDs()), sortedIDs(e.store().Objects); !slices.Equal(got, want) {
		t.Fatalf("state has %v, store %v", got, want)
	}

	// No-op.
	r = e.expect(0, "plan", "-detailed-exitcode")
	mustContain(t, "no-op plan", r.stdout, "No changes.")

	// Outputs.
	aID := e.state().Outputs["a_id"].Value.AsString()
	if r := e.ok("output", "a_id"); r.stdout != fmt.Sprintf("%q\n", aID) {
		t.Errorf("output a_id = %q", r.stdout)
	}
	if r := e.ok("output", "-raw", "a_id"); r.stdout != aID {
		t.Errorf("output -raw a_id = %q", r.stdout)
	}
	if r := e.ok("output", "secret"); r.stdout != "<sensitive>\n" {
		t.Errorf("output secret = %q", r.stdout)
	}
	var outs map[string]struct {
		Sensitive bool `json:"sensitive"`
		Value     any  `json:"value"`
	}
	if err := json.Unmarshal([]byte(e.ok("output", "-json").stdout), &outs); err != nil {
		t.Fatal(err)
	}
	if outs["secret"].Value != "hunter2" || !outs["secret"].Sensitive || outs["a_id"].Value != aID {
		t.Errorf("output -json = %+v", outs)
	}

	// Change one attribute: an update in place.
	e.write(strings.Replace(lifecycleConfig, `value  = "one"`, `value  = "two"`, 1))
	r = e.expect(2, "plan", "-detailed-exitcode")
	mustContain(t, "update plan", r.stdout, "# test_object.a will be updated in place", `~ value = "one" -> "two"`,
		"Plan: 0 to add, 1 to change, 0 to destroy.")
	r = e.ok("apply", "-auto-approve")
	mustContain(t, "update", r.stdout, "test_object.a: Modifying...", "test_object.a: Modifications complete after",
		"Apply complete! Resources: 0 added, 1 changed, 0 destroyed.")
	if v := e.store().Objects[aID].Value; v == nil || *v != "two" {
		t.Fatalf("store value of %s = %v", aID, v)
	}

	// Change the name: it forces a replacement, and b follows a's new id.
	e.write(strings.Replace(strings.Replace(lifecycleConfig, `value  = "one"`, `value  = "two"`, 1), `name   = "a"`, `name   = "a2"`, 1))
	r = e.expect(2, "plan", "-detailed-exitcode")
	mustContain(t, "replace plan", r.stdout, "# test_object.a must be replaced", "# forces replacement", "-/+ resource",
		"Plan: 1 to add, 2 to change, 1 to destroy.")
	e.ok("apply", "-auto-approve")
	if _, still := e.store().Objects[aID]; still {
		t.Fatalf("replaced object %s still exists", aID)
	}
	e.expect(0, "plan", "-detailed-exitcode")

	// show and graph.
	r = e.ok("show")
	mustContain(t, "show", r.stdout, "# test_object.a:", `name   = "a2"`, "secret = (sensitive value)")
	var doc struct {
		Resources []struct {
			Address string `json:"address"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(e.ok("show", "-json").stdout), &doc); err != nil || len(doc.Resources) != 3 {
		t.Fatalf("show -json: %v %+v", err, doc)
	}
	r = e.ok("graph")
	mustContain(t, "graph", r.stdout, "digraph {", `"test_object.b" -> "test_object.a"`, `"test_object.a" -> "provider.test"`)

	// Destroy.
	r = e.runIn("yes\n", "destroy")
	if r.code != 0 {
		t.Fatalf("destroy: %s", r)
	}
	mustContain(t, "destroy", r.stdout, "Do you really want to destroy all resources?", "test_object.a: Destroying...",
		"Destroy complete! Resources: 3 destroyed.")
	if n := len(e.store().Objects); n != 0 {
		t.Fatalf("store has %d objects after destroy", n)
	}
	if ids := e.stateIDs(); len(ids) != 0 {
		t.Fatalf("state still has %v", ids)
	}
	e.expect(2, "plan", "-detailed-exitcode")
}

func TestE2EApplyJSON(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "x" {
  name = "x"
  size = 3
}
`)
	r := e.expect(2, "plan", "-json", "-detailed-exitcode")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var planDoc struct {
		FormatVersion   string `json:"format_version"`
		ResourceChanges []struct {
			Address string `json:"address"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &planDoc); err != nil || planDoc.FormatVersion != jsondoc.ShowFormatVersion ||
		len(planDoc.ResourceChanges) != 1 || planDoc.ResourceChanges[0].Address != "test_object.x" {
		t.Fatalf("plan -json: last line is not the plan document (%v):\n%s", err, r.stdout)
	}
	mustContain(t, "plan -json", lines[0], `"type":"version"`)

	r = e.expect(1, "apply", "-json")
	mustContain(t, "apply -json without -auto-approve", r.stderr, "-json requires -auto-approve")

	r = e.ok("apply", "-json", "-auto-approve")
	var types []string
	for i, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var msg map[string]any
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		for _, k := range []string{"@level", "@message", "@module", "@timestamp", "type"} {
			if _, ok := msg[k]; !ok {
				t.Errorf("line %d has no %s: %s", i+1, k, line)
			}
		}
		types = append(types, msg["type"].(string))
		if msg["type"] == "apply_complete" {
			hook := msg["hook"].(map[string]any)
			if hook["resource"].(map[string]any)["addr"] != "test_object.x" || hook["action"] != "create" || hook["id_value"] == "" {
				t.Errorf("apply_complete hook: %v", hook)
			}
		}
	}
	if types[0] != "version" || types[len(types)-1] != "change_summary" {
		t.Errorf("message types %v: want version first and change_summary last", types)
	}
	for _, want := range []string{"planned_change", "apply_start", "apply_complete"} {
		if !slices.Contains(types, want) {
			t.Errorf("no %s message in %v", want, types)
		}
	}

	// A rollout in waves, driven by the core's rollout driver: a fleet of
	// 5 moving from v1 to v2 rolls out in waves of 1, 2 and 2.
	e.write(`
resource "test_fleet" "f" {
  name     = "f"
  version  = "v1"
  replicas = 5
}
`)
	e.ok("apply", "-auto-approve")
	e.write(`
resource "test_fleet" "f" {
  name     = "f"
  version  = "v2"
  replicas = 5
}
`)
	r = e.ok("plan", "-no-color")
	mustContain(t, "plan of a rollout", r.stdout, "rollout: 3 waves", "wave 1: 1 instance  (f-0 on local)", "wave 3: 2 instances (f-3 on local, f-4 on local)")
	r = e.ok("apply", "-auto-approve", "-json")
	var starts, providerWaves []float64
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var msg struct {
			Type string         `json:"type"`
			Hook map[string]any `json:"hook"`
		}
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, line)
		}
		switch msg.Type {
		case "wave_start":
			starts = append(starts, msg.Hook["wave"].(float64))
		case "provider_event":
			if msg.Hook["kind"] == "instance_started" {
				providerWaves = append(providerWaves, msg.Hook["wave"].(float64))
			}
		}
	}
	// The core and the provider count waves alike, from 1.
	if !slices.Equal(starts, []float64{1, 2, 3}) || !slices.Equal(providerWaves, []float64{1, 2, 2, 3, 3}) {
		t.Errorf("wave_start waves %v, the provider's instance_started waves %v; want [1 2 3] and [1 2 2 3 3]", starts, providerWaves)
	}
}

func TestE2EDrift(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "keep" {
  name   = "keep"
  value  = "v1"
  secret = "s1"
}

resource "test_object" "gone" {
  name = "gone"
}
`)
	e.ok("apply", "-auto-approve")
	e.expect(0, "drift")

	// Behind berth's back: edit one object (value and secret), delete the other.
	ids := e.stateIDs()
	s := e.store()
	for id, addr := range ids {
		switch addr {
		case "test_object.keep":
			v, sec := "edited", "s2"
			s.Objects[id].Value, s.Objects[id].Secret = &v, &sec
		case "test_object.gone":
			delete(s.Objects, id)
		}
	}
	if err := testprovider.WriteStore(e.storePath(), s); err != nil {
		t.Fatal(err)
	}

	r := e.expect(2, "plan", "-detailed-exitcode")
	out := r.stdout
	i, j := strings.Index(out, "Objects have changed outside of berth"), strings.Index(out, "berth will perform the following actions")
	if i < 0 || j < i {
		t.Fatalf("plan does not show the drift apart, before the changes:\n%s", out)
	}
	mustContain(t, "drift part of the plan", out[i:j], "test_object.keep", `"v1" -> "edited"`, "test_object.gone")
	mustContain(t, "changes part of the plan", out[j:], "# test_object.gone will be created", "# test_object.keep will be updated in place")
	if strings.Contains(out, "s2") || strings.Contains(out, "s1") {
		t.Errorf("plan shows a secret:\n%s", out)
	}

	r = e.expect(2, "drift")
	mustContain(t, "drift", r.stdout, "Objects have changed outside of berth")
	r = e.expect(2, "drift", "-json")
	var rep jsondoc.DriftReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("drift -json: %v\n%s", err, r.stdout)
	}
	want := jsondoc.DriftReport{FormatVersion: "1.0", Drifted: true, Objects: []jsondoc.DriftObject{
		{Address: "test_object.gone", Action: "delete", Attributes: []jsondoc.DriftAttribute{}},
		{Address: "test_object.keep", Action: "update", Attributes: []jsondoc.DriftAttribute{
			{Path: "secret", Sensitive: true},
			{Path: "value", Recorded: "v1", Live: "edited"},
		}},
	}}
	if got, _ := json.Marshal(rep); string(got) != string(mustJSON(t, want)) {
		t.Errorf("drift report:\n got %s\nwant %s", got, mustJSON(t, want))
	}
	if strings.Contains(r.stdout, "s2") {
		t.Errorf("drift report shows a secret:\n%s", r.stdout)
	}

	// Apply converges; no drift afterwards.
	e.ok("apply", "-auto-approve")
	e.expect(0, "drift")
	e.expect(0, "plan", "-detailed-exitcode")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestE2ESavedPlan(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
`)
	r := e.ok("plan", "-out=first.plan")
	mustContain(t, "plan -out", r.stdout, "Saved the plan to: first.plan")
	r = e.ok("show", "first.plan")
	mustContain(t, "show plan", r.stdout, "# test_object.a will be created", "Plan: 1 to add")
	var doc struct {
		ConfigHash string `json:"config_hash"`
	}
	if err := json.Unmarshal([]byte(e.ok("show", "-json", "first.plan").stdout), &doc); err != nil || !strings.HasPrefix(doc.ConfigHash, "sha256:") {
		t.Fatalf("show -json: %v %+v", err, doc)
	}
	r = e.ok("apply", "first.plan")
	mustContain(t, "apply plan", r.stdout, "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.")
	if strings.Contains(r.stdout, "Do you want") {
		t.Error("apply of a saved plan asked for confirmation")
	}

	// Stale: the state moves on after the plan was made.
	e.write(`
resource "test_object" "a" {
  name  = "a"
  value = "two"
}
`)
	e.ok("plan", "-out=stale.plan")
	serial := e.state().Serial
	e.ok("apply", "-auto-approve", "-var", "delay_ms=1") // same config: applies the same change, state serial moves on
	if e.state().Serial == serial {
		t.Fatal("the state did not move on")
	}
	r = e.expect(1, "apply", "stale.plan")
	mustContain(t, "stale plan", r.stderr, fmt.Sprintf("the state changed since this plan was made: serial %d, plan made at %d", e.state().Serial, serial))

	// The configuration changes after the plan was made.
	e.write(`
resource "test_object" "a" {
  name  = "a"
  value = "three"
}
`)
	e.ok("plan", "-out=config.plan")
	e.write(`
resource "test_object" "a" {
  name  = "a"
  value = "four"
}
`)
	r = e.expect(1, "apply", "config.plan")
	mustContain(t, "changed config", r.stderr, "the configuration changed since this plan was made")
	if v := *e.store().Objects[sortedIDs(e.stateIDs())[0]].Value; v != "two" {
		t.Fatalf("a refused plan changed the object: value %q", v)
	}

	// The locked provider changes after the plan was made.
	e.write(`
resource "test_object" "a" {
  name  = "a"
  value = "three"
}
`)
	e.ok("plan", "-out=lock.plan")
	lock := filepath.Join(e.dir, install.LockFileName)
	b, _ := os.ReadFile(lock)
	re := regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	if err := os.WriteFile(lock, re.ReplaceAll(b, []byte("sha256:"+strings.Repeat("0", 64))), 0o644); err != nil {
		t.Fatal(err)
	}
	r = e.expect(1, "apply", "lock.plan")
	mustContain(t, "changed lock", r.stderr, "the locked checksums of berth-test/test changed since this plan was made")
}

// TestE2EEditedSavedPlan: a saved plan whose update of a was turned into
// a delete is refused, naming a, and nothing is destroyed; whether the
// editor left the checksum as it was (corruption) or computed it again
// (apply plans again and holds the file to it).
func TestE2EEditedSavedPlan(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
resource "test_object" "b" {
  name = "b"
}
`)
	e.ok("apply", "-auto-approve")
	e.write(`
resource "test_object" "a" {
  name  = "a"
  value = "two"
}
resource "test_object" "b" {
  name = "b"
}
`)
	r := e.ok("plan", "-out=update.plan")
	mustContain(t, "plan", r.stdout, "# test_object.a will be updated in place", "Plan: 0 to add, 1 to change, 0 to destroy.")
	planPath := filepath.Join(e.dir, "update.plan")
	data, err := os.ReadFile(planPath)
	if err != nil {
		t.Fatal(err)
	}
	before, serial := e.store(), e.state().Serial
	unchanged := func(what string) {
		t.Helper()
		after := e.store()
		if len(after.Objects) != len(before.Objects) {
			t.Fatalf("%s: %d objects, %d before", what, len(after.Objects), len(before.Objects))
		}
		for id, o := range before.Objects {
			if a := after.Objects[id]; a == nil || !reflect.DeepEqual(a.Value, o.Value) {
				t.Fatalf("%s: object %s (%s) changed or destroyed", what, id, o.Name)
			}
		}
		if s := e.state().Serial; s != serial {
			t.Fatalf("%s: the state moved from serial %d to %d", what, serial, s)
		}
	}

	// The action edited in the file, the checksum left as it was.
	if !bytes.Contains(data, []byte(`"action": "update"`)) {
		t.Fatalf("no update in the plan file:\n%s", data)
	}
	edited := filepath.Join(e.dir, "edited.plan")
	if err := os.WriteFile(edited, bytes.Replace(data, []byte(`"action": "update"`), []byte(`"action": "delete"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.expect(1, "apply", "edited.plan")
	mustContain(t, "apply of an edited plan", r.stderr, "Saved plan is corrupted or was edited", "checksum does not match")
	unchanged("apply of an edited plan")

	// The same edit, the checksum computed again for the new content.
	p, err := plans.ReadPlanFile(context.Background(), planPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if c.Addr.String() == "test_object.a" {
			c.Action = plans.Delete
		}
	}
	if err := plans.WritePlanFile(context.Background(), edited, p, nil); err != nil {
		t.Fatal(err)
	}
	r = e.expect(1, "apply", "edited.plan")
	// The detail is wrapped to the terminal's width.
	mustContain(t, "apply of a resealed edited plan", strings.Join(strings.Fields(r.stderr), " "),
		"Saved plan's action differs from what the configuration requires",
		`test_object.a: the plan file says "delete", but the configuration and the state require "update" now`)
	if strings.Contains(r.stdout, "Destroying") || strings.Contains(r.stdout, "Apply complete") {
		t.Errorf("the refused plan was carried out:\n%s", r.stdout)
	}
	unchanged("apply of a resealed edited plan")

	// The plan as made still applies.
	r = e.ok("apply", "update.plan")
	mustContain(t, "apply of the plan", r.stdout, "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.")
}

// background is a berth process running in the background.
type background struct {
	cmd *exec.Cmd
	// lines receives the lines of its stdout; closed at EOF.
	lines     <-chan string
	out, errb bytes.Buffer
	done      chan struct{}
	err       error
}

// wait waits for the process and returns its exit code.
func (b *background) wait() int {
	for range b.lines {
	}
	<-b.done
	return exitCode(b.err)
}

// start starts berth in the background.
func (e *e2e) start(args ...string) *background {
	e.t.Helper()
	b := &background{cmd: e.command("", args...), done: make(chan struct{})}
	pr, pw := io.Pipe()
	b.cmd.Stdout, b.cmd.Stderr = io.MultiWriter(&b.out, pw), &b.errb
	lines := make(chan string, 100000)
	b.lines = lines
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Its own process group, so that a test can kill berth with its
	// providers (a cancelled CI job), and the cleanup leaves none behind.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := b.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		b.err = b.cmd.Wait()
		pw.Close()
		close(b.done)
	}()
	e.t.Cleanup(func() {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		<-b.done
	})
	return b
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestE2EConcurrentApply(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "o" {
  count = 3
  name  = "o${count.index}"
}
`)
	first := e.start("apply", "-auto-approve", "-var", "delay_ms=1500")
	// Wait until the first holds the lock for the apply itself.
	for l := range first.lines {
		if strings.Contains(l, "Creating...") {
			break
		}
	}
	r := e.expect(1, "apply", "-auto-approve")
	mustContain(t, "second apply", r.stderr, "Error acquiring the state lock",
		fmt.Sprintf("(pid %d) for apply", first.cmd.Process.Pid))

	// With -lock-timeout the second waits for the first and then finds
	// nothing left to do.
	r = e.ok("apply", "-auto-approve", "-lock-timeout=30s")
	mustContain(t, "waiting apply", r.stdout, "No changes.", "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.")
	if code := first.wait(); code != 0 {
		t.Fatalf("first apply: exit %d\n%s\n%s", code, &first.out, &first.errb)
	}
	if n := len(e.store().Objects); n != 3 {
		t.Fatalf("store has %d objects, want 3", n)
	}
}

// checkStateMatchesStore checks that the state records exactly the objects
// that exist.
func (e *e2e) checkStateMatchesStore() {
	e.t.Helper()
	got, want := sortedIDs(e.stateIDs()), sortedIDs(e.store().Objects)
	if !slices.Equal(got, want) {
		e.t.Fatalf("the state records %d objects, the store holds %d:\nstate: %v\nstore: %v", len(got), len(want), got, want)
	}
}

// checkConverged reruns apply and checks the store then holds exactly n
// objects with distinct names and a plan finds nothing to do.
func (e *e2e) checkConverged(n int) {
	e.t.Helper()
	e.ok("apply", "-auto-approve", "-parallelism=10")
	names := map[string]string{}
	for id, o := range e.store().Objects {
		if prev, dup := names[o.Name]; dup {
			e.t.Errorf("duplicate object %q: %s and %s", o.Name, prev, id)
		}
		names[o.Name] = id
	}
	if len(names) != n || len(e.store().Objects) != n {
		e.t.Errorf("store holds %d objects (%d names), want %d", len(e.store().Objects), len(names), n)
	}
	e.checkStateMatchesStore()
	e.expect(0, "plan", "-detailed-exitcode")
}

func TestE2EInterrupt(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "o" {
  count = 200
  name  = "o${count.index}"
}
`)
	b := e.start("apply", "-auto-approve", "-parallelism=4", "-var", "delay_ms=20")
	done := 0
	for l := range b.lines {
		if strings.Contains(l, "Creation complete") {
			done++
			if done == 30 {
				if err := b.cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
	}
	if code := b.wait(); code != 1 {
		t.Fatalf("interrupted apply: exit %d\n%s\n%s", code, &b.out, &b.errb)
	}
	mustContain(t, "interrupted apply", b.out.String(), "Interrupt received.", "Gracefully shutting down...", "Apply interrupted. Finished before stopping:")
	t.Logf("interrupted apply:\n%s\n%s", lastLines(b.out.String(), 15), &b.errb)
	if n := len(e.store().Objects); n >= 200 || n < 30 {
		t.Fatalf("store holds %d objects after the interrupt", n)
	}
	e.checkStateMatchesStore()
	if _, err := os.Stat(filepath.Join(e.dir, "berth.state.lock")); !os.IsNotExist(err) {
		t.Errorf("the lock was not released: %v", err)
	}
	e.checkConverged(200)
}

// TestInterruptStages checks apply's signal handling in process: before
// the apply starts, a signal abandons the command; once it runs, the first
// signal only closes Stop (graceful) and the second cancels the context.
// (Through the binary the second signal cannot be timed reliably: the
// test provider honours Stop at once, so a graceful stop ends within
// milliseconds.)
func TestInterruptStages(t *testing.T) {
	var mu sync.Mutex
	var notes []bool
	in := newInterrupts(t.Context(), func(graceful bool) { mu.Lock(); notes = append(notes, graceful); mu.Unlock() })
	defer in.close()
	if !in.startApply() {
		t.Fatal("startApply: interrupted already")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-in.stop:
	case <-time.After(5 * time.Second):
		t.Fatal("the first signal did not close stop")
	}
	time.Sleep(50 * time.Millisecond)
	if in.ctx.Err() != nil {
		t.Fatal("the first signal during apply cancelled the context")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-in.ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the second signal did not cancel the context")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(notes, []bool{true, false}) {
		t.Errorf("notifications %v, want graceful then abort", notes)
	}

	// Before the apply: the first signal abandons the command.
	in2 := newInterrupts(t.Context(), func(bool) {})
	defer in2.close()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-in2.ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a signal while planning did not cancel the context")
	}
	if in2.startApply() {
		t.Error("startApply after an interrupt reported no interrupt")
	}
}

func TestE2EProviderCrash(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "o" {
  count = 20
  name  = "o${count.index}"
}
`)
	r := e.run("apply", "-auto-approve", "-parallelism=1", "-var", "panic_on=o7")
	if r.code != 1 {
		t.Fatalf("apply with a crashing provider: %s", r)
	}
	mustContain(t, "crash", r.stderr, "test_object.o[7]", "berth-test/test")
	// The apply says the outcome of o7's create is unknown, and that the
	// intent journal keeps it for the next run.
	mustContain(t, "unsettled intent", r.stderr+r.stdout, "Outcome of some changes unknown", "create of test_object.o[7]")
	// With one call at a time, only the crashing call was in flight: every
	// object the provider reported is recorded. The test provider stores
	// an object before it panics, so o7 exists without ever having been
	// reported: only the journal knows of it.
	ids := e.stateIDs()
	var leaked []string
	for id, o := range e.store().Objects {
		if _, ok := ids[id]; !ok {
			leaked = append(leaked, o.Name+"/"+o.Status)
		}
	}
	if len(leaked) != 1 || leaked[0] != "o7/creating" {
		t.Fatalf("objects in the store but not in the state: %v, want only the crashed o7", leaked)
	}
	for id := range ids {
		if e.store().Objects[id] == nil {
			t.Errorf("the state records %s, which does not exist", id)
		}
	}
	// The rerun finds o7 by its idempotency key and records it: all 20
	// managed, none made twice.
	r = e.ok("apply", "-auto-approve")
	mustContain(t, "rerun", r.stdout, "Recovered from an interrupted apply", "test_object.o[7]: created")
	if n := len(e.store().Objects); n != 20 || len(e.stateIDs()) != 20 {
		t.Errorf("after the rerun: %d objects in the store, %d in the state; want 20 and 20", n, len(e.stateIDs()))
	}
	e.expect(0, "plan", "-detailed-exitcode")
}

func TestE2EProviderKilled(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "o" {
  count = 20
  name  = "o${count.index}"
}
`)
	b := e.start("apply", "-auto-approve", "-parallelism=2", "-var", "delay_ms=200")
	killed := false
	for l := range b.lines {
		if !killed && strings.Contains(l, "Creation complete") {
			pids, err := exec.Command("pgrep", "-f", filepath.Join(e.root, "plugins")).Output()
			if err != nil {
				t.Fatalf("pgrep: %v", err)
			}
			for _, p := range strings.Fields(string(pids)) {
				var pid int
				fmt.Sscan(p, &pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
				killed = true
			}
		}
	}
	if code := b.wait(); !killed || code != 1 {
		t.Fatalf("killed=%v, apply: exit %d\n%s\n%s", killed, code, &b.out, &b.errb)
	}
	mustContain(t, "killed provider", b.errb.String(), "test_object.o[", "berth-test/test")
	// Every object the provider reported is recorded, and nothing else.
	// An object whose call was cut short by the kill may exist without
	// having been reported (the test provider writes its store before it
	// answers): no one can record it.
	ids := e.stateIDs()
	store := e.store()
	leaked := 0
	for id := range store.Objects {
		if _, ok := ids[id]; !ok {
			leaked++
		}
	}
	if leaked > 2 { // -parallelism=2: at most two calls were in flight
		t.Errorf("%d objects exist that the state does not record; at most the 2 calls in flight may be unreported", leaked)
	}
	for id, addr := range ids {
		if store.Objects[id] == nil {
			t.Errorf("the state records %s as %s, which does not exist", addr, id)
		}
	}
	// A rerun recovers what the calls cut short made (the intent journal
	// knows them) and converges: 20 objects, none made twice.
	e.ok("apply", "-auto-approve")
	if got := len(e.stateIDs()); got != 20 || len(e.store().Objects) != 20 {
		t.Errorf("after the rerun: %d objects in the state, %d in the store (%d leaked by the kill); want 20 and 20", got, len(e.store().Objects), leaked)
	}
	e.checkStateRecordsExisting()
	e.expect(0, "plan", "-detailed-exitcode")
}

// checkStateRecordsExisting checks every object in the state exists.
func (e *e2e) checkStateRecordsExisting() {
	e.t.Helper()
	store := e.store()
	for id, addr := range e.stateIDs() {
		if store.Objects[id] == nil {
			e.t.Errorf("the state records %s as %s, which does not exist", addr, id)
		}
	}
}

func TestE2ECorruptState(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
`)
	e.ok("apply", "-auto-approve")
	e.write(`
resource "test_object" "a" {
  name  = "a"
  value = "two"
}
`)
	e.ok("apply", "-auto-approve") // keeps the first state as the backup
	statePath := filepath.Join(e.dir, "berth.state")
	good, _ := os.ReadFile(statePath)
	backup, err := os.ReadFile(statePath + ".backup")
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"corrupted": bytes.Replace(good, []byte(`"resources"`), []byte(`"resources" ]]} garbage`), 1),
		"truncated": good[:len(good)/2],
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(statePath, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"plan"}, {"apply", "-auto-approve"}, {"destroy", "-auto-approve"}} {
				r := e.expect(1, args...)
				mustContain(t, strings.Join(args, " "), r.stderr, "the state file", "cannot be used", "berth.state.backup")
			}
			if now, _ := os.ReadFile(statePath + ".backup"); !bytes.Equal(now, backup) {
				t.Error("the backup changed")
			}
			if now, _ := os.ReadFile(statePath); !bytes.Equal(now, bad) {
				t.Error("the bad state file was changed")
			}
		})
	}
}

// TestE2ELostState is the audit's case: berth.state deleted by mistake
// after two applies, then apply. The backup, the only copy of the old
// lineage, stays byte for byte through that apply (which persists after
// each of its objects) and the next; each says that it exists and how to
// restore it, and the new lineage is backed up beside it. A temporary
// file a killed berth left is removed by the next run.
func TestE2ELostState(t *testing.T) {
	config := func(value string) string {
		return fmt.Sprintf(`
resource "test_object" "o" {
  count = 3
  name  = "o${count.index}"
  value = %q
}
`, value)
	}
	e := newE2E(t, config("one"))
	e.ok("apply", "-auto-approve")
	e.write(config("two"))
	e.ok("apply", "-auto-approve")
	statePath := filepath.Join(e.dir, "berth.state")
	backupPath := statePath + ".backup"
	oldBackup, err := os.ReadFile(backupPath)
	if err != nil {
		t.Fatal(err)
	}
	oldLineage := e.state().Lineage
	if err := os.Remove(statePath); err != nil {
		t.Fatal(err)
	}
	// What a berth killed while persisting leaves, and what is not its own.
	stale := filepath.Join(e.dir, ".berth.state.tmp-1234567")
	notOurs := filepath.Join(e.dir, ".berth.state.tmp-1234567.bak")
	for _, p := range []string{stale, notOurs} {
		if err := os.WriteFile(p, []byte(`{"format_version": 1, "ser`), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}

	// One object at a time, slowly: the state is persisted after each.
	r := e.ok("apply", "-auto-approve", "-parallelism=1", "-var", "delay_ms=150")
	mustContain(t, "apply without a state", r.stdout+r.stderr,
		"A backup exists, but no state", oldLineage, "cp berth.state.backup berth.state")
	if now, _ := os.ReadFile(backupPath); !bytes.Equal(now, oldBackup) {
		t.Fatalf("the backup of the lost state changed during the apply:\n%s", now)
	}
	newState := e.state()
	if newState.Lineage == oldLineage || newState.Serial < 3 {
		t.Fatalf("the new state: lineage %s, serial %d; want a new lineage persisted at least 3 times", newState.Lineage, newState.Serial)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the killed berth's temporary file is still there: %v", err)
	}
	if _, err := os.Stat(notOurs); err != nil {
		t.Errorf("a file that is not berth's was removed: %v", err)
	}

	// The next apply backs up the new lineage beside the old backup.
	before, _ := os.ReadFile(statePath)
	e.write(config("three"))
	r = e.ok("apply", "-auto-approve", "-parallelism=1", "-var", "delay_ms=50")
	beside := backupPath + "." + newState.Lineage[:8]
	mustContain(t, "apply of the new lineage", r.stdout+r.stderr,
		"The state's backup belongs to another state", oldLineage, filepath.Base(beside))
	if now, _ := os.ReadFile(backupPath); !bytes.Equal(now, oldBackup) {
		t.Fatal("the backup of the lost state changed during the next apply")
	}
	if now, _ := os.ReadFile(beside); !bytes.Equal(now, before) {
		t.Errorf("%s is not the state before the apply", beside)
	}

	// Restored as the warning says, the old state is the one berth uses.
	if err := os.Rename(statePath, statePath+".new"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(statePath, oldBackup, 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.ok("plan")
	if strings.Contains(r.stdout+r.stderr, "backup") || e.state().Lineage != oldLineage {
		t.Errorf("plan after the restore:\n%s", r)
	}
}

// idPattern matches the test provider's ids (objects o-1, fleets f-1,
// fleet instances i-1), which depend on the order of concurrent creates.
var idPattern = regexp.MustCompile(`\b([ofi])-\d+\b`)

// TestE2EPlanGolden checks the rendered plan of a small fixed
// configuration, through the binary: create, then update and replace.
func TestE2EPlanGolden(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "web" {
  name   = "web"
  value  = "v1"
  secret = "s"
  size   = 3
}

resource "test_object" "db" {
  name  = "db"
  value = test_object.web.id
}

output "db_id" {
  value = test_object.db.id
}

resource "test_fleet" "api" {
  name     = "api"
  version  = "v1"
  replicas = 5
}
`)
	checkE2EGolden(t, "plan_create", e.ok("plan").stdout)
	e.ok("apply", "-auto-approve")
	e.write(`
resource "test_object" "web" {
  name   = "web"
  value  = "v2"
  secret = "t"
  size   = 5
}

resource "test_object" "db" {
  name  = "db2"
  value = test_object.web.id
}

output "db_id" {
  value = test_object.db.id
}

resource "test_fleet" "api" {
  name     = "api"
  version  = "v2"
  replicas = 5
}
`)
	checkE2EGolden(t, "plan_update_replace", e.ok("plan").stdout)
}

// checkE2EGolden compares a command's output, object ids normalised, with its
// golden file.
func checkE2EGolden(t *testing.T, name, got string) {
	t.Helper()
	got = idPattern.ReplaceAllString(got, "$1-N")
	golden.Check(t, filepath.Join("testdata", "e2e", name+".golden"), []byte(got))
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], "\n")
}

func TestE2EImportAndPlanFlags(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}

resource "test_object" "b" {
  name = "b"
}
`)
	// An object made outside berth, adopted by import.
	v := "one"
	if err := testprovider.WriteStore(e.storePath(), &testprovider.Store{NextID: 5, Objects: map[string]*testprovider.Object{
		"o-5": {ID: "o-5", Name: "a", Value: &v, Status: "ready"},
	}}); err != nil {
		t.Fatal(err)
	}
	r := e.ok("import", "test_object.a", "o-5")
	mustContain(t, "import", r.stdout, "Import successful!")
	if ids := e.stateIDs(); ids["o-5"] != "test_object.a" {
		t.Fatalf("state after import: %v", ids)
	}
	r = e.expect(1, "import", "test_object.a", "o-5")
	mustContain(t, "import again", r.stderr, "already managed")

	// -target plans only b; -destroy plans to destroy a; -refresh=false
	// does not see drift.
	r = e.expect(2, "plan", "-detailed-exitcode", "-target=test_object.b")
	mustContain(t, "plan -target", r.stdout, "Plan: 1 to add, 0 to change, 0 to destroy.")
	e.ok("apply", "-auto-approve")
	r = e.expect(2, "plan", "-detailed-exitcode", "-destroy")
	mustContain(t, "plan -destroy", r.stdout, "Plan: 0 to add, 0 to change, 2 to destroy.")
	s := e.store()
	edited := "edited"
	s.Objects["o-5"].Value = &edited
	if err := testprovider.WriteStore(e.storePath(), s); err != nil {
		t.Fatal(err)
	}
	e.expect(0, "plan", "-detailed-exitcode", "-refresh=false")
	e.expect(2, "plan", "-detailed-exitcode")
	r = e.expect(2, "plan", "-detailed-exitcode", "-refresh-only")
	mustContain(t, "plan -refresh-only", r.stdout, "This is a refresh-only plan")
	r = e.expect(1, "apply", "-refresh-only")
	mustContain(t, "apply -refresh-only without an answer", r.stderr, "-auto-approve")
	e.ok("apply", "-refresh-only", "-auto-approve")
	e.expect(0, "drift")
}

// A locked version that the configuration's constraint no longer allows
// is refused before the provider is launched, as in Terraform.
func TestE2ELockedVersionOutsideConstraint(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	main := filepath.Join(e.dir, "main.berth.hcl")
	src, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), `version = "1.0.0"`, `version = "~> 2.0"`, 1)
	if err := os.WriteFile(main, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.expect(1, "plan")
	mustContain(t, "plan", r.stderr, "locked version 1.0.0", "does not meet", "berth init -upgrade")
}

// timestampPattern and elapsedPattern match what changes from run to run
// in a -json stream.
var (
	timestampPattern = regexp.MustCompile(`"@timestamp":"[^"]*"`)
	elapsedPattern   = regexp.MustCompile(`"elapsed_seconds":[0-9.e+-]+`)
	elapsedText      = regexp.MustCompile(`after \d+s`)
)

// TestE2ERolloutJSONStream pins the -json stream of a rollout: the core's
// wave messages and the provider's events of each wave carry the same
// 1-based wave number, and the waves' members by name and host
// (docs/json-output.md).
func TestE2ERolloutJSONStream(t *testing.T) {
	config := func(version string) string {
		return `
resource "test_fleet" "web" {
  name     = "web"
  version  = "` + version + `"
  replicas = 3
}
`
	}
	e := newE2E(t, config("v1"))
	e.ok("apply", "-auto-approve")
	e.write(config("v2"))
	out := e.ok("apply", "-auto-approve", "-json").stdout
	out = timestampPattern.ReplaceAllString(out, `"@timestamp":"T"`)
	out = elapsedPattern.ReplaceAllString(out, `"elapsed_seconds":0`)
	out = elapsedText.ReplaceAllString(out, "after Ns")
	out = regexp.MustCompile(`"@message":"berth [^"]*"`).ReplaceAllString(out, `"@message":"berth X"`)
	out = regexp.MustCompile(`"berth":"[^"]*"`).ReplaceAllString(out, `"berth":"X"`)
	checkE2EGolden(t, "apply_rollout_json", out)
}

// A saved plan is not applied while an interrupted apply's intents wait
// in the journal (it could create again what they made); the next plan
// resolves them and tells what it found.
func TestE2ESavedPlanWaitsForRecovery(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "o" {
  count = 2
  name  = "o${count.index}"
}
`)
	e.ok("plan", "-out=p.plan")
	addr, err := addrs.ParseInstance("test_object.o[1]")
	if err != nil {
		t.Fatal(err)
	}
	line, err := statefile.EncodeIntent(state.Intent{Key: state.NewIntentKey(), Action: state.IntentCreate, Addr: addr,
		Provider: "test", TypeName: "object", Planned: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("o1")}), Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	journal := e.statePath() + ".journal"
	if err := os.WriteFile(journal, line, 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.expect(1, "apply", "p.plan")
	mustContain(t, "apply of the saved plan", r.stderr, "An interrupted apply must be recovered first", "create of test_object.o[1]")
	if n := len(e.store().Objects); n != 0 {
		t.Fatalf("the refused apply created %d objects", n)
	}
	r = e.ok("plan")
	mustContain(t, "plan", r.stdout, "Recovered from an interrupted apply", "test_object.o[1]: the create made nothing", "2 to add")
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Errorf("the journal is still there after the recovery: %v", err)
	}
}

// writeJournal writes intents as the journal beside the state, as a
// killed apply leaves it.
func (e *e2e) writeJournal(intents ...state.Intent) {
	e.t.Helper()
	var data []byte
	for _, in := range intents {
		line, err := statefile.EncodeIntent(in)
		if err != nil {
			e.t.Fatal(err)
		}
		data = append(data, line...)
	}
	if err := os.WriteFile(e.statePath()+".journal", data, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// The recovery's other outcomes: a destroy that finished, one that did
// not, and a create whose provider cannot look objects up by key.
func TestE2ERecoveryOutcomes(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "o" {
  count = 3
  name  = "o${count.index}"
}
`)
	e.ok("apply", "-auto-approve")
	st := e.state()
	addr := func(i int) addrs.Instance {
		a, err := addrs.ParseInstance(fmt.Sprintf("test_object.o[%d]", i))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// o[0]'s destroy finished (gone from the store), o[1]'s did not.
	gone, _ := st.Instance(addr(0)).Value.UnmarkDeep()
	store := e.store()
	delete(store.Objects, gone.GetAttr("id").AsString())
	if err := testprovider.WriteStore(e.storePath(), store); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	e.writeJournal(
		state.Intent{Key: state.NewIntentKey(), Action: state.IntentDelete, Addr: addr(0), Provider: "test", TypeName: "object", Time: now},
		state.Intent{Key: state.NewIntentKey(), Action: state.IntentDelete, Addr: addr(1), Provider: "test", TypeName: "object", Time: now},
		state.Intent{Key: state.NewIntentKey(), Action: state.IntentCreate, Addr: addr(5), Provider: "test", TypeName: "object",
			Planned: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("o5")}), Time: now},
	)
	t.Setenv(testprovider.EnvNoLookup, "1") // berth's child, the plugin, inherits it
	r := e.ok("plan", "-json")
	var doc struct {
		Recovered []struct{ Address, Action, Outcome, ID string } `json:"recovered"`
	}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if strings.Contains(l, `"resource_changes"`) {
			if err := json.Unmarshal([]byte(l), &doc); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := fmt.Sprint(doc.Recovered)
	want := fmt.Sprintf("[{test_object.o[0] delete destroyed %s} {test_object.o[1] delete still_exists %s} {test_object.o[5] create possible_orphan }]",
		gone.GetAttr("id").AsString(), idOf(t, st, addr(1)))
	if got != want {
		t.Errorf("recovered = %s\nwant        %s\n%s", got, want, r.stdout)
	}
	// The state was written: o[0] forgotten, so the plan re-creates it.
	if e.state().Instance(addr(0)) != nil || e.state().Instance(addr(1)) == nil {
		t.Error("the recovery did not record what it found")
	}
	r = e.ok("plan", "-no-color")
	if strings.Contains(r.stdout, "Recovered") {
		t.Errorf("a second plan recovers again:\n%s", r.stdout)
	}
	mustContain(t, "plan after the recovery", r.stdout, "1 to add, 0 to change, 0 to destroy")
}

func idOf(t *testing.T, st *state.State, a addrs.Instance) string {
	t.Helper()
	v, _ := st.Instance(a).Value.UnmarkDeep()
	return v.GetAttr("id").AsString()
}

func TestE2EStateLockShow(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "o" {
  count = 2
  name  = "o${count.index}"
}
`)
	r := e.ok("state", "lock", "show")
	mustContain(t, "unlocked", r.stdout, "berth.state is not locked.")
	b := e.start("apply", "-auto-approve", "-var", "delay_ms=3000")
	for l := range b.lines {
		if strings.Contains(l, "Creating...") {
			break
		}
	}
	r = e.ok("state", "lock", "show")
	mustContain(t, "locked", r.stdout, "is locked by", fmt.Sprintf("(pid %d on ", b.cmd.Process.Pid), "for apply", "Lock ID: ")
	// Asking did not take or break the lock: the apply finishes.
	if code := b.wait(); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, &b.errb)
	}
	if r := e.expect(1, "state", "lock", "list"); !strings.Contains(r.stderr, "one subcommand: show") {
		t.Errorf("state lock list: %s", r)
	}
}
