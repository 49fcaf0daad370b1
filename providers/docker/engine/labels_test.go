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
	if _, ok := m[LabelCreateKey]; ok {
		t.Errorf("labels of a container made by an update carry a create key: %v", m)
	}
	in.CreateKey = "k-1"
	if m := in.Map(); m["sh.berth.create-key"] != "k-1" {
		t.Errorf("labels of a create's container: %v", m)
	}
	if out, _ := ParseLabels(in.Map()); out.CreateKey != "k-1" {
		t.Errorf("create key read back as %q", out.CreateKey)
	}
	if _, ok := ParseLabels(map[string]string{LabelApp: "web"}); ok {
		t.Error("a container without sh.berth.managed=true read as berth's")
	}
}
