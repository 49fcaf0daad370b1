package jsondoc

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/lang"
	_ "github.com/berth-sh/berth/providers/builtin/all" // the platforms, for the apps' providers
	"github.com/berth-sh/berth/version"
	"github.com/berth-sh/berth/views/internal/viewtest"
)

// fullPlan is viewtest.FullPlan with a big rollout, recoveries, and the
// providers named as a real plan names them (by local name), to match
// testdata/config.
func fullPlan() *plans.Plan {
	p := viewtest.FullPlan()
	p.Changes = append(p.Changes, viewtest.BigRolloutChange())
	p.Changes[len(p.Changes)-1].Addr = viewtest.Inst("app", "web", addrs.IntKey(1))
	p.Recovered = viewtest.Recoveries()
	local := map[string]string{"cluster.edge": "docker", "provider.acmedns": "acmedns", "provider.aws": "aws", "": "docker"}
	for _, cs := range [][]*plans.ResourceChange{p.Changes, p.Drift} {
		for _, c := range cs {
			c.Provider = local[c.Provider]
		}
	}
	return p
}

// testConfig loads testdata/config, the configuration of fullPlan.
func testConfig(t *testing.T) *lang.Config {
	t.Helper()
	cfg, diags := lang.LoadDir(filepath.Join("testdata", "config"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// withoutVersion replaces berth's version in a document, which golden
// files must not depend on.
func withoutVersion(doc string) string {
	for _, f := range []string{"berth_version", "terraform_version"} {
		doc = strings.ReplaceAll(doc, `"`+f+`": "`+version.String()+`"`, `"`+f+`": "VERSION"`)
	}
	return doc
}

// TestPlan compares the JSON document of a plan with a golden file
// (go test ./views/jsondoc -update rewrites it), and checks it is valid
// JSON on one line for plan -json.
func TestPlan(t *testing.T) {
	p := fullPlan()
	cfg := testConfig(t)
	doc, err := json.MarshalIndent(NewPlan(p, WithConfig(cfg)), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	viewtest.CheckNoSecret(t, string(doc))
	golden.Check(t, filepath.Join("testdata", "plan_full.golden"), []byte(withoutVersion(string(doc))+"\n"))

	var line bytes.Buffer
	if err := WritePlan(&line, p, WithConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	if strings.Count(line.String(), "\n") != 1 {
		t.Errorf("plan -json line has %d newlines", strings.Count(line.String(), "\n"))
	}
	var v map[string]any
	if err := json.Unmarshal(line.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v["format_version"] != "1.1" {
		t.Errorf("format_version %v", v["format_version"])
	}
}

// TestPlanFormat10 checks that every field of format 1.0 is still in
// the plan document, with the same meaning, for its consumers.
func TestPlanFormat10(t *testing.T) {
	b, err := json.Marshal(NewPlan(fullPlan()))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"format_version", "berth_version", "mode", "variables", "resource_changes", "resource_drift",
		"recovered", "output_changes", "summary", "state_lineage", "state_serial", "config_hash", "targets", "replace", "applyable", "errored"} {
		if _, ok := doc[f]; !ok {
			t.Errorf("the plan document has no %q", f)
		}
	}
	if _, ok := doc["configuration"]; ok {
		t.Error("a plan document made without its configuration has a configuration")
	}
	rc := doc["resource_changes"].([]any)
	var web map[string]any
	for _, c := range rc {
		if c := c.(map[string]any); c["address"] == "app.web" {
			web = c
		}
	}
	if web == nil {
		t.Fatal("no app.web in resource_changes")
	}
	for _, f := range []string{"address", "mode", "type", "name", "provider", "change", "rollout"} {
		if _, ok := web[f]; !ok {
			t.Errorf("app.web's change has no %q", f)
		}
	}
	if web["provider"] != "docker" {
		t.Errorf("provider = %v, want the local name docker", web["provider"])
	}
}
