package plans

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

var (
	appWeb = addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}
	dnsWWW = addrs.Resource{Mode: addrs.Managed, Type: "acmedns_record", Name: "www"}
)

func secret(s string) cty.Value { return cty.StringVal(s).Mark(providers.SensitiveMark) }

// testPlan exercises everything a plan file holds: unknowns, nested
// types, sensitive parts at several depths, rollouts, int and string keys.
func testPlan() *Plan {
	before := cty.ObjectVal(map[string]cty.Value{
		"id":       cty.StringVal("web"),
		"image":    cty.StringVal("shop/web:v1"),
		"replicas": cty.NumberIntVal(6),
		"env":      cty.MapVal(map[string]cty.Value{"LOG": cty.StringVal("info"), "TOKEN": secret("s3cr3t")}),
		"ports":    cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("http"), "container": cty.NumberIntVal(8080)})}),
		"labels":   cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		"password": secret("hunter2"),
		"extra":    cty.NullVal(cty.DynamicPseudoType),
	})
	after := cty.ObjectVal(map[string]cty.Value{
		"id":       cty.StringVal("web"),
		"image":    cty.StringVal("shop/web:v2"),
		"replicas": cty.NumberIntVal(6),
		"env":      cty.MapVal(map[string]cty.Value{"LOG": cty.StringVal("debug"), "TOKEN": secret("s3cr3t")}),
		"ports":    cty.UnknownVal(cty.List(cty.Object(map[string]cty.Type{"name": cty.String, "container": cty.Number}))),
		"labels":   cty.SetVal([]cty.Value{cty.StringVal("a"), secret("c")}),
		"password": cty.UnknownVal(cty.String).Mark(providers.SensitiveMark),
		"extra":    cty.DynamicVal,
	})
	return &Plan{
		Mode: NormalMode,
		Changes: []*ResourceChange{
			{
				Addr:            appWeb.Instance(addrs.IntKey(0)),
				Provider:        "cluster.edge",
				Action:          Update,
				Before:          before,
				After:           after,
				RequiresReplace: []cty.Path{cty.GetAttrPath("ports").IndexInt(0).GetAttr("name"), cty.GetAttrPath("env").IndexString("LOG")},
				Private:         []byte{0, 1, 2, 255},
				Rollout: &providers.Rollout{
					Waves: []providers.Wave{
						{Instances: []providers.WaveInstance{{Name: "web-1", Host: "edge-1"}}},
						{Instances: []providers.WaveInstance{{Name: "web-2", Host: "edge-2"}, {Name: "web-3"}}},
					},
					MinHealthy: 10 * time.Second, HealthyDeadline: 5 * time.Minute, AutoRevert: true, MaxUnavailable: 1,
					Canary: &providers.Canary{Instances: 1, Weight: 10},
				},
				Routers:      []addrs.Instance{{Resource: addrs.Resource{Mode: addrs.Managed, Type: "load_balancer", Name: "web"}, Key: addrs.IntKey(1)}},
				Canary:       CanaryStart,
				Dependencies: []addrs.Resource{dnsWWW, {Mode: addrs.Data, Type: "x", Name: "y"}},
			},
			{
				Addr:     dnsWWW.Instance(addrs.StringKey(`e"u`)),
				Provider: "provider.acmedns",
				Action:   Create,
				Before:   cty.NullVal(cty.Object(map[string]cty.Type{"name": cty.String})),
				After:    cty.ObjectVal(map[string]cty.Value{"name": cty.UnknownVal(cty.String)}),
			},
			{
				Addr:   appWeb.Instance(addrs.NoKey),
				Action: Delete,
				Reason: ReasonNoConfig,
				Before: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("old")}),
				// After left as cty.NilVal: the engine may not set it.
			},
		},
		Drift: []*ResourceChange{{
			Addr:   dnsWWW.Instance(addrs.NoKey),
			Action: Delete,
			Before: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("www")}),
			After:  cty.NullVal(cty.Object(map[string]cty.Type{"name": cty.String})),
		}},
		Outputs: []*OutputChange{
			{Name: "url", Action: Create, Before: cty.NullVal(cty.String), After: cty.UnknownVal(cty.String)},
			{Name: "pw", Action: Update, Sensitive: true, Before: cty.StringVal("old"), After: cty.StringVal("new")},
		},
		StateLineage:   "8a0c1f0e-0000-4000-8000-000000000000",
		StateSerial:    11,
		ConfigHash:     "sha256:abc",
		ProviderHashes: map[string]string{"docker": "h1:xyz"},
		Variables: map[string]cty.Value{
			"tag":      cty.StringVal("v2"),
			"password": secret("hunter2"),
			"sizes":    cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.StringVal("x")}),
		},
		Targets: []addrs.Instance{appWeb.Instance(addrs.IntKey(0))},
		Replace: []addrs.Instance{dnsWWW.Instance(addrs.StringKey("eu"))},
	}
}

func writeRead(t *testing.T, p *Plan) (*Plan, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.out")
	if err := WritePlanFile(context.Background(), path, p, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadPlanFile(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got, data
}

// sameValue compares values including unknowns and marks.
func sameValue(t *testing.T, what string, got, want cty.Value) {
	t.Helper()
	if got == cty.NilVal || want == cty.NilVal {
		if got != cty.NilVal || want != cty.NilVal {
			t.Errorf("%s: got %#v, want %#v", what, got, want)
		}
		return
	}
	if !got.RawEquals(want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

// redacted is v with the sensitive parts as read back from a plan file:
// sensitive-marked nulls (a set with a sensitive element becomes a
// sensitive-marked null set).
func redacted(t *testing.T, v cty.Value) cty.Value {
	t.Helper()
	out, err := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if HasSensitiveMark(v) || (v.Type().IsSetType() && containsSensitive(v)) {
			u, _ := v.Unmark()
			return cty.NullVal(u.Type()).Mark(providers.SensitiveMark), nil
		}
		return v, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPlanFileRoundTrip(t *testing.T) {
	p := testPlan()
	got, data := writeRead(t, p)

	for _, s := range []string{"hunter2", "s3cr3t"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("plan file holds the secret %q", s)
		}
	}
	if got.Mode != p.Mode || got.StateLineage != p.StateLineage || got.StateSerial != p.StateSerial ||
		got.ConfigHash != p.ConfigHash || got.ProviderHashes["docker"] != "h1:xyz" || got.Errored != p.Errored {
		t.Errorf("plan header differs: %+v", got)
	}
	if got.BerthVersion == "" || len(got.RedactionKey) != 32 {
		t.Errorf("BerthVersion %q, RedactionKey %d bytes", got.BerthVersion, len(got.RedactionKey))
	}
	if len(got.Targets) != 1 || got.Targets[0] != p.Targets[0] || len(got.Replace) != 1 || got.Replace[0] != p.Replace[0] {
		t.Errorf("targets/replace: %v %v", got.Targets, got.Replace)
	}
	if len(got.Changes) != len(p.Changes) {
		t.Fatalf("%d changes, want %d", len(got.Changes), len(p.Changes))
	}
	for i, want := range p.Changes {
		c := got.Changes[i]
		if c.Addr != want.Addr || c.Provider != want.Provider || c.Action != want.Action || c.Reason != want.Reason {
			t.Errorf("change %d: %v %q %s %q", i, c.Addr, c.Provider, c.Action, c.Reason)
		}
		sameValue(t, want.Addr.String()+" before", c.Before, redacted(t, want.Before))
		sameValue(t, want.Addr.String()+" after", c.After, redacted(t, want.After))
		if !bytes.Equal(c.Private, want.Private) {
			t.Errorf("%s: private %v", want.Addr, c.Private)
		}
		if len(c.RequiresReplace) != len(want.RequiresReplace) {
			t.Errorf("%s: requires_replace %v", want.Addr, c.RequiresReplace)
		}
		for j := range want.RequiresReplace {
			if !c.RequiresReplace[j].Equals(want.RequiresReplace[j]) {
				t.Errorf("%s: requires_replace[%d] = %s", want.Addr, j, FormatPath(c.RequiresReplace[j]))
			}
		}
		if len(c.Dependencies) != len(want.Dependencies) {
			t.Errorf("%s: dependencies %v", want.Addr, c.Dependencies)
		}
		for j := range want.Dependencies {
			if c.Dependencies[j] != want.Dependencies[j] {
				t.Errorf("%s: dependencies %v", want.Addr, c.Dependencies)
			}
		}
	}
	if c := got.Changes[0].Canary; c != CanaryStart {
		t.Errorf("canary part %q, want %q", c, CanaryStart)
	}
	if r := got.Changes[0].Routers; !reflect.DeepEqual(r, p.Changes[0].Routers) {
		t.Errorf("routers: %v, want %v", r, p.Changes[0].Routers)
	}
	if r := got.Changes[0].Rollout; !reflect.DeepEqual(r, p.Changes[0].Rollout) {
		t.Errorf("rollout: %+v, want %+v", r, p.Changes[0].Rollout)
	}
	// The durations are written as configuration writes them.
	for _, s := range []string{`"min_healthy": "10s"`, `"healthy_deadline": "5m"`} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("plan file does not hold %s", s)
		}
	}
	if got.Changes[1].Rollout != nil {
		t.Errorf("a change without rollout read back with one")
	}
	if len(got.Drift) != 1 {
		t.Fatalf("drift: %d", len(got.Drift))
	}
	sameValue(t, "drift after", got.Drift[0].After, p.Drift[0].After)
	if len(got.Outputs) != 2 || !got.Outputs[1].Sensitive {
		t.Fatalf("outputs: %+v", got.Outputs)
	}
	sameValue(t, "output url", got.Outputs[0].After, p.Outputs[0].After)
	sameValue(t, "output pw", got.Outputs[1].After, cty.NullVal(cty.String).Mark(providers.SensitiveMark))
	sameValue(t, "var tag", got.Variables["tag"], p.Variables["tag"])
	sameValue(t, "var sizes", got.Variables["sizes"], p.Variables["sizes"])
	sameValue(t, "var password", got.Variables["password"], cty.NullVal(cty.String).Mark(providers.SensitiveMark))

	// The redacted paths are listed, so apply knows what to restore.
	var paths []string
	for _, r := range got.Changes[0].AfterRedacted {
		paths = append(paths, FormatPath(r.Path))
	}
	if want := `env["TOKEN"] labels password`; strings.Join(paths, " ") != want {
		t.Errorf("after redacted paths %q, want %q", strings.Join(paths, " "), want)
	}
}

// TestPlanFileRewrite checks that writing a plan read from a file keeps the
// digests of its redacted parts instead of hashing their placeholders.
func TestPlanFileRewrite(t *testing.T) {
	p := testPlan()
	once, _ := writeRead(t, p)
	twice, _ := writeRead(t, once)
	a, b := once.Changes[0].BeforeRedacted, twice.Changes[0].BeforeRedacted
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("redactions %v then %v", a, b)
	}
	for i := range a {
		if a[i].Digest != b[i].Digest || !a[i].Path.Equals(b[i].Path) {
			t.Errorf("redaction %d changed: %v -> %v", i, a[i], b[i])
		}
	}
	if _, err := twice.Unredact(twice.Variables["password"], twice.VariablesRedacted["password"], cty.StringVal("hunter2")); err != nil {
		t.Errorf("unredact after rewrite: %v", err)
	}
}

func TestUnredact(t *testing.T) {
	p := testPlan()
	got, _ := writeRead(t, p)
	c := got.Changes[0]

	// Apply re-plans and passes the fresh values (with their secrets).
	fresh := p.Changes[0].Before
	v, err := got.Unredact(c.Before, c.BeforeRedacted, fresh)
	if err != nil {
		t.Fatal(err)
	}
	sameValue(t, "unredacted before", v, p.Changes[0].Before)
	if s := v.GetAttr("password"); !HasSensitiveMark(s) {
		t.Errorf("restored secret lost its mark: %#v", s)
	}

	// A secret that changed since the plan is refused, without printing it.
	changed := cty.ObjectVal(map[string]cty.Value{
		"id": cty.StringVal("web"), "image": cty.StringVal("x"), "replicas": cty.NumberIntVal(1),
		"env":    cty.MapVal(map[string]cty.Value{"LOG": cty.StringVal("info"), "TOKEN": secret("s3cr3t")}),
		"ports":  cty.ListValEmpty(cty.Object(map[string]cty.Type{"name": cty.String, "container": cty.Number})),
		"labels": cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}), "password": secret("other"),
		"extra": cty.NullVal(cty.DynamicPseudoType),
	})
	_, err = got.Unredact(c.Before, c.BeforeRedacted, changed)
	if !errors.Is(err, ErrRedactedMismatch) || !strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "other") {
		t.Errorf("changed secret: %v", err)
	}

	// An unknown sensitive value round-trips through its digest too.
	if _, err := got.Unredact(c.After, c.AfterRedacted, p.Changes[0].After); err != nil {
		t.Errorf("after: %v", err)
	}
	// Nothing redacted: the saved value as is.
	v, err = got.Unredact(got.Variables["tag"], nil, cty.StringVal("zzz"))
	if err != nil || v.AsString() != "v2" {
		t.Errorf("no redactions: %#v %v", v, err)
	}
}

// reseal gives an edited plan file the checksum of its new content, as
// whoever edits it on purpose can: what the checksum cannot stop, the
// decoder's checks (and apply's comparison with a fresh plan) must.
func reseal(t *testing.T, data string) string {
	t.Helper()
	var fp filePlan
	if err := json.Unmarshal([]byte(data), &fp); err != nil {
		t.Fatal(err)
	}
	sum, err := checksum(&fp)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(data, fp.Checksum, sum, 1)
}

func TestReadPlanFileErrors(t *testing.T) {
	good, err := EncodePlan(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("the plan file has no %s", old)
		}
		return strings.Replace(string(good), old, new, 1)
	}
	var fp filePlan
	if err := json.Unmarshal(good, &fp); err != nil {
		t.Fatal(err)
	}
	// A second change of app.web[0], as the first one of the file.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(good, &raw); err != nil {
		t.Fatal(err)
	}
	var changes []json.RawMessage
	if err := json.Unmarshal(raw["changes"], &changes); err != nil {
		t.Fatal(err)
	}
	raw["changes"], _ = json.Marshal(append(changes, changes[0]))
	twice, _ := json.Marshal(raw)

	tests := []struct {
		name string
		data string
		want string
		// corrupt: the error wraps ErrCorrupted.
		corrupt bool
	}{
		{"empty", "", "not a berth plan file, or a damaged one", false},
		{"not JSON", "resource \"x\" {}", "not a berth plan file, or a damaged one", false},
		{"state file", `{"serial": 1, "lineage": "x"}`, "not a berth plan file: no format_version", false},
		{"older version", `{"format_version": 2, "berth_version": "0.1.0"}`, "the plan file has format version 2 (written by berth 0.1.0)", false},
		{"future version", `{"format_version": 4, "berth_version": "9.0.0"}`, "the plan file has format version 4 (written by berth 9.0.0)", false},
		// Not what berth wrote: the checksum says so.
		{"truncated", string(good[:len(good)/2]), "it is not valid JSON (unexpected end of JSON input)", true},
		{"checksum removed", edit(`"checksum": "`+fp.Checksum+`",`, ""), "it has no checksum", true},
		{"checksum emptied", edit(fp.Checksum, ""), "it has no checksum", true},
		{"checksum altered", edit(fp.Checksum, "sha256:"+strings.Repeat("0", 64)), "its checksum does not match its content", true},
		{"action edited", edit(`"action": "update"`, `"action": "delete"`), "its checksum does not match its content", true},
		{"serial edited", edit(`"state_serial": 11`, `"state_serial": 12`), "its checksum does not match its content", true},
		{"one letter changed", edit(`"provider": "cluster.edge"`, `"provider": "cluster.edgf"`), "its checksum does not match its content", true},
		{"base64 broken", edit(`"msgpack": "`, `"msgpack": "A`), "illegal base64 data", true},
		{"field added", edit(`"errored": false`, `"errored": false, "approved": true`), `unknown field "approved"`, true},
		{"something appended", string(good) + `{"format_version": 3}`, "it is not valid JSON (invalid character '{' after top-level value)", true},
		// Edited and given a matching checksum: the decoder's own checks.
		{"bad msgpack", reseal(t, edit(`"msgpack": "`, `"msgpack": "AAAA`)), "value: ", true},
		{"bad address", reseal(t, edit(`"address": "app.web[0]"`, `"address": "app..web"`)), "invalid address", true},
		{"bad action", reseal(t, edit(`"action": "update"`, `"action": "explode"`)), `app.web[0]: unknown action "explode"`, true},
		{"bad duration", reseal(t, edit(`"min_healthy": "10s"`, `"min_healthy": "soon"`)), `app.web[0]: rollout: min_healthy: time: invalid duration "soon"`, true},
		{"bad mode", reseal(t, edit(`"mode": "normal"`, `"mode": "weird"`)), `unknown mode "weird"`, true},
		{"two changes of one object", reseal(t, string(twice)), "two changes of app.web[0]", true},
		{"two outputs of one name", reseal(t, edit(`"name": "url"`, `"name": "pw"`)), `two changes of output "pw"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.out")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadPlanFile(context.Background(), path, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %v does not name the file", err)
			}
			if errors.Is(err, ErrCorrupted) != tt.corrupt {
				t.Errorf("error %v: corrupted %v, want %v", err, errors.Is(err, ErrCorrupted), tt.corrupt)
			}
		})
	}
	if _, err := ReadPlanFile(context.Background(), filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("a missing file read without error")
	}
}

// The checksum covers the content as read, not its layout: a plan file
// re-indented, or with its keys in another order, reads the same.
func TestPlanFileChecksumIgnoresLayout(t *testing.T) {
	good, err := EncodePlan(testPlan())
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, good); err != nil {
		t.Fatal(err)
	}
	var m map[string]any // re-marshalled: keys sorted, unlike the struct's order
	if err := json.Unmarshal(good, &m); err != nil {
		t.Fatal(err)
	}
	sorted, _ := json.MarshalIndent(m, "", "\t")
	for name, data := range map[string][]byte{"compact": compact.Bytes(), "keys sorted": sorted} {
		p, err := DecodePlan(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(p.Changes) != 3 || p.Changes[0].Action != Update || !p.Saved {
			t.Errorf("%s: read back %d changes, saved %v", name, len(p.Changes), p.Saved)
		}
	}
}

func TestWritePlanFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.out")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePlanFile(context.Background(), path, testPlan(), nil); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	// A value that cannot be encoded leaves the old file alone.
	bad := &Plan{Mode: NormalMode, Changes: []*ResourceChange{{Addr: appWeb.Instance(nil), Action: Create,
		After: cty.CapsuleVal(cty.Capsule("x", reflectTypeOfInt), new(int))}}}
	if err := WritePlanFile(context.Background(), path, bad, nil); err == nil {
		t.Error("a capsule value was written")
	}
	if _, err := ReadPlanFile(context.Background(), path, nil); err != nil {
		t.Errorf("the old plan file was damaged: %v", err)
	}
}

var reflectTypeOfInt = reflect.TypeOf(0)
