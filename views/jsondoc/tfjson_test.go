package jsondoc

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/views/internal/viewtest"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/zclconf/go-cty/cty"
)

// decodePlan reads a plan document as tools written for Terraform do,
// with HashiCorp's own types, which check the format version.
func decodePlan(t *testing.T, p *plans.Plan, opts ...Option) *tfjson.Plan {
	t.Helper()
	b, err := json.Marshal(NewPlan(p, opts...))
	if err != nil {
		t.Fatal(err)
	}
	viewtest.CheckNoSecret(t, string(b))
	var tp tfjson.Plan
	if err := json.Unmarshal(b, &tp); err != nil {
		t.Fatalf("tfjson cannot read the plan document: %v", err)
	}
	if err := tp.Validate(); err != nil {
		t.Fatalf("tfjson refuses the plan document: %v", err)
	}
	return &tp
}

func findChange(t *testing.T, tp *tfjson.Plan, addr string) *tfjson.ResourceChange {
	t.Helper()
	for _, rc := range tp.ResourceChanges {
		if rc.Address == addr && rc.DeposedKey == "" {
			return rc
		}
	}
	t.Fatalf("no resource_changes entry for %s", addr)
	return nil
}

func stateResourceAt(t *testing.T, what string, m *tfjson.StateModule, addr string) *tfjson.StateResource {
	t.Helper()
	if m == nil {
		t.Fatalf("%s has no root_module", what)
	}
	for _, r := range m.Resources {
		if r.Address == addr && r.DeposedKey == "" {
			return r
		}
	}
	t.Fatalf("%s has no %s", what, addr)
	return nil
}

func findConfigResource(t *testing.T, tp *tfjson.Plan, addr string) *tfjson.ConfigResource {
	t.Helper()
	if tp.Config == nil || tp.Config.RootModule == nil {
		t.Fatal("the plan has no configuration.root_module")
	}
	for _, r := range tp.Config.RootModule.Resources {
		if r.Address == addr {
			return r
		}
	}
	t.Fatalf("configuration has no resource %s", addr)
	return nil
}

// TestTerraformJSONPlan decodes the plan document with
// github.com/hashicorp/terraform-json and checks the fields that policy
// tools and PR-comment bots read.
func TestTerraformJSONPlan(t *testing.T) {
	tp := decodePlan(t, fullPlan(), WithConfig(testConfig(t)))

	if !strings.HasPrefix(tp.FormatVersion, "1.") || tp.TerraformVersion == "" {
		t.Errorf("format_version %q, terraform_version %q", tp.FormatVersion, tp.TerraformVersion)
	}

	// resource_changes: what a policy iterates.
	tests := []struct {
		addr, typ, provider string
		actions             tfjson.Actions
		index               any
	}{
		{"app.web", "app", "docker", tfjson.Actions{tfjson.ActionUpdate}, nil},
		{`acmedns_record.www["eu"]`, "acmedns_record", "acme/dns", tfjson.Actions{tfjson.ActionCreate}, "eu"},
		{"app.api[0]", "app", "docker", tfjson.Actions{tfjson.ActionDelete, tfjson.ActionCreate}, float64(0)},
		{"load_balancer.web", "load_balancer", "aws", tfjson.Actions{tfjson.ActionCreate, tfjson.ActionDelete}, nil},
		{"data.acmedns_zone.main", "acmedns_zone", "acme/dns", tfjson.Actions{tfjson.ActionRead}, nil},
		{"app.legacy", "app", "docker", tfjson.Actions{tfjson.ActionDelete}, nil},
		{"app.noop", "app", "docker", tfjson.Actions{tfjson.ActionNoop}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			rc := findChange(t, tp, tt.addr)
			if rc.Type != tt.typ || rc.ProviderName != tt.provider || rc.Index != tt.index {
				t.Errorf("type %q provider_name %q index %#v; want %q %q %#v", rc.Type, rc.ProviderName, rc.Index, tt.typ, tt.provider, tt.index)
			}
			if rc.Change == nil || !slices.Equal(rc.Change.Actions, tt.actions) {
				t.Fatalf("actions %v, want %v", rc.Change, tt.actions)
			}
			a := rc.Change.Actions
			if (a.Create() || a.Read()) != (rc.Change.Before == nil) {
				t.Errorf("before = %v for %v", rc.Change.Before, a)
			}
			if a.Delete() != (rc.Change.After == nil) {
				t.Errorf("after = %v for %v", rc.Change.After, a)
			}
		})
	}
	web := findChange(t, tp, "app.web")
	if got := web.Change.After.(map[string]any)["image"]; got != "127.0.0.1:5000/shop/web:v2@sha256:bbb222" {
		t.Errorf("app.web after.image = %v", got)
	}
	if got := web.Change.Before.(map[string]any)["image"]; got != "127.0.0.1:5000/shop/web:v1@sha256:aaa111" {
		t.Errorf("app.web before.image = %v", got)
	}
	api := findChange(t, tp, "app.api[0]")
	if api.ActionReason != tfjson.ActionReasonReplaceBecauseCannotUpdate || len(api.Change.ReplacePaths) != 2 {
		t.Errorf("app.api[0]: action_reason %q, replace_paths %v", api.ActionReason, api.Change.ReplacePaths)
	}
	www := findChange(t, tp, `acmedns_record.www["eu"]`)
	if u := www.Change.AfterUnknown.(map[string]any); u["id"] != true || u["target"] != true {
		t.Errorf("after_unknown = %v", u)
	}
	secret := findChange(t, tp, "acmedns_secret.registry")
	if s := secret.Change.AfterSensitive.(map[string]any); s["password"] != true {
		t.Errorf("after_sensitive = %v", s)
	}
	if len(tp.ResourceDrift) != 2 || tp.ResourceDrift[0].ProviderName == "" {
		t.Errorf("resource_drift = %v", tp.ResourceDrift)
	}

	// planned_values: the objects the plan leaves, without the destroyed.
	if tp.PlannedValues == nil {
		t.Fatal("no planned_values")
	}
	pv := stateResourceAt(t, "planned_values", tp.PlannedValues.RootModule, `acmedns_record.www["eu"]`)
	if pv.ProviderName != "acme/dns" || pv.AttributeValues["ttl"] != float64(300) || pv.Index != "eu" {
		t.Errorf("planned acmedns_record.www[\"eu\"] = %+v", pv)
	}
	if _, ok := pv.AttributeValues["id"]; ok {
		t.Error("planned_values shows an attribute known only after apply")
	}
	for _, r := range tp.PlannedValues.RootModule.Resources {
		if r.Address == "app.legacy" {
			t.Error("planned_values holds an object the plan destroys")
		}
	}
	if o := tp.PlannedValues.Outputs["replicas"]; o == nil || o.Value != float64(8) {
		t.Errorf("planned output replicas = %+v", o)
	}
	if o := tp.PlannedValues.Outputs["db_password"]; o == nil || !o.Sensitive || o.Value != nil {
		t.Errorf("planned output db_password = %+v", o)
	}

	// prior_state: the refreshed state, a state document of its own.
	if tp.PriorState == nil || tp.PriorState.Values == nil {
		t.Fatal("no prior_state")
	}
	if err := tp.PriorState.Validate(); err != nil {
		t.Error(err)
	}
	prior := stateResourceAt(t, "prior_state", tp.PriorState.Values.RootModule, "app.legacy")
	if prior.AttributeValues["id"] != "legacy" || prior.ProviderName != "docker" {
		t.Errorf("prior app.legacy = %+v", prior)
	}
	if o := tp.PriorState.Values.Outputs["old"]; o == nil || o.Value != "gone" {
		t.Errorf("prior output old = %+v", o)
	}

	// configuration: the expressions a policy checks references in.
	img := findConfigResource(t, tp, "app.web").Expressions["image"]
	if img == nil || !slices.Contains(img.References, "var.tag") {
		t.Errorf("app.web image expression = %+v", img)
	}
	if c := findConfigResource(t, tp, "app.web"); c.ProviderConfigKey != "docker" || c.Expressions["replicas"].ConstantValue != float64(6) {
		t.Errorf("app.web: provider_config_key %q, replicas %+v", c.ProviderConfigKey, c.Expressions["replicas"])
	}
	ports := findConfigResource(t, tp, "app.web").Expressions["port"]
	if ports == nil || len(ports.NestedBlocks) != 2 || ports.NestedBlocks[1]["name"].ConstantValue != "admin" {
		t.Errorf("app.web port blocks = %+v", ports)
	}
	if c := findConfigResource(t, tp, "acmedns_record.www"); c.ForEachExpression == nil || !slices.Contains(c.Expressions["zone"].References, "local.zone") {
		t.Errorf("acmedns_record.www = %+v", c)
	}
	if e := findConfigResource(t, tp, "acmedns_secret.registry").Expressions["password"]; e == nil || e.ConstantValue != nil {
		t.Errorf("a sensitive argument shows its constant: %+v", e)
	}
	if e := findConfigResource(t, tp, "acmedns_record.unplanned").Expressions["name"]; e == nil || e.ConstantValue != nil {
		t.Errorf("an argument of a resource the plan has no value of shows its constant: %+v", e)
	}
	if lb := findConfigResource(t, tp, "load_balancer.web"); !slices.Equal(lb.DependsOn, []string{"app.web"}) {
		t.Errorf("load_balancer.web depends_on %v", lb.DependsOn)
	}
	if pc := tp.Config.ProviderConfigs["acmedns"]; pc == nil || pc.FullName != "acme/dns" || pc.VersionConstraint != "~> 1.2" {
		t.Errorf("provider_config acmedns = %+v", pc)
	}
	if o := tp.Config.RootModule.Outputs["url"]; o == nil || !slices.Contains(o.Expression.References, `acmedns_record.www["eu"]`) {
		t.Errorf("output url = %+v", o)
	}

	// output_changes.
	if oc := tp.OutputChanges["replicas"]; oc == nil || !oc.Actions.Update() || oc.Before != float64(6) || oc.After != float64(8) {
		t.Errorf("output_changes replicas = %+v", oc)
	}
	if oc := tp.OutputChanges["db_password"]; oc == nil || oc.Before != nil || oc.AfterSensitive != true {
		t.Errorf("output_changes db_password = %+v", oc)
	}

	if len(tp.RelevantAttributes) == 0 {
		t.Error("no relevant_attributes")
	}
	if tp.Complete == nil || *tp.Complete {
		t.Errorf("complete = %v for a targeted plan", tp.Complete)
	}
}

// TestTerraformJSONRefreshOnly: a refresh-only plan shows what it found
// of the drifted objects as both its prior and its planned state.
func TestTerraformJSONRefreshOnly(t *testing.T) {
	p := fullPlan()
	p.Mode, p.Changes, p.Outputs, p.Targets = plans.RefreshOnlyMode, nil, nil, nil
	tp := decodePlan(t, p)
	if len(tp.ResourceChanges) != 0 || len(tp.ResourceDrift) != 2 {
		t.Fatalf("resource_changes %d, resource_drift %d", len(tp.ResourceChanges), len(tp.ResourceDrift))
	}
	for what, m := range map[string]*tfjson.StateModule{"prior_state": tp.PriorState.Values.RootModule, "planned_values": tp.PlannedValues.RootModule} {
		if r := stateResourceAt(t, what, m, "app.web"); r.AttributeValues["replicas"] != float64(4) {
			t.Errorf("%s app.web replicas = %v, want the live 4", what, r.AttributeValues["replicas"])
		}
		if len(m.Resources) != 1 {
			t.Errorf("%s has %d objects; the deleted drifted one is not there", what, len(m.Resources))
		}
	}
	if tp.Config != nil {
		t.Error("configuration without WithConfig")
	}
}

// TestTerraformJSONState decodes the state document with
// github.com/hashicorp/terraform-json.
func TestTerraformJSONState(t *testing.T) {
	b, err := json.Marshal(NewState(testState(), WithProviderSources(testConfig(t))))
	if err != nil {
		t.Fatal(err)
	}
	var ts tfjson.State
	ts.UseJSONNumber(true)
	if err := json.Unmarshal(b, &ts); err != nil {
		t.Fatalf("tfjson cannot read the state document: %v", err)
	}
	if err := ts.Validate(); err != nil {
		t.Fatal(err)
	}
	if ts.Values == nil || ts.Values.RootModule == nil || len(ts.Values.RootModule.ChildModules) != 0 {
		t.Fatalf("values = %+v", ts.Values)
	}
	rs := ts.Values.RootModule.Resources
	if len(rs) != 4 {
		t.Fatalf("%d objects, want 4 (one deposed)", len(rs))
	}
	web := stateResourceAt(t, "values", ts.Values.RootModule, `app.web["eu"]`)
	if web.ProviderName != "docker" || web.AttributeValues["id"] != "web-eu" || web.AttributeValues["password"] != nil ||
		!slices.Equal(web.DependsOn, []string{"data.acmedns_zone.main"}) || string(web.SensitiveValues) != `{"password":true}` {
		t.Errorf("app.web[\"eu\"] = %+v", web)
	}
	rec := stateResourceAt(t, "values", ts.Values.RootModule, "acmedns_record.www[0]")
	if !rec.Tainted || rec.SchemaVersion != 2 || rec.Index != json.Number("0") || rec.ProviderName != "acme/dns" {
		t.Errorf("acmedns_record.www[0] = %+v", rec)
	}
	if d := rs[1]; d.DeposedKey != "0a1b2c3d" || d.Address != "acmedns_record.www[0]" {
		t.Errorf("deposed object = %+v", d)
	}
	if zone := stateResourceAt(t, "values", ts.Values.RootModule, "data.acmedns_zone.main"); zone.Mode != tfjson.DataResourceMode {
		t.Errorf("data source mode %q", zone.Mode)
	}
	if o := ts.Values.Outputs["url"]; o == nil || o.Value != "http://edge-1" || o.Type != cty.String {
		t.Errorf("output url = %+v", o)
	}
	if o := ts.Values.Outputs["secret"]; o == nil || !o.Sensitive || o.Value != nil {
		t.Errorf("output secret = %+v", o)
	}
}

// TestTerraformJSONIndex: Terraform's index is a number for count and a
// string for for_each, absent otherwise, in every section.
func TestTerraformJSONIndex(t *testing.T) {
	p := &plans.Plan{Mode: plans.NormalMode, Changes: []*plans.ResourceChange{{
		Addr: viewtest.Inst("app", "w", addrs.IntKey(0)), Provider: "docker", Action: plans.NoOp,
		Before: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("w0")}), After: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("w0")}),
	}}}
	tp := decodePlan(t, p)
	if rc := findChange(t, tp, "app.w[0]"); rc.Index != float64(0) {
		t.Errorf("resource_changes index %#v", rc.Index)
	}
	if r := stateResourceAt(t, "planned_values", tp.PlannedValues.RootModule, "app.w[0]"); r.Index != float64(0) {
		t.Errorf("planned_values index %#v", r.Index)
	}
	if tp.Complete == nil || !*tp.Complete {
		t.Error("an untargeted plan is not complete")
	}
}
