package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/examples/provider-dns/zonefile"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/plugin"
)

// These tests drive the provider the way berth does: built with go build,
// launched as a plugin process by plugin.Launch, and called over gRPC.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "provider-dns-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "berth-provider-dns")
	gobin, err := exec.LookPath("go")
	if err != nil {
		panic("the tests build the provider and need the go command: " + err.Error())
	}
	build := exec.Command(gobin, "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic("building berth-provider-dns: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func launch(t *testing.T) *plugin.Client {
	t.Helper()
	c, err := plugin.Launch(context.Background(), plugin.Spec{Name: "acme/dns", Path: binary})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func providerConfig(zoneFile, zone string) cty.Value {
	z := cty.NullVal(cty.String)
	if zone != "" {
		z = cty.StringVal(zone)
	}
	return cty.ObjectVal(map[string]cty.Value{"zone_file": cty.StringVal(zoneFile), "zone": z})
}

// record builds a record configuration as berth's core does: every
// attribute present, unset ones null.
func record(name, typ string, ttl cty.Value, values ...string) cty.Value {
	vals := cty.ListValEmpty(cty.String)
	if len(values) > 0 {
		var vs []cty.Value
		for _, v := range values {
			vs = append(vs, cty.StringVal(v))
		}
		vals = cty.ListVal(vs)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal(name), "type": cty.StringVal(typ), "ttl": ttl, "values": vals,
		"fqdn": cty.NullVal(cty.String), "id": cty.NullVal(cty.String),
	})
}

var noTTL = cty.NullVal(cty.Number)

// with returns obj with one attribute replaced.
func with(obj cty.Value, attr string, v cty.Value) cty.Value {
	m := obj.AsValueMap()
	m[attr] = v
	return cty.ObjectVal(m)
}

func configured(t *testing.T) (*plugin.Client, string) {
	t.Helper()
	c := launch(t)
	path := filepath.Join(t.TempDir(), "example.com.zone")
	if d := c.ConfigureProvider(context.Background(), providers.ConfigureProviderRequest{BerthVersion: "0.1.0", Config: providerConfig(path, "example.com.")}).Diagnostics; d.HasErrors() {
		t.Fatalf("configure: %s", d.Error())
	}
	return c, path
}

func readZone(t *testing.T, path string) *zonefile.Zone {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zonefile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestSchema(t *testing.T) {
	c := launch(t)
	resp := c.GetSchema(context.Background())
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	rec := resp.ResourceTypes["record"].Block
	tests := []struct {
		attr                                 string
		required, optional, computed, forceN bool
	}{
		{"name", true, false, false, true},
		{"type", true, false, false, true},
		{"ttl", false, true, false, false},
		{"values", true, false, false, false},
		{"fqdn", false, false, true, false},
		{"id", false, false, true, false},
	}
	for _, tt := range tests {
		a := rec.Attributes[tt.attr]
		if a == nil || a.Required != tt.required || a.Optional != tt.optional || a.Computed != tt.computed || a.ForceNew != tt.forceN {
			t.Errorf("record.%s: %+v", tt.attr, a)
		}
	}
	// A zone file has nowhere to keep the idempotency key of a create (a
	// record is its name, type, TTL and values), so the record type has no
	// Lookup: berth reports an interrupted create as a possible orphan.
	if resp.ResourceTypes["record"].LookupByKey {
		t.Error("record says LookupByKey, but has no Lookup")
	}
	if !rec.Attributes["values"].Type.Equals(cty.List(cty.String)) {
		t.Errorf("values type %#v", rec.Attributes["values"].Type)
	}
	zone := resp.DataSources["zone"].Block
	if zone.Attributes["serial"] == nil || !zone.Attributes["record_count"].Computed {
		t.Errorf("zone data source: %+v", zone.Attributes)
	}
	if !resp.Provider.Block.Attributes["zone_file"].Required {
		t.Errorf("provider schema: %+v", resp.Provider.Block.Attributes)
	}
}

func TestValidate(t *testing.T) {
	c := launch(t)
	ctx := context.Background()
	providerTests := []struct {
		name   string
		config cty.Value
		want   string
	}{
		{"valid", providerConfig("/tmp/z", "example.com."), ""},
		{"missing zone file", cty.ObjectVal(map[string]cty.Value{"zone_file": cty.NullVal(cty.String), "zone": cty.NullVal(cty.String)}), "Missing required argument"},
		{"relative zone", providerConfig("/tmp/z", "example.com"), "must be an absolute name"},
	}
	for _, tt := range providerTests {
		t.Run("provider/"+tt.name, func(t *testing.T) {
			d := c.ValidateProviderConfig(ctx, providers.ValidateProviderConfigRequest{Config: tt.config}).Diagnostics
			if (tt.want == "") != (len(d) == 0) || (tt.want != "" && !strings.Contains(d.Error(), tt.want)) {
				t.Errorf("got %v, want %q", d, tt.want)
			}
		})
	}
	recordTests := []struct {
		name     string
		config   cty.Value
		want     string
		wantPath cty.Path
	}{
		{"valid", record("www", "A", noTTL, "192.0.2.1"), "", nil},
		{"unknown values", with(record("www", "A", cty.UnknownVal(cty.Number)), "values", cty.UnknownVal(cty.List(cty.String))), "", nil},
		{"unsupported type", record("www", "MX", noTTL, "10 mx"), "must be one of A, AAAA, CNAME, TXT", cty.GetAttrPath("type")},
		{"ipv6 in A", record("www", "A", noTTL, "192.0.2.1", "2001:db8::1"), `"2001:db8::1" is not an IPv4 address`, cty.GetAttrPath("values").Index(cty.NumberIntVal(1))},
		{"two CNAME targets", record("api", "CNAME", noTTL, "a.example.com.", "b.example.com."), "exactly one target", cty.GetAttrPath("values")},
		{"absolute name", record("www.example.com.", "A", noTTL, "192.0.2.1"), "relative to the zone", cty.GetAttrPath("name")},
		{"ttl out of range", record("www", "A", cty.NumberIntVal(0), "192.0.2.1"), "between 1 and", cty.GetAttrPath("ttl")},
		{"no values", record("www", "A", noTTL), "at least one value", cty.GetAttrPath("values")},
	}
	for _, tt := range recordTests {
		t.Run("record/"+tt.name, func(t *testing.T) {
			d := c.ValidateResourceConfig(ctx, providers.ValidateResourceConfigRequest{TypeName: "record", Config: tt.config}).Diagnostics
			if tt.want == "" {
				if len(d) > 0 {
					t.Fatalf("unexpected: %s", d.Error())
				}
				return
			}
			if len(d) != 1 || !strings.Contains(d[0].Detail, tt.want) {
				t.Fatalf("got %v, want %q", d, tt.want)
			}
			if got := providers.DiagnosticPath(d[0]); !got.Equals(tt.wantPath) {
				t.Errorf("path %#v, want %#v", got, tt.wantPath)
			}
		})
	}
}

// TestLifecycle drives one record through create, refresh, drift, update,
// replace and delete, checking the zone file after each step.
func TestLifecycle(t *testing.T) {
	c, path := configured(t)
	ctx := context.Background()

	planApply := func(t *testing.T, prior, config cty.Value) (providers.PlanResourceChangeResponse, providers.ApplyResourceChangeResponse, []providers.ApplyEvent) {
		t.Helper()
		if d := c.ValidateResourceConfig(ctx, providers.ValidateResourceConfigRequest{TypeName: "record", Config: config}).Diagnostics; d.HasErrors() {
			t.Fatalf("validate: %s", d.Error())
		}
		plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "record", PriorState: prior, Config: config, ProposedNewState: config})
		if plan.Diagnostics.HasErrors() {
			t.Fatalf("plan: %s", plan.Diagnostics.Error())
		}
		var events []providers.ApplyEvent
		apply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "record", PriorState: prior, PlannedState: plan.PlannedState, Config: config},
			func(e providers.ApplyEvent) { events = append(events, e) })
		return plan, apply, events
	}
	read := func(t *testing.T, state cty.Value) providers.ReadResult {
		t.Helper()
		resp := c.ReadResources(ctx, providers.ReadResourcesRequest{Objects: []providers.ReadObject{{ID: "acmedns_record.www", TypeName: "record", State: state}}})
		if resp.Diagnostics.HasErrors() || len(resp.Results) != 1 || resp.Results[0].Diagnostics.HasErrors() {
			t.Fatalf("read: %v %+v", resp.Diagnostics, resp.Results)
		}
		return resp.Results[0]
	}

	// Create: fqdn and id are known at plan time, the TTL defaults to 300.
	www := record("www", "A", noTTL, "192.0.2.10", "192.0.2.11")
	plan, apply, events := planApply(t, cty.NullVal(www.Type()), www)
	if got := plan.PlannedState.GetAttr("fqdn"); !got.RawEquals(cty.StringVal("www.example.com.")) {
		t.Errorf("planned fqdn %#v", got)
	}
	if apply.Diagnostics.HasErrors() {
		t.Fatalf("create: %s", apply.Diagnostics.Error())
	}
	state := apply.NewState
	if !state.GetAttr("id").RawEquals(cty.StringVal("www/A")) || !state.GetAttr("ttl").RawEquals(cty.NumberIntVal(300)) || !state.RawEquals(plan.PlannedState) {
		t.Errorf("created state %#v, planned %#v", state, plan.PlannedState)
	}
	if len(events) != 1 || events[0].Kind != "progress" || !strings.Contains(events[0].Message, "www.example.com.") {
		t.Errorf("events %+v", events)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{"$ORIGIN example.com.", "www 300 IN A 192.0.2.10\n", "www 300 IN A 192.0.2.11\n", " 1 3600 600 604800 300"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("zone file lacks %q:\n%s", want, data)
		}
	}

	// Refresh without drift returns the same state.
	if res := read(t, state); res.Gone || !res.NewState.RawEquals(state) {
		t.Errorf("refresh: %+v", res)
	}

	// Drift: someone edits the record behind berth's back.
	edited := strings.Replace(string(data), "www 300 IN A 192.0.2.11", "www 60 IN A 192.0.2.99", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	res := read(t, state)
	wantValues := cty.ListVal([]cty.Value{cty.StringVal("192.0.2.10"), cty.StringVal("192.0.2.99")})
	if !res.NewState.GetAttr("values").RawEquals(wantValues) || !res.NewState.GetAttr("ttl").RawEquals(cty.NumberIntVal(300)) {
		t.Errorf("drift: %#v", res.NewState)
	}
	state = res.NewState

	// Update in place (values and ttl): no replacement, serial bumped.
	serial := readZone(t, path).Serial
	www2 := record("www", "A", cty.NumberIntVal(600), "192.0.2.20")
	plan, apply, _ = planApply(t, state, www2)
	if len(plan.RequiresReplace) != 0 || apply.Diagnostics.HasErrors() {
		t.Fatalf("update: replace %v, %v", plan.RequiresReplace, apply.Diagnostics)
	}
	state = apply.NewState
	z := readZone(t, path)
	if rs, _ := z.Get("www", "A"); rs.TTL != 600 || len(rs.Values) != 1 || rs.Values[0] != "192.0.2.20" || z.Serial != serial+1 {
		t.Errorf("after update: %+v, serial %d (was %d)", rs, z.Serial, serial)
	}

	// Replace: a new name forces a new record; berth deletes the old one
	// and creates the new one, with two applies.
	www3 := record("web", "A", cty.NumberIntVal(600), "192.0.2.20")
	plan = c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "record", PriorState: state, Config: www3, ProposedNewState: www3})
	if len(plan.RequiresReplace) != 1 || !plan.RequiresReplace[0].Equals(cty.GetAttrPath("name")) {
		t.Fatalf("replace plan: %v %v", plan.RequiresReplace, plan.Diagnostics)
	}
	if del := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "record", PriorState: state, PlannedState: cty.NullVal(state.Type())}, nil); del.Diagnostics.HasErrors() || !del.NewState.IsNull() {
		t.Fatalf("replace, delete: %v", del.Diagnostics)
	}
	_, apply, _ = planApply(t, cty.NullVal(www3.Type()), www3)
	if apply.Diagnostics.HasErrors() || !apply.NewState.GetAttr("id").RawEquals(cty.StringVal("web/A")) {
		t.Fatalf("replace, create: %v", apply.Diagnostics)
	}
	state = apply.NewState
	z = readZone(t, path)
	if _, ok := z.Get("www", "A"); ok {
		t.Error("old record still in zone")
	}

	// A CNAME may not join another record at the same name; the error
	// points at the type attribute.
	cname := record("web", "CNAME", noTTL, "www.example.com.")
	_, apply, _ = planApply(t, cty.NullVal(cname.Type()), cname)
	if len(apply.Diagnostics) != 1 || apply.Diagnostics[0].Summary != "CNAME conflict" || !providers.DiagnosticPath(apply.Diagnostics[0]).Equals(cty.GetAttrPath("type")) || !apply.NewState.IsNull() {
		t.Errorf("CNAME conflict: %v %#v", apply.Diagnostics, apply.NewState)
	}

	// Removed behind berth's back: the refresh reports it gone.
	if err := os.WriteFile(path, []byte("$ORIGIN example.com.\n@ 3600 IN SOA ns1. h. 40 1 1 1 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := read(t, state); !res.Gone || !res.NewState.IsNull() {
		t.Errorf("removed record: %+v", res)
	}

	// Delete of a record that is already gone succeeds.
	if del := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "record", PriorState: state, PlannedState: cty.NullVal(state.Type())}, nil); del.Diagnostics.HasErrors() {
		t.Errorf("delete: %v", del.Diagnostics)
	}
}

func TestImportDataSourceAndBatchedRead(t *testing.T) {
	c, path := configured(t)
	ctx := context.Background()
	zone := "$ORIGIN example.com.\n$TTL 300\n@ 3600 IN SOA ns1.example.com. h.example.com. 41 3600 600 604800 300\n" +
		"mail 120 IN TXT \"v=spf1 include:_spf.example.com -all\"\n"
	for i := range 300 {
		zone += "h" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + " IN A 192.0.2.1\n"
	}
	if err := os.WriteFile(path, []byte(zone), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		id, want string
	}{
		{"mail/TXT", ""},
		{"mail/txt", ""},
		{"nope/A", "Cannot import non-existent object"},
		{"garbage", "import IDs look like <name>/<type>"},
	}
	for _, tt := range tests {
		resp := c.ImportResource(ctx, providers.ImportResourceRequest{TypeName: "record", ID: tt.id})
		if tt.want != "" {
			if !strings.Contains(resp.Diagnostics.Error(), tt.want) {
				t.Errorf("import %s: %v", tt.id, resp.Diagnostics)
			}
			continue
		}
		if resp.Diagnostics.HasErrors() {
			t.Fatalf("import %s: %s", tt.id, resp.Diagnostics.Error())
		}
		want := cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("mail"), "type": cty.StringVal("TXT"), "ttl": cty.NumberIntVal(120),
			"values": cty.ListVal([]cty.Value{cty.StringVal("v=spf1 include:_spf.example.com -all")}),
			"fqdn":   cty.StringVal("mail.example.com."), "id": cty.StringVal("mail/TXT"),
		})
		if !resp.State.RawEquals(want) {
			t.Errorf("import %s: %#v", tt.id, resp.State)
		}
	}

	ds := c.ReadDataSource(ctx, providers.ReadDataSourceRequest{TypeName: "zone", Config: cty.ObjectVal(map[string]cty.Value{
		"serial": cty.NullVal(cty.Number), "record_count": cty.NullVal(cty.Number)})})
	if ds.Diagnostics.HasErrors() || !ds.State.GetAttr("serial").RawEquals(cty.NumberIntVal(41)) || !ds.State.GetAttr("record_count").RawEquals(cty.NumberIntVal(301)) {
		t.Errorf("zone data source: %v %#v", ds.Diagnostics, ds.State)
	}

	// One ReadResources call refreshes all 300 records.
	var objs []providers.ReadObject
	for i := range 300 {
		name := "h" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		objs = append(objs, providers.ReadObject{ID: name, TypeName: "record", State: record(name, "A", cty.NumberIntVal(300), "192.0.2.1")})
	}
	objs = append(objs, providers.ReadObject{ID: "gone", TypeName: "record", State: record("gone", "A", cty.NumberIntVal(300), "192.0.2.1")})
	resp := c.ReadResources(ctx, providers.ReadResourcesRequest{Objects: objs})
	if resp.Diagnostics.HasErrors() || len(resp.Results) != 301 {
		t.Fatalf("batched read: %v, %d results", resp.Diagnostics, len(resp.Results))
	}
	for i, res := range resp.Results[:300] {
		if res.ID != objs[i].ID || res.Gone || !res.NewState.GetAttr("fqdn").RawEquals(cty.StringVal(objs[i].ID+".example.com.")) {
			t.Fatalf("result %d: %+v", i, res)
		}
	}
	if !resp.Results[300].Gone {
		t.Errorf("missing record not gone: %+v", resp.Results[300])
	}
}

func TestConfigureAndStop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tests := []struct {
		name, file, zone, want string
	}{
		{"new file needs a zone name", filepath.Join(dir, "new.zone"), "", "no zone name was given"},
		{"broken file", writeFile(t, dir, "broken.zone", "www IN A 1.2.3.4\n"), "example.com.", "no $ORIGIN"},
		{"foreign zone", writeFile(t, dir, "other.zone", "$ORIGIN example.org.\n"), "example.com.", "holds zone example.org."},
		{"zone from file", writeFile(t, dir, "ok.zone", "$ORIGIN example.net.\n"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := launch(t)
			d := c.ConfigureProvider(ctx, providers.ConfigureProviderRequest{Config: providerConfig(tt.file, tt.zone)}).Diagnostics
			if tt.want == "" {
				if d.HasErrors() {
					t.Fatal(d.Error())
				}
				return
			}
			if !strings.Contains(d.Error(), tt.want) {
				t.Errorf("got %v, want %q", d, tt.want)
			}
			// An unconfigured provider refuses to touch anything.
			r := c.ImportResource(ctx, providers.ImportResourceRequest{TypeName: "record", ID: "www/A"})
			if !strings.Contains(r.Diagnostics.Error(), "not configured") {
				t.Errorf("import after failed configure: %v", r.Diagnostics)
			}
		})
	}

	t.Run("stop", func(t *testing.T) {
		c, _ := configured(t)
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		// Stop cancels what is in flight; the provider keeps serving.
		www := record("www", "A", noTTL, "192.0.2.1")
		plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "record", PriorState: cty.NullVal(www.Type()), Config: www, ProposedNewState: www})
		apply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "record", PriorState: cty.NullVal(www.Type()), PlannedState: plan.PlannedState}, nil)
		if apply.Diagnostics.HasErrors() || apply.NewState.IsNull() {
			t.Errorf("apply after stop: %v", apply.Diagnostics)
		}
	})
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
