package testprovider

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// TestReadSeesEdits: the store cache never hides an edit of the file.
func TestReadSeesEdits(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store.json")
	p := New()
	resp := p.ConfigureProvider(context.Background(), providers.ConfigureProviderRequest{Config: cty.ObjectVal(map[string]cty.Value{
		"store": cty.StringVal(store),
	})})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics)
	}
	obj := &Object{ID: "o-1", Name: "a", Status: "ready"}
	state := obj.State()
	tests := []struct {
		name      string
		value     *string // nil: delete the object
		wantGone  bool
		wantValue cty.Value
	}{
		{"created", ptr("one"), false, cty.StringVal("one")},
		{"edited, same size", ptr("two"), false, cty.StringVal("two")},
		{"edited, longer", ptr("three"), false, cty.StringVal("three")},
		{"deleted", nil, true, cty.NilVal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Store{Objects: map[string]*Object{}}
			if tt.value != nil {
				o := *obj
				o.Value = tt.value
				s.Objects["o-1"] = &o
			}
			if err := WriteStore(store, s); err != nil {
				t.Fatal(err)
			}
			r := p.ReadResources(context.Background(), providers.ReadResourcesRequest{Objects: []providers.ReadObject{
				{ID: "x", TypeName: "object", State: state},
			}}).Results[0]
			if r.Gone != tt.wantGone {
				t.Fatalf("gone = %v, want %v", r.Gone, tt.wantGone)
			}
			if !tt.wantGone && !r.NewState.GetAttr("value").RawEquals(tt.wantValue) {
				t.Errorf("value = %#v, want %#v", r.NewState.GetAttr("value"), tt.wantValue)
			}
		})
	}
}
