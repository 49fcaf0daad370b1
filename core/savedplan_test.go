package core

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers/testprovider"
	"github.com/berth-sh/berth/state"
)

// What a saved plan forbids and what binds it, decided in one place.
func TestOpenSavedPlan(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	p := f.plan(PlanOptions{})
	if d := BindPlan(f.dir, p); d.HasErrors() {
		t.Fatal(d)
	}
	path := filepath.Join(f.dir, "tfplan")
	if err := plans.WritePlanFile(context.Background(), path, p, nil); err != nil {
		t.Fatal(err)
	}
	if got, d := OpenSavedPlan(context.Background(), path, f.dir, nil, nil); d.HasErrors() || got.ConfigHash != p.ConfigHash {
		t.Fatalf("open of a plan of these files: %v", d)
	}
	tests := []struct {
		name     string
		path     string
		planning []string
		edit     bool
		want     string
	}{
		{name: "a planning option", path: path, planning: []string{"-target"}, want: "Options not allowed with a saved plan"},
		{name: "not a plan", path: filepath.Join(f.dir, "main.berth.hcl"), want: "Cannot read the saved plan"},
		{name: "edited configuration", path: path, edit: true, want: "Saved plan does not match the configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.edit {
				f.write(`
resource "test_object" "a" {
  name = "b"
}
`)
			}
			got, d := OpenSavedPlan(context.Background(), tt.path, f.dir, tt.planning, nil)
			if got != nil || !d.HasErrors() || !strings.Contains(d.Error(), tt.want) {
				t.Errorf("OpenSavedPlan = %v, %v; want %q", got, d, tt.want)
			}
		})
	}
}

// The state a plan is made against in TestEditedSavedPlan...
const editedPlanState = `
resource "test_object" "a" {
  name  = "a"
  value = "zero"
}
resource "test_object" "b" {
  name  = "b"
  value = "same"
}
resource "test_object" "d" {
  name = "d"
}
resource "test_object" "r" {
  name = "r1"
}
resource "test_object" "s" {
  name   = "s"
  secret = "hunter2"
}
output "a_value" {
  value = test_object.a.value
}
`

// ...and the configuration it is made from: a is updated, b is left
// alone, c is created, d destroyed, r replaced (its name forces it), s's
// secret updated, and output a_value changes.
const editedPlanConfig = `
variable "v" {
  type    = string
  default = "one"
}
resource "test_object" "a" {
  name  = "a"
  value = var.v
}
resource "test_object" "b" {
  name  = "b"
  value = "same"
}
resource "test_object" "c" {
  name = "c"
}
resource "test_object" "r" {
  name = "r2"
}
resource "test_object" "s" {
  name   = "s"
  secret = "hunter3"
}
output "a_value" {
  value = test_object.a.value
}
`

// What exists (the test provider's objects, as name=value/secret) before
// the plan is applied, and after it is applied as planned.
const (
	editedPlanBefore  = "a=zero b=same d= r1= s=/hunter2"
	editedPlanApplied = "a=one b=same c= r2= s=/hunter3"
)

// planEdit is one way of editing a saved plan file.
type planEdit struct {
	name string
	// edit changes the plan as read; the file is then written again, with
	// a checksum that matches (as someone editing it on purpose can).
	// Without that checksum, every such edit is refused as corruption.
	edit func(t *testing.T, p *plans.Plan)
	// raw edits the file's bytes instead.
	raw func(data []byte) []byte
	// refused is what the refusal says (it names the object); empty when
	// the edit is applied.
	refused string
	// applied is, for an edit that is applied, why that is harmless, and
	// outcome what exists then (editedPlanApplied when empty).
	applied, outcome string
	check            func(t *testing.T, st *state.State)
}

// TestEditedSavedPlan edits a saved plan in every way we could think of
// and applies it through the core API (OpenSavedPlan, SavedPlanVariables,
// Operation.Apply, as berth apply FILE does). Each edit is refused, naming
// the object, with nothing changed, or is applied with the outcome of the
// unedited plan because apply never uses what was edited: apply carries
// out the plan it makes again, and only when the saved one agrees with it.
func TestEditedSavedPlan(t *testing.T) {
	f := newFixture(t, editedPlanState)
	f.apply(f.plan(PlanOptions{}))
	f.write(editedPlanConfig)
	saved := f.plan(PlanOptions{})
	if got, want := fmt.Sprint(actions(saved)), "map[test_object.a:update test_object.b:no-op test_object.c:create test_object.d:delete test_object.r:delete-then-create test_object.s:update]"; got != want {
		t.Fatalf("plan %s, want %s", got, want)
	}
	if d := BindPlan(f.dir, saved); d.HasErrors() {
		t.Fatal(d)
	}
	base, err := plans.EncodePlan(saved)
	if err != nil {
		t.Fatal(err)
	}
	if got := objectsOf(t, f.dir); got != editedPlanBefore {
		t.Fatalf("objects before %q, want %q", got, editedPlanBefore)
	}

	c := func(p *plans.Plan, addr string) *plans.ResourceChange {
		for _, c := range p.Changes {
			if c.Addr.String() == addr && c.Deposed == "" {
				return c
			}
		}
		t.Fatalf("no change of %s", addr)
		return nil
	}
	action := func(addr string, a plans.Action) func(*testing.T, *plans.Plan) {
		return func(t *testing.T, p *plans.Plan) { c(p, addr).Action = a }
	}
	remove := func(addr string) func(*testing.T, *plans.Plan) {
		return func(t *testing.T, p *plans.Plan) {
			p.Changes = slices.DeleteFunc(p.Changes, func(ch *plans.ResourceChange) bool { return ch.Addr.String() == addr })
		}
	}
	output := func(p *plans.Plan) *plans.OutputChange {
		for _, o := range p.Outputs {
			if o.Name == "a_value" {
				return o
			}
		}
		t.Fatal("no output a_value")
		return nil
	}
	replaceInFile := func(old, new string) func([]byte) []byte {
		return func(data []byte) []byte {
			if !bytes.Contains(data, []byte(old)) {
				t.Fatalf("the plan file has no %s", old)
			}
			return bytes.Replace(data, []byte(old), []byte(new), 1)
		}
	}
	evil := cty.StringVal("evil")

	edits := []planEdit{
		{name: "none", applied: "the plan as made"},

		// The action of a change.
		{name: "update turned into delete", edit: action("test_object.a", plans.Delete),
			refused: `test_object.a: the plan file says "delete", but the configuration and the state require "update" now`},
		{name: "update turned into delete-then-create", edit: action("test_object.a", plans.DeleteThenCreate),
			refused: `test_object.a: the plan file says "delete-then-create", but the configuration and the state require "update" now`},
		{name: "update turned into create-then-delete", edit: action("test_object.a", plans.CreateThenDelete),
			refused: `test_object.a: the plan file says "create-then-delete", but the configuration and the state require "update" now`},
		{name: "update turned into create", edit: action("test_object.a", plans.Create),
			refused: `test_object.a: the plan file says "create", but the configuration and the state require "update" now`},
		{name: "update turned into read", edit: action("test_object.a", plans.Read),
			refused: `test_object.a: the plan file says "read", but the configuration and the state require "update" now`},
		{name: "update turned into no-op", edit: action("test_object.a", plans.NoOp),
			refused: `test_object.a: the configuration and the state call for "update", but the plan file has no change to it`},
		{name: "no-op turned into delete", edit: action("test_object.b", plans.Delete),
			refused: `test_object.b: the plan file says "delete", but the configuration and the state call for no change to it now`},
		{name: "no-op turned into update", edit: action("test_object.b", plans.Update),
			refused: `test_object.b: the plan file says "update", but the configuration and the state call for no change to it now`},
		{name: "create turned into no-op", edit: action("test_object.c", plans.NoOp),
			refused: `test_object.c: the configuration and the state call for "create", but the plan file has no change to it`},
		{name: "delete turned into no-op", edit: action("test_object.d", plans.NoOp),
			refused: `test_object.d: the configuration and the state call for "delete", but the plan file has no change to it`},
		{name: "delete turned into update", edit: action("test_object.d", plans.Update),
			refused: `test_object.d: the plan file says "update", but the configuration and the state require "delete" now`},
		{name: "replacement turned into update", edit: action("test_object.r", plans.Update),
			refused: `test_object.r: the plan file says "update", but the configuration and the state require "delete-then-create" now`},
		{name: "delete-then-create turned into create-then-delete", edit: action("test_object.r", plans.CreateThenDelete),
			refused: `test_object.r: the plan file says "create-then-delete", but the configuration and the state require "delete-then-create" now`},

		// Changes removed, added, moved.
		{name: "the create of c removed", edit: remove("test_object.c"),
			refused: `test_object.c: the configuration and the state call for "create", but the plan file has no change to it`},
		{name: "the delete of d removed", edit: remove("test_object.d"),
			refused: `test_object.d: the configuration and the state call for "delete", but the plan file has no change to it`},
		{name: "a delete of an object nobody declares added", edit: func(t *testing.T, p *plans.Plan) {
			d := *c(p, "test_object.d")
			d.Addr = mustInstance(t, "test_object.zz")
			p.Changes = append(p.Changes, &d)
		}, refused: `test_object.zz: the plan file says "delete", but the configuration and the state call for no change to it now`},
		{name: "a delete of a deposed object added", edit: func(t *testing.T, p *plans.Plan) {
			d := *c(p, "test_object.b")
			d.Action, d.Deposed, d.After = plans.Delete, "deadbeef", cty.NullVal(d.Before.Type())
			p.Changes = append(p.Changes, &d)
		}, refused: `test_object.b (deposed object deadbeef): the plan file says "delete", but the configuration and the state call for no change to it now`},
		{name: "a second change of a: a delete", edit: func(t *testing.T, p *plans.Plan) {
			d := *c(p, "test_object.a")
			d.Action = plans.Delete
			p.Changes = append(p.Changes, &d)
		}, refused: "Saved plan is corrupted or was edited; reading plan file"},
		{name: "a's update moved to b", edit: func(t *testing.T, p *plans.Plan) {
			p.Changes = slices.DeleteFunc(p.Changes, func(ch *plans.ResourceChange) bool { return ch.Addr.String() == "test_object.b" })
			c(p, "test_object.a").Addr = mustInstance(t, "test_object.b")
		}, refused: `test_object.b: the plan file says "update", but the configuration and the state call for no change to it now`},
		{name: "a's update moved to a[0]", edit: func(t *testing.T, p *plans.Plan) {
			c(p, "test_object.a").Addr = mustInstance(t, "test_object.a[0]")
		}, refused: `test_object.a[0]: the plan file says "update", but the configuration and the state call for no change to it now`},
		{name: "changes in reverse order", edit: func(t *testing.T, p *plans.Plan) { slices.Reverse(p.Changes) },
			applied: "apply matches changes by object, not by position"},

		// Planned values.
		{name: "a planned value edited", edit: func(t *testing.T, p *plans.Plan) {
			c(p, "test_object.a").After = withAttr(c(p, "test_object.a").After, "value", evil)
		}, refused: "test_object.a: the plan file plans value differently from what berth plans now"},
		{name: "the name of the created object edited", edit: func(t *testing.T, p *plans.Plan) {
			c(p, "test_object.c").After = withAttr(c(p, "test_object.c").After, "name", evil)
		}, refused: "test_object.c: the plan file plans name differently from what berth plans now"},
		{name: "a planned value made unknown", edit: func(t *testing.T, p *plans.Plan) {
			c(p, "test_object.a").After = withAttr(c(p, "test_object.a").After, "value", cty.UnknownVal(cty.String))
		}, applied: "an unknown value approves whatever is planned; what is applied is the configuration's value"},
		{name: "the digest of a secret edited", edit: func(t *testing.T, p *plans.Plan) {
			ch := c(p, "test_object.s")
			ch.AfterRedacted = slices.Clone(ch.AfterRedacted)
			ch.AfterRedacted[0].Digest = "hmac-sha256:" + strings.Repeat("0", 64)
		}, refused: "test_object.s: sensitive value at secret: a sensitive value changed since the plan was made"},
		{name: "the redaction key edited", edit: func(t *testing.T, p *plans.Plan) { p.RedactionKey = make([]byte, 32) },
			refused: "test_object.s: sensitive value at secret: a sensitive value changed since the plan was made"},
		{name: "the output's value edited", edit: func(t *testing.T, p *plans.Plan) { output(p).After = evil },
			refused: "output.a_value: the plan file plans its value differently from what berth plans now"},
		{name: "the output's change removed", edit: func(t *testing.T, p *plans.Plan) { p.Outputs = nil },
			refused: `output.a_value: the configuration and the state call for "update", but the plan file has no change to it`},

		// What the plan was made with.
		{name: "a variable edited", edit: func(t *testing.T, p *plans.Plan) { p.Variables["v"] = evil },
			refused: "test_object.a: the plan file plans value differently from what berth plans now"},
		{name: "a variable edited, with every value it feeds", edit: func(t *testing.T, p *plans.Plan) {
			p.Variables["v"] = evil
			c(p, "test_object.a").After = withAttr(c(p, "test_object.a").After, "value", evil)
			output(p).After = evil
		}, applied: "NOT harmless, but no worse than berth plan -var v=evil -out: a plan forged consistently, checksum included, cannot be told from one berth made",
			outcome: "a=evil b=same c= r2= s=/hunter3"},
		{name: "mode changed to destroy", edit: func(t *testing.T, p *plans.Plan) { p.Mode = plans.DestroyMode },
			refused: `test_object.b: the configuration and the state call for "delete", but the plan file has no change to it`},
		{name: "mode changed to destroy, with every change to match", edit: func(t *testing.T, p *plans.Plan) {
			p.Mode = plans.DestroyMode
			p.Changes = slices.DeleteFunc(p.Changes, func(ch *plans.ResourceChange) bool { return ch.Action == plans.Create })
			for _, ch := range p.Changes {
				ch.Action, ch.After, ch.AfterRedacted = plans.Delete, cty.NullVal(ch.Before.Type()), nil
			}
			output(p).Action = plans.Delete
		}, applied: "NOT harmless, but no worse than berth plan -destroy -out: a plan forged consistently, checksum included, cannot be told from one berth made",
			outcome: "(none)"},
		{name: "a target added", edit: func(t *testing.T, p *plans.Plan) { p.Targets = mustInstances(t, "test_object.c") },
			refused: `test_object.a: the plan file says "update", but the configuration and the state call for no change to it now`},
		{name: "a replacement added", edit: func(t *testing.T, p *plans.Plan) { p.Replace = mustInstances(t, "test_object.b") },
			refused: `test_object.b: the configuration and the state call for "delete-then-create", but the plan file has no change to it`},
		{name: "refresh turned off", edit: func(t *testing.T, p *plans.Plan) { p.Refresh = false },
			applied: "the plan made again without refresh, from the same state, calls for the same changes"},
		{name: "marked errored", edit: func(t *testing.T, p *plans.Plan) { p.Errored = true },
			refused: "Cannot apply an incomplete plan"},

		// What binds the plan.
		{name: "state serial edited", edit: func(t *testing.T, p *plans.Plan) { p.StateSerial-- },
			refused: "Saved plan is stale"},
		{name: "state lineage edited", edit: func(t *testing.T, p *plans.Plan) { p.StateLineage = "00000000-0000-4000-8000-000000000000" },
			refused: "Saved plan is for a different state"},
		{name: "configuration hash removed", edit: func(t *testing.T, p *plans.Plan) { p.ConfigHash = "" },
			refused: "Saved plan does not match the configuration"},
		{name: "a provider checksum added", edit: func(t *testing.T, p *plans.Plan) {
			p.ProviderHashes = map[string]string{"berth-test/test": "h1:forged"}
		}, refused: "the locked checksums of berth-test/test changed since this plan was made"},

		// What apply does not use.
		{name: "drift added: b deleted outside berth", edit: func(t *testing.T, p *plans.Plan) {
			b := c(p, "test_object.b")
			p.Drift = append(p.Drift, &plans.ResourceChange{Addr: b.Addr, Provider: b.Provider, Action: plans.Delete, Before: b.Before, After: cty.NullVal(b.Before.Type())})
		}, applied: "apply records what refresh finds when it plans again, not the file's drift: b stays recorded"},
		{name: "before values edited", edit: func(t *testing.T, p *plans.Plan) {
			c(p, "test_object.a").Before = withAttr(c(p, "test_object.a").Before, "value", evil)
		}, applied: "apply starts from the state, not from the file's before values"},
		{name: "provider, reason, private data, requires_replace edited", edit: func(t *testing.T, p *plans.Plan) {
			ch := c(p, "test_object.a")
			ch.Provider, ch.Reason, ch.Private, ch.RequiresReplace = "provider.other", plans.ReasonTainted, []byte("forged"), []cty.Path{cty.GetAttrPath("value")}
		}, applied: "apply uses the fresh plan's, and the provider's private data of the final plan"},
		{name: "dependencies edited", edit: func(t *testing.T, p *plans.Plan) {
			c(p, "test_object.a").Dependencies = []addrs.Resource{mustInstance(t, "test_object.zz").Resource}
		}, applied: "the state records the dependencies of the fresh plan", check: func(t *testing.T, st *state.State) {
			if deps := st.Instance(mustInstance(t, "test_object.a")).Dependencies; len(deps) != 0 {
				t.Errorf("a recorded with dependencies %v", deps)
			}
		}},

		// The file itself.
		{name: "update turned into delete, checksum not recomputed", raw: replaceInFile(`"action": "update"`, `"action": "delete"`),
			refused: "Saved plan is corrupted or was edited; reading plan file"},
		{name: "berth version edited, checksum not recomputed", raw: func(data []byte) []byte {
			return regexp.MustCompile(`"berth_version": "[^"]*"`).ReplaceAll(data, []byte(`"berth_version": "0.0.1"`))
		}, refused: "its checksum does not match its content"},
		{name: "checksum removed", raw: func(data []byte) []byte {
			return regexp.MustCompile(`"checksum": "sha256:[0-9a-f]+",`).ReplaceAll(data, nil)
		}, refused: "it has no checksum"},
		{name: "checksum altered", raw: func(data []byte) []byte {
			return regexp.MustCompile(`sha256:[0-9a-f]{64}",\n  "berth_version`).ReplaceAll(data, []byte(`sha256:`+strings.Repeat("0", 64)+`",`+"\n"+`  "berth_version`))
		}, refused: "its checksum does not match its content"},
		{name: "truncated", raw: func(data []byte) []byte { return data[:len(data)*2/3] },
			refused: "it is not valid JSON (unexpected end of JSON input)"},
		{name: "a field added", raw: replaceInFile(`"errored": false`, `"errored": false, "approved": true`),
			refused: `json: unknown field "approved"`},
		{name: "format version 2", raw: replaceInFile(`"format_version": 3`, `"format_version": 2`),
			refused: "the plan file has format version 2"},
		{name: "re-indented", raw: func(data []byte) []byte {
			var b bytes.Buffer
			if err := json.Indent(&b, data, "", "\t"); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}, applied: "the checksum covers the content, not its layout"},
	}

	baseSum := checksumOf(t, base)
	for _, tt := range edits {
		t.Run(tt.name, func(t *testing.T) {
			data := base
			switch {
			case tt.edit != nil:
				p, err := plans.DecodePlan(base)
				if err != nil {
					t.Fatal(err)
				}
				tt.edit(t, p)
				if data, err = plans.EncodePlan(p); err != nil {
					t.Fatal(err)
				}
				// The same edit, the checksum left as it was.
				sum := checksumOf(t, data)
				if sum == baseSum {
					t.Fatal("the edit changed nothing in the file")
				}
				unsealed := bytes.Replace(data, []byte(sum), []byte(baseSum), 1)
				if _, d := openEdited(t, f.dir, unsealed); !strings.Contains(diagText(d), "Saved plan is corrupted or was edited; reading plan file") {
					t.Errorf("edited, old checksum: %v", d)
				}
			case tt.raw != nil:
				data = tt.raw(base)
			}
			dir, diags := openEdited(t, f.dir, data)
			p := openedPlan(t, dir)
			var st *state.State
			if !diags.HasErrors() {
				op := testOperation(t, dir, nil)
				vars, d := SavedPlanVariables(op.Engine.Config, p, nil)
				if d.HasErrors() {
					t.Fatal(d)
				}
				op.Engine.Variables = vars
				st, diags = op.Apply(context.Background(), p, ApplyOptions{})
			}
			got := objectsOf(t, dir)
			if tt.refused != "" {
				if !strings.Contains(diagText(diags), tt.refused) {
					t.Fatalf("got %s, want refused with %q", diagText(diags), tt.refused)
				}
				if got != editedPlanBefore {
					t.Errorf("a refused plan changed the objects: %s", got)
				}
				if st != nil && st.Serial != saved.StateSerial {
					t.Errorf("a refused plan moved the state to serial %d", st.Serial)
				}
				t.Logf("refused: %s", diagText(diags))
				return
			}
			if diags.HasErrors() {
				t.Fatalf("refused (%v); want applied: %s", diags, tt.applied)
			}
			want := tt.outcome
			if want == "" {
				want = editedPlanApplied
			}
			if got != want {
				t.Errorf("objects %q after apply, want %q", got, want)
			}
			checkStateRecordsStore(t, dir, st)
			if tt.check != nil {
				tt.check(t, st)
			}
			t.Logf("applied: %s", tt.applied)
		})
	}
}

// openEdited copies the working directory in src (configuration, state,
// the provider's store) to a new one, writes data there as a plan file
// and opens it as berth apply FILE does.
func openEdited(t *testing.T, src string, data []byte) (string, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "edited.plan"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, diags := OpenSavedPlan(context.Background(), filepath.Join(dir, "edited.plan"), dir, nil, nil)
	return dir, diags
}

// openedPlan is the plan openEdited wrote to dir, when it can be read.
func openedPlan(t *testing.T, dir string) *plans.Plan {
	p, _ := plans.ReadPlanFile(context.Background(), filepath.Join(dir, "edited.plan"), nil)
	return p
}

// diagText is every diagnostic's summary and detail, one a line.
func diagText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s; %s\n", d.Summary, d.Detail)
	}
	return b.String()
}

func checksumOf(t *testing.T, data []byte) string {
	t.Helper()
	var head struct {
		Checksum string `json:"checksum"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Checksum == "" {
		t.Fatalf("no checksum: %v", err)
	}
	return head.Checksum
}

// withAttr is object v with attribute name set to nv, its marks kept.
func withAttr(v cty.Value, name string, nv cty.Value) cty.Value {
	u, pvm := v.UnmarkDeepWithPaths()
	m := u.AsValueMap()
	m[name] = nv
	return cty.ObjectVal(m).MarkWithPaths(pvm)
}

// objectsOf lists the test provider's objects in dir as name=value (and
// /secret), sorted by name; "(none)" when there are none.
func objectsOf(t *testing.T, dir string) string {
	t.Helper()
	s, err := testprovider.ReadStore(filepath.Join(dir, "store.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range s.Objects {
		e := o.Name + "="
		if o.Value != nil {
			e += *o.Value
		}
		if o.Secret != nil {
			e += "/" + *o.Secret
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return "(none)"
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// checkStateRecordsStore checks that st records exactly the objects that
// exist in dir's store: none unknown to berth, none recorded twice.
func checkStateRecordsStore(t *testing.T, dir string, st *state.State) {
	t.Helper()
	s, err := testprovider.ReadStore(filepath.Join(dir, "store.json"))
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for addr, obj := range st.AllInstances() {
		id := obj.Value.GetAttr("id").AsString()
		if recorded[id] {
			t.Errorf("%s: object %s recorded twice", addr, id)
		}
		recorded[id] = true
	}
	for id, o := range s.Objects {
		if !recorded[id] {
			t.Errorf("object %s (%s) exists but the state does not record it", id, o.Name)
		}
	}
	if len(recorded) != len(s.Objects) {
		t.Errorf("the state records %d objects, %d exist", len(recorded), len(s.Objects))
	}
}

// TestEditedRefreshOnlyPlan: the changes of a refresh-only plan are its
// drift, which apply records; it is held to the drift refresh finds when
// apply plans again.
func TestEditedRefreshOnlyPlan(t *testing.T) {
	f := newFixture(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
`)
	f.apply(f.plan(PlanOptions{}))
	path := filepath.Join(f.dir, "store.json")
	store, err := testprovider.ReadStore(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range store.Objects {
		v := "changed by hand"
		o.Value = &v
	}
	if err := testprovider.WriteStore(path, store); err != nil {
		t.Fatal(err)
	}
	saved := f.plan(PlanOptions{Mode: plans.RefreshOnlyMode})
	if len(saved.Drift) != 1 || saved.Drift[0].Action != plans.Update {
		t.Fatalf("drift %v", saved.Drift)
	}
	if d := BindPlan(f.dir, saved); d.HasErrors() {
		t.Fatal(d)
	}
	base, err := plans.EncodePlan(saved)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(p *plans.Plan)
		refused string
	}{
		{name: "none"},
		{name: "drift update turned into delete", edit: func(p *plans.Plan) { p.Drift[0].Action = plans.Delete },
			refused: `test_object.a: the plan file records "delete" outside berth, but refreshing now finds "update"`},
		{name: "drift removed", edit: func(p *plans.Plan) { p.Drift = nil },
			refused: `test_object.a: the plan file records "no-op" outside berth, but refreshing now finds "update"`},
		{name: "drifted value edited", edit: func(p *plans.Plan) { p.Drift[0].After = withAttr(p.Drift[0].After, "value", cty.StringVal("evil")) },
			refused: "test_object.a: the plan file plans value differently from what berth plans now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := plans.DecodePlan(base)
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				tt.edit(p)
			}
			data, err := plans.EncodePlan(p)
			if err != nil {
				t.Fatal(err)
			}
			dir, diags := openEdited(t, f.dir, data)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			st, diags := testOperation(t, dir, nil).Apply(context.Background(), openedPlan(t, dir), ApplyOptions{})
			if tt.refused != "" {
				if !strings.Contains(diagText(diags), tt.refused) || st.Serial != saved.StateSerial {
					t.Fatalf("got %s (serial %d), want refused with %q", diagText(diags), st.Serial, tt.refused)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if v := st.Instance(mustInstance(t, "test_object.a")).Value.GetAttr("value"); v.AsString() != "changed by hand" {
				t.Errorf("the state records value %#v, want the drift", v)
			}
		})
	}
}

// sameWhereKnown holds a fresh planned value to every part the saved
// plan knew.
func TestSameWhereKnown(t *testing.T) {
	obj := func(kv ...any) cty.Value {
		m := map[string]cty.Value{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(cty.Value)
		}
		return cty.ObjectVal(m)
	}
	str, unknown := cty.StringVal, cty.UnknownVal(cty.String)
	list := func(vs ...cty.Value) cty.Value { return cty.ListVal(vs) }
	tests := []struct {
		name         string
		saved, fresh cty.Value
		bad          string // the path that differs; "-" when none
	}{
		{"equal", obj("a", str("x")), obj("a", str("x")), "-"},
		{"a value differs", obj("a", str("x"), "b", str("y")), obj("a", str("x"), "b", str("z")), "b"},
		{"unknown in the saved plan", obj("a", unknown), obj("a", str("x")), "-"},
		{"known in the saved plan, unknown now", obj("a", str("x")), obj("a", unknown), "a"},
		{"null now", obj("a", str("x")), obj("a", cty.NullVal(cty.String)), "a"},
		{"marks aside", obj("a", str("x").Mark("sensitive")), obj("a", str("x")), "-"},
		{"a list grew", obj("l", list(str("x"))), obj("l", list(str("x"), str("y"))), "l"},
		{"an element differs", obj("l", list(str("x"), str("y"))), obj("l", list(str("x"), str("z"))), "l[1]"},
		{"a map key differs", obj("m", cty.MapVal(map[string]cty.Value{"k": str("x")})), obj("m", cty.MapVal(map[string]cty.Value{"j": str("x")})), "m"},
		{"sets equal", obj("s", cty.SetVal([]cty.Value{str("x"), str("y")})), obj("s", cty.SetVal([]cty.Value{str("y"), str("x")})), "-"},
		{"sets differ", obj("s", cty.SetVal([]cty.Value{str("x")})), obj("s", cty.SetVal([]cty.Value{str("y")})), "s"},
		{"a set with an unknown element", obj("s", cty.SetVal([]cty.Value{unknown})), obj("s", cty.SetVal([]cty.Value{str("y")})), "-"},
		{"an attribute more now", obj("a", str("x")), obj("a", str("x"), "b", str("y")), ""},
		{"no value in the saved plan", cty.NilVal, obj("a", str("x")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, ok := sameWhereKnown(tt.saved, tt.fresh)
			got := "-"
			if !ok {
				got = plans.FormatPath(path)
			}
			if got != tt.bad {
				t.Errorf("differs at %q, want %q", got, tt.bad)
			}
		})
	}
}
