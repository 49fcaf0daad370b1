package core

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/plugin"
	"github.com/berth-sh/berth/providers/testprovider"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statemgr"
)

// fixture is a working directory with a configuration for the test
// provider (a real plugin process) and a local state.
type fixture struct {
	t   *testing.T
	dir string
}

const testProviderHeader = `
berth {
  required_providers {
    test = { source = "berth-test/test" }
  }
}
variable "delay_ms" {
  type    = number
  default = 0
}
provider "test" {
  store    = "${path.module}/store.json"
  delay_ms = var.delay_ms
}
`

func newFixture(t *testing.T, config string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir}
	f.write(config)
	return f
}

func (f *fixture) write(config string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, "main.berth.hcl"), []byte(testProviderHeader+config), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) operation() *Operation {
	f.t.Helper()
	return testOperation(f.t, f.dir, nil)
}

// testOperation is an Operation on the configuration in dir, with the
// test provider (a real plugin process) and the local state there.
func testOperation(tb testing.TB, dir string, vars []lang.VarArg) *Operation {
	tb.Helper()
	cfg, diags := lang.LoadDir(dir)
	if diags.HasErrors() {
		tb.Fatalf("load: %v", diags)
	}
	if d := lang.Validate(cfg); d.HasErrors() {
		tb.Fatalf("validate: %v", d)
	}
	values, diags := lang.CollectVariables(cfg, dir, vars, nil)
	if diags.HasErrors() {
		tb.Fatalf("variables: %v", diags)
	}
	path := testprovider.Build(tb)
	launcher := LauncherFunc(func(ctx context.Context, name, source string) (providers.Interface, error) {
		return plugin.Launch(ctx, plugin.Spec{Name: source, Path: path})
	})
	return &Operation{
		Engine: &Engine{Config: cfg, Variables: values, Launcher: launcher},
		State:  statemgr.New(local.New(filepath.Join(dir, "berth.state"))),
	}
}

func (f *fixture) plan(opts PlanOptions) *plans.Plan {
	f.t.Helper()
	opts.Refresh = true
	p, _, diags := f.operation().Plan(context.Background(), opts)
	if diags.HasErrors() {
		f.t.Fatalf("plan: %v", diags)
	}
	return p
}

func (f *fixture) apply(p *plans.Plan) *state.State {
	f.t.Helper()
	st, diags := f.operation().Apply(context.Background(), p, ApplyOptions{})
	if diags.HasErrors() {
		f.t.Fatalf("apply: %v", diags)
	}
	return st
}

func actions(p *plans.Plan) map[string]plans.Action {
	m := map[string]plans.Action{}
	for _, c := range p.Changes {
		m[c.Addr.String()] = c.Action
	}
	return m
}

// store reads the objects in the test provider's backing store.
func (f *fixture) store() map[string]any {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "store.json"))
	if err != nil {
		f.t.Fatal(err)
	}
	var m struct {
		Objects map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		f.t.Fatal(err)
	}
	return m.Objects
}

func TestCreateNoOpUpdateReplaceDestroy(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
resource "test_object" "b" {
  count = 2
  name  = "b${count.index}"
  value = test_object.a.id
}
output "a_id" {
  value = test_object.a.id
}
`)
	p := f.plan(PlanOptions{})
	want := map[string]plans.Action{"test_object.a": plans.Create, "test_object.b[0]": plans.Create, "test_object.b[1]": plans.Create}
	if got := actions(p); !equalActions(got, want) {
		t.Fatalf("first plan: got %v, want %v", got, want)
	}
	st := f.apply(p)
	a := st.Instance(mustInstance(t, "test_object.a"))
	b0 := st.Instance(mustInstance(t, "test_object.b[0]"))
	if a == nil || b0 == nil {
		t.Fatalf("state misses objects: %v", st.SortedResources())
	}
	if id := a.Value.GetAttr("id"); id.IsNull() || b0.Value.GetAttr("value").AsString() != id.AsString() {
		t.Fatalf("b[0].value = %#v, want a's id %#v", b0.Value.GetAttr("value"), id)
	}
	if out := st.Outputs["a_id"]; out == nil || !out.Value.RawEquals(a.Value.GetAttr("id")) {
		t.Fatalf("output a_id = %#v", out)
	}

	// Nothing changed: every action is a no-op.
	if p := f.plan(PlanOptions{}); p.HasChanges() {
		t.Fatalf("second plan has changes: %v", actions(p))
	}

	// An attribute change is an update; a name change forces replacement.
	f.write(`
resource "test_object" "a" {
  name  = "a"
  value = "two"
}
resource "test_object" "b" {
  count = 2
  name  = "c${count.index}"
  value = test_object.a.id
}
`)
	p = f.plan(PlanOptions{})
	got := actions(p)
	if got["test_object.a"] != plans.Update || got["test_object.b[0]"] != plans.DeleteThenCreate {
		t.Fatalf("third plan: %v", got)
	}
	for _, c := range p.Changes {
		if c.Addr.String() == "test_object.b[0]" && (len(c.RequiresReplace) == 0 || plans.FormatPath(c.RequiresReplace[0]) != "name") {
			t.Fatalf("b[0] replacement not forced by name: %v", c.RequiresReplace)
		}
	}
	var outputRemoved bool
	for _, o := range p.Outputs {
		outputRemoved = outputRemoved || o.Name == "a_id"
	}
	if outputRemoved {
		t.Fatalf("the removed output is still planned")
	}
	f.apply(p)
	objs := f.store()
	if len(objs) != 3 {
		t.Fatalf("store has %d objects after replace, want 3: %v", len(objs), objs)
	}

	// Destroy removes everything, dependents first.
	p = f.plan(PlanOptions{Mode: plans.DestroyMode})
	for _, c := range p.Changes {
		if c.Action != plans.Delete {
			t.Fatalf("destroy plan has %s for %s", c.Action, c.Addr)
		}
	}
	st = f.apply(p)
	if !st.Empty() || len(f.store()) != 0 {
		t.Fatalf("after destroy: state %v, store %v", st.SortedResources(), f.store())
	}
}

func TestDriftAndStalePlan(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
`)
	f.apply(f.plan(PlanOptions{}))
	stale := f.plan(PlanOptions{}) // made against the current serial

	// Change the object behind berth's back.
	path := filepath.Join(f.dir, "store.json")
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), `"one"`, `"changed"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := f.plan(PlanOptions{Mode: plans.RefreshOnlyMode})
	if len(p.Drift) != 1 || p.Drift[0].Addr.String() != "test_object.a" {
		t.Fatalf("drift = %v", p.Drift)
	}
	if v := p.Drift[0].After.GetAttr("value"); v.AsString() != "changed" {
		t.Fatalf("live value = %#v", v)
	}
	// A normal plan shows the drift and plans to repair it.
	p = f.plan(PlanOptions{})
	if len(p.Drift) != 1 || actions(p)["test_object.a"] != plans.Update {
		t.Fatalf("repair plan: drift %d, actions %v", len(p.Drift), actions(p))
	}
	f.apply(p)

	_, diags := f.operation().Apply(context.Background(), stale, ApplyOptions{})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "state changed since this plan was made") {
		t.Fatalf("stale plan applied: %v", diags)
	}
}

func equalActions(a, b map[string]plans.Action) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustInstance(t *testing.T, s string) addrs.Instance {
	t.Helper()
	a, err := addrs.ParseInstance(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestImport(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
`)
	st := f.apply(f.plan(PlanOptions{}))
	addr := mustInstance(t, "test_object.a")
	id := st.Instance(addr).Value.GetAttr("id").AsString()

	// Forget the object, then import it back by its ID.
	st.RemoveInstance(addr)
	if err := statemgr.New(local.New(filepath.Join(f.dir, "berth.state"))).Write(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if _, diags := f.operation().Import(context.Background(), addr, "o-missing"); !diags.HasErrors() {
		t.Fatalf("importing a missing object succeeded")
	}
	if _, diags := f.operation().Import(context.Background(), addr, ""); !diags.HasErrors() || !strings.Contains(diags.Error(), "Invalid import ID") {
		t.Fatalf("importing an empty id: %v", diags)
	}
	st, diags := f.operation().Import(context.Background(), addr, id)
	if diags.HasErrors() {
		t.Fatalf("import: %v", diags)
	}
	if st.Instance(addr) == nil {
		t.Fatalf("imported object not in state")
	}
	if p := f.plan(PlanOptions{}); p.HasChanges() {
		t.Fatalf("plan after import has changes: %v", actions(p))
	}
	if _, diags := f.operation().Import(context.Background(), addr, id); !diags.HasErrors() || !strings.Contains(diags.Error(), "already in the state") {
		t.Fatalf("second import: %v", diags)
	}
	// An instance key the configuration does not have is refused.
	if _, diags := f.operation().Import(context.Background(), mustInstance(t, "test_object.a[3]"), id); !diags.HasErrors() || !strings.Contains(diags.Error(), "not an instance of test_object.a") {
		t.Fatalf("import to test_object.a[3]: %v", diags)
	}
}

func TestDataSourceOutput(t *testing.T) {
	f := newFixture(t, `
data "test_echo" "e" {
  input = "hello"
}
output "echoed" {
  value = data.test_echo.e.output
}
`)
	p := f.plan(PlanOptions{})
	if p.Summarize().Read != 0 {
		t.Fatalf("a data source known at plan time is planned as a read at apply: %v", actions(p))
	}
	st := f.apply(p)
	if o := st.Outputs["echoed"]; o == nil || o.Value.AsString() != "hello" {
		t.Fatalf("output from a data source not recorded: %#v", st.Outputs)
	}
	if st.Instance(mustInstance(t, "data.test_echo.e")) == nil {
		t.Fatalf("data source not recorded in state")
	}
	if p := f.plan(PlanOptions{}); p.HasChanges() {
		t.Fatalf("plan after apply has changes")
	}
}

func TestHoldKeepsTheLockAcrossPlanAndApply(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	op := f.operation()
	release, diags := op.Hold(context.Background(), "apply")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, _, diags := op.Plan(context.Background(), PlanOptions{Refresh: true})
	if diags.HasErrors() {
		t.Fatalf("plan under the held lock: %v", diags)
	}
	// Meanwhile another run cannot take the state.
	if _, _, d := f.operation().Plan(context.Background(), PlanOptions{Refresh: true}); !d.HasErrors() || !strings.Contains(d.Error(), "lock") {
		t.Fatalf("a second operation planned while the lock was held: %v", d)
	}
	if _, diags := op.Apply(context.Background(), p, ApplyOptions{}); diags.HasErrors() {
		t.Fatalf("apply under the held lock: %v", diags)
	}
	release()
	if _, _, d := f.operation().Plan(context.Background(), PlanOptions{Refresh: true}); d.HasErrors() {
		t.Fatalf("the lock was not released: %v", d)
	}
}

func TestSensitiveAttributesStayMarked(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "s" {
  name   = "s"
  secret = "literal-secret"
}
`)
	f.apply(f.plan(PlanOptions{}))
	// Refreshed, then planned again: the schema's sensitive attribute is
	// still marked, though the provider returns it unmarked.
	p := f.plan(PlanOptions{})
	if len(p.Changes) != 1 {
		t.Fatalf("%d changes planned, want the no-op of test_object.s", len(p.Changes))
	}
	for _, c := range p.Changes {
		if sec := c.Before.GetAttr("secret"); !sec.HasMark(providers.SensitiveMark) {
			t.Fatalf("refreshed secret lost its mark: %#v", sec)
		}
		if sec := c.After.GetAttr("secret"); !sec.HasMark(providers.SensitiveMark) {
			t.Fatalf("planned secret lost its mark: %#v", sec)
		}
	}

	// An output of it must be declared sensitive.
	f.write(`
resource "test_object" "s" {
  name   = "s"
  secret = "literal-secret"
}
output "leak" {
  value = test_object.s.secret
}
`)
	_, _, diags := f.operation().Plan(context.Background(), PlanOptions{Refresh: true})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Output refers to sensitive values") {
		t.Fatalf("an output leaking a sensitive attribute was planned: %v", diags)
	}
}

func TestInterruptedCreateIsTainted(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "slow" {
  name = "slow"
}
`)
	if err := os.WriteFile(filepath.Join(f.dir, "slow.auto.vars.hcl"), []byte("delay_ms = 3000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := f.plan(PlanOptions{})
	// Stop as soon as the provider reports it stored the object, while it
	// still works on it.
	stop := make(chan struct{})
	var once sync.Once
	op := f.operation()
	op.Engine.Events = func(ev Event) {
		if ev.Type == EventProvider && strings.HasPrefix(ev.Message, "stored") {
			once.Do(func() { close(stop) })
		}
	}
	st, diags := op.Apply(context.Background(), p, ApplyOptions{Stop: stop})
	if !diags.HasErrors() {
		t.Fatalf("an interrupted apply reported success")
	}
	obj := st.Instance(mustInstance(t, "test_object.slow"))
	if obj == nil || obj.Status != state.ObjectTainted {
		t.Fatalf("the half-created object is not recorded tainted: %#v", obj)
	}
	if err := os.Remove(filepath.Join(f.dir, "slow.auto.vars.hcl")); err != nil {
		t.Fatal(err)
	}
	p = f.plan(PlanOptions{})
	if got := actions(p)["test_object.slow"]; got != plans.DeleteThenCreate {
		t.Fatalf("a tainted object is planned %q, want a replacement", got)
	}
	for _, c := range p.Changes {
		if c.Addr.String() == "test_object.slow" && c.Reason != plans.ReasonTainted {
			t.Fatalf("the replacement's reason is %q, want tainted", c.Reason)
		}
	}
}

// A provider's errors that echo a secret of its configuration or of an
// object's (an unreadable path built from a sensitive variable) are
// reported with the secret redacted.
func TestProviderMessagesDoNotEchoSecrets(t *testing.T) {
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir}
	src := `
berth {
  required_providers {
    test = { source = "berth-test/test" }
  }
}
variable "pw" {
  type      = string
  sensitive = true
  default   = "PCFGSECRET71"
}
provider "test" {
  store = "/nonexistent-dir/${var.pw}/store.json"
}
resource "test_object" "a" {
  name = "a"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.berth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _, diags := f.operation().Plan(context.Background(), PlanOptions{Refresh: true})
	if !diags.HasErrors() {
		_, diags = f.operation().Apply(context.Background(), p, ApplyOptions{})
	}
	if !diags.HasErrors() {
		t.Fatalf("a store in a directory that does not exist worked")
	}
	if strings.Contains(diags.Error(), "PCFGSECRET71") {
		t.Fatalf("the provider's error shows the secret: %v", diags)
	}
	if !strings.Contains(diags.Error(), "(sensitive value)") {
		t.Fatalf("the error lost its meaning, or never mentioned the path: %v", diags)
	}
}

func mustInstances(t *testing.T, ss ...string) []addrs.Instance {
	t.Helper()
	out := make([]addrs.Instance, len(ss))
	for i, s := range ss {
		out[i] = mustInstance(t, s)
	}
	return out
}

func TestProviderAttributeDiagnosticsPointAtTheAttribute(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name = "a"
  size = -1
}
`)
	_, _, diags := f.operation().Plan(context.Background(), PlanOptions{Refresh: true})
	if !diags.HasErrors() {
		t.Fatalf("a negative size was planned")
	}
	d := diags[0]
	if d.Subject == nil || !strings.HasSuffix(d.Subject.Filename, "main.berth.hcl") {
		t.Fatalf("diagnostic has no place in the configuration: %v", d)
	}
	src, _ := os.ReadFile(filepath.Join(f.dir, "main.berth.hcl"))
	lines := strings.Split(string(src), "\n")
	if got := strings.TrimSpace(lines[d.Subject.Start.Line-1]); got != "size = -1" {
		t.Fatalf("diagnostic points at %q (line %d), not at the size attribute", got, d.Subject.Start.Line)
	}
}

// A -target or -replace address that names nothing is refused, with the
// address it was probably meant to be, rather than planning nothing.
func TestPlanOptionAddressTypos(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "web" {
  name = "web"
}
data "test_echo" "e" {
  input = "x"
}
`)
	f.apply(f.plan(PlanOptions{}))
	for _, c := range []struct {
		opts PlanOptions
		want string
	}{
		{PlanOptions{Targets: mustInstances(t, "test_object.wbe")}, "Invalid -target address; test_object.wbe is not declared in the configuration and has no object in the state. Did you mean test_object.web?"},
		{PlanOptions{Replace: mustInstances(t, "test_object.webb")}, "Invalid -replace address; test_object.webb has no object in the state: there is nothing to replace. Did you mean test_object.web?"},
		{PlanOptions{Replace: mustInstances(t, "test_object.web[0]")}, "Invalid -replace address; test_object.web[0] has an index, but test_object.web has no count or for_each. Did you mean test_object.web?"},
		{PlanOptions{Targets: mustInstances(t, "test_object.web[0]")}, "Invalid -target address; test_object.web[0] has an index, but test_object.web has no count or for_each. Did you mean test_object.web?"},
	} {
		_, _, diags := f.operation().Plan(context.Background(), c.opts)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) {
			t.Errorf("plan %+v: %v, want %q", c.opts, diags, c.want)
		}
	}
	// Existing addresses, including a data source, are accepted.
	for _, opts := range []PlanOptions{
		{Targets: mustInstances(t, "test_object.web", "data.test_echo.e")},
		{Replace: mustInstances(t, "test_object.web")},
	} {
		if _, _, diags := f.operation().Plan(context.Background(), opts); diags.HasErrors() {
			t.Errorf("plan %+v: %v", opts, diags)
		}
	}
}
