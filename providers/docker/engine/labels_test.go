package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLabelsRoundTrip(t *testing.T) {
	in := InstanceLabels{ID: "lineage-1", App: "web", Instance: "web-3", ConfigHash: "abc", Image: "r/web:v1", CPURequest: 500, MemoryRequest: 1 << 29}
	m := in.Map()
	if m[LabelManaged] != "true" || m["sh.berth.instance"] != "web-3" || m["sh.berth.cpu-request"] != "500" {
		t.Errorf("labels %v", m)
	}
	out, ok := ParseLabels(m)
	if !ok {
		t.Fatal("ParseLabels: not berth's")
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	if _, ok := ParseLabels(map[string]string{LabelApp: "web"}); ok {
		t.Error("a container without sh.berth.managed=true read as berth's")
	}
}
