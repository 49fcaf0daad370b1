package jsondoc

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
)

// TestDriftReportNamesInstances: the drift of an app names each instance
// that drifted and how, instead of its whole instances list twice.
func TestDriftReportNamesInstances(t *testing.T) {
	in := func(name, id, status string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(name), "host": cty.StringVal("edge-1"),
			"id": cty.StringVal(id), "status": cty.StringVal(status)})
	}
	appVal := func(image string, instances ...cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"image": cty.StringVal(image), "instances": cty.ListVal(instances)})
	}
	addr, err := addrs.ParseInstance("app.web")
	if err != nil {
		t.Fatal(err)
	}
	p := &plans.Plan{Mode: plans.RefreshOnlyMode, Drift: []*plans.ResourceChange{{
		Addr: addr, Action: plans.Update,
		Before: appVal("web:v1", in("web-1", "c1", "running"), in("web-2", "c2", "running"), in("web-3", "c3", "running")),
		After:  appVal("web:v2", in("web-1", "c1", "exited"), in("web-3", "c3", "running"), in("web-9", "c9", "running")),
	}}}
	got := NewDriftReport(p)
	want := DriftReport{FormatVersion: FormatVersion, Drifted: true, Objects: []DriftObject{{
		Address: "app.web", Action: "update",
		Attributes: []DriftAttribute{{Path: "image", Recorded: "web:v1", Live: "web:v2"}},
		Instances: []DriftInstance{
			{Name: "web-1", Host: "edge-1", ID: "c1", Change: "changed", Attributes: []DriftAttribute{{Path: "status", Recorded: "running", Live: "exited"}}},
			{Name: "web-2", Host: "edge-1", ID: "c2", Change: "missing", Attributes: []DriftAttribute{}},
			{Name: "web-9", Host: "edge-1", ID: "c9", Change: "unrecorded", Attributes: []DriftAttribute{}},
		},
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift report (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	obj := doc["objects"].([]any)[0].(map[string]any)
	for _, a := range obj["attributes"].([]any) {
		if a.(map[string]any)["path"] == "instances" {
			t.Errorf("the whole instances list is an attribute too: %v", a)
		}
	}
}
