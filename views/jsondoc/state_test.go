package jsondoc

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/state"
	"github.com/zclconf/go-cty/cty"
)

const stateSecret = "hunter2-s3cr3t"

// testState has a managed object with a secret and a dependency, a data
// source, a tainted counted instance with a deposed object, and two
// outputs, one sensitive.
func testState() *state.State {
	st := state.New()
	st.Lineage, st.Serial = "8a0c1f0e-0000-4000-8000-000000000000", 3
	web := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}
	zone := addrs.Resource{Mode: addrs.Data, Type: "acmedns_zone", Name: "main"}
	rec := addrs.Resource{Mode: addrs.Managed, Type: "acmedns_record", Name: "www"}
	st.SetInstance(zone.Instance(nil), "acmedns", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("z-1")})})
	st.SetInstance(web.Instance(addrs.StringKey("eu")), "docker", &state.Object{
		Value: cty.ObjectVal(map[string]cty.Value{
			"id":       cty.StringVal("web-eu"),
			"password": cty.StringVal(stateSecret).Mark(state.SensitiveMark),
		}),
		Dependencies: []addrs.Resource{zone},
	})
	st.SetInstance(rec.Instance(addrs.IntKey(0)), "acmedns", &state.Object{
		Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("r-2"), "ttl": cty.NumberIntVal(60)}), SchemaVersion: 2, Status: state.ObjectTainted})
	st.AddDeposed(&state.Deposed{Addr: rec.Instance(addrs.IntKey(0)), Key: "0a1b2c3d", Provider: "acmedns",
		Object: &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("r-1"), "ttl": cty.NumberIntVal(60)}), SchemaVersion: 2}})
	st.Outputs = map[string]*state.Output{
		"url":    {Value: cty.StringVal("http://edge-1")},
		"secret": {Value: cty.StringVal(stateSecret), Sensitive: true},
	}
	return st
}

// TestState compares the state document with a golden file: objects by
// address with their sensitive parts null and flagged, outputs without
// the values of sensitive ones, in Terraform's values.root_module and in
// format 1.0's resources and outputs.
func TestState(t *testing.T) {
	doc, err := json.MarshalIndent(NewState(testState(), WithProviderSources(testConfig(t))), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got := withoutVersion(string(doc))
	if strings.Contains(got, stateSecret) {
		t.Errorf("the state document shows a secret:\n%s", got)
	}
	golden.Check(t, filepath.Join("testdata", "state.golden"), []byte(got+"\n"))
}

// TestStateEmpty: no state is a document with nothing in it, never null
// arrays.
func TestStateEmpty(t *testing.T) {
	b, err := json.Marshal(NewState(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"resources":[]`, `"outputs":{}`, `"values":{"outputs":{},"root_module":{"resources":[],"child_modules":[]}}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("empty state document lacks %s:\n%s", want, b)
		}
	}
}
