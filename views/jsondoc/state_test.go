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

// TestState compares the state document with a golden file: objects by
// address with their sensitive parts null and flagged, outputs without
// the values of sensitive ones.
func TestState(t *testing.T) {
	const testSecret = "hunter2-s3cr3t"
	st := state.New()
	st.Lineage, st.Serial = "8a0c1f0e-0000-4000-8000-000000000000", 3
	web := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}
	zone := addrs.Resource{Mode: addrs.Data, Type: "acmedns_zone", Name: "main"}
	st.SetInstance(zone.Instance(nil), "provider.acmedns", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("z-1")})})
	st.SetInstance(web.Instance(addrs.StringKey("eu")), "cluster.edge", &state.Object{
		Value: cty.ObjectVal(map[string]cty.Value{
			"id":       cty.StringVal("web-eu"),
			"password": cty.StringVal(testSecret).Mark(state.SensitiveMark),
		}),
		Dependencies: []addrs.Resource{zone},
	})
	st.Outputs = map[string]*state.Output{
		"url":    {Value: cty.StringVal("http://edge-1")},
		"secret": {Value: cty.StringVal(testSecret), Sensitive: true},
	}
	doc, err := json.MarshalIndent(NewState(st), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(string(doc), `"berth_version": "`+NewState(nil).BerthVersion+`"`, `"berth_version": "VERSION"`)
	if strings.Contains(got, testSecret) {
		t.Errorf("the state document shows a secret:\n%s", got)
	}
	golden.Check(t, filepath.Join("testdata", "state.golden"), []byte(got+"\n"))
}
