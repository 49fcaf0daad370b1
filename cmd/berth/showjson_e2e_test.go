package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// TestE2EShowJSONTerraform reads what `plan -json`, `show -json PLAN` and
// `show -json` print with github.com/hashicorp/terraform-json, as policy
// tools written for Terraform do.
func TestE2EShowJSONTerraform(t *testing.T) {
	const config = `
variable "size" {
  type    = number
  default = 3
}

resource "test_object" "a" {
  name = "a"
  size = var.size
}

resource "test_object" "b" {
  name  = "b"
  value = test_object.a.id
}
`
	e := newE2E(t, config)
	readPlan := func(what, out string) *tfjson.Plan {
		t.Helper()
		var p tfjson.Plan
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("%s: tfjson cannot read the plan: %v\n%s", what, err, out)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return &p
	}
	checkPlan := func(what string, p *tfjson.Plan, withConfig bool) {
		t.Helper()
		var addrs []string
		for _, rc := range p.ResourceChanges {
			addrs = append(addrs, rc.Address)
			if rc.ProviderName != "berth-test/test" || !rc.Change.Actions.Create() || rc.Change.Before != nil {
				t.Errorf("%s: %s: provider_name %q, change %+v", what, rc.Address, rc.ProviderName, rc.Change)
			}
		}
		if !slices.Equal(addrs, []string{"test_object.a", "test_object.b"}) {
			t.Errorf("%s: resource_changes %v", what, addrs)
		}
		if p.PlannedValues == nil || p.PlannedValues.RootModule == nil || len(p.PlannedValues.RootModule.Resources) != 2 ||
			p.PlannedValues.RootModule.Resources[0].AttributeValues["size"] != float64(3) {
			t.Errorf("%s: planned_values %+v", what, p.PlannedValues)
		}
		if p.PriorState == nil {
			t.Errorf("%s: no prior_state", what)
		}
		if !withConfig {
			if p.Config != nil {
				t.Errorf("%s: a configuration that is not the plan's", what)
			}
			return
		}
		if p.Config == nil || p.Config.RootModule == nil || len(p.Config.RootModule.Resources) != 2 {
			t.Fatalf("%s: configuration %+v", what, p.Config)
		}
		b := p.Config.RootModule.Resources[1]
		if b.Address != "test_object.b" || !slices.Equal(b.Expressions["value"].References, []string{"test_object.a.id", "test_object.a"}) ||
			b.ProviderConfigKey != "test" {
			t.Errorf("%s: configuration of test_object.b: %+v %+v", what, b, b.Expressions["value"])
		}
		if pc := p.Config.ProviderConfigs["test"]; pc == nil || pc.FullName != "berth-test/test" {
			t.Errorf("%s: provider_config %+v", what, p.Config.ProviderConfigs)
		}
	}

	r := e.expect(2, "plan", "-json", "-detailed-exitcode", "-out=p.plan")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	checkPlan("plan -json", readPlan("plan -json", lines[len(lines)-1]), true)
	checkPlan("show -json PLAN", readPlan("show -json PLAN", e.ok("show", "-json", "p.plan").stdout), true)

	// Once the files change, they are not the plan's configuration.
	e.write(config + "\n# edited\n")
	checkPlan("show -json PLAN after an edit", readPlan("show -json PLAN after an edit", e.ok("show", "-json", "p.plan").stdout), false)
	e.write(config)

	e.ok("apply", "p.plan")
	out := e.ok("show", "-json").stdout
	var st tfjson.State
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("tfjson cannot read the state: %v\n%s", err, out)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	if st.Values == nil || st.Values.RootModule == nil || len(st.Values.RootModule.Resources) != 2 {
		t.Fatalf("state values %+v", st.Values)
	}
	a, b := st.Values.RootModule.Resources[0], st.Values.RootModule.Resources[1]
	if a.Address != "test_object.a" || a.ProviderName != "berth-test/test" || a.AttributeValues["id"] == nil ||
		b.AttributeValues["value"] != a.AttributeValues["id"] || !slices.Equal(b.DependsOn, []string{"test_object.a"}) {
		t.Errorf("state objects %+v %+v", a, b)
	}
}
