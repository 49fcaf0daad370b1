package testprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
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

// TestCachedStore: with cache_store, the file written after each apply is
// exactly json.Marshal of the store, and an edit of the file (of another
// size) is seen by the next call, apply or read.
func TestCachedStore(t *testing.T) {
	ctx := context.Background()
	store := filepath.Join(t.TempDir(), "store.json")
	p := New()
	resp := p.ConfigureProvider(ctx, providers.ConfigureProviderRequest{Config: cty.ObjectVal(map[string]cty.Value{
		"store": cty.StringVal(store), "cache_store": cty.True,
	})})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics)
	}
	apply := func(name string, prior cty.Value) cty.Value {
		t.Helper()
		planned := cty.ObjectVal(map[string]cty.Value{
			"id": cty.UnknownVal(cty.String), "name": cty.StringVal(name), "value": cty.StringVal("v"),
			"secret": cty.NullVal(cty.String), "size": cty.NullVal(cty.Number), "status": cty.UnknownVal(cty.String),
		})
		if !prior.IsNull() {
			planned = cty.NullVal(ObjectType)
		}
		r := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "object", PriorState: prior, PlannedState: planned}, nil)
		if r.Diagnostics.HasErrors() {
			t.Fatal(r.Diagnostics)
		}
		return r.NewState
	}
	check := func(want int) *Store {
		t.Helper()
		s, err := ReadStore(store)
		if err != nil {
			t.Fatal(err)
		}
		want2, _ := json.Marshal(s)
		got, _ := os.ReadFile(store)
		if string(got) != string(want2) {
			t.Fatalf("store file:\n%s\nwant json.Marshal of it:\n%s", got, want2)
		}
		if len(s.Objects) != want {
			t.Fatalf("%d objects stored, want %d", len(s.Objects), want)
		}
		return s
	}
	var states []cty.Value
	for i := range 12 { // o-1 .. o-12: IDs whose string order is not numeric
		states = append(states, apply(fmt.Sprintf("n%d", i), cty.NullVal(ObjectType)))
	}
	check(12)
	apply("", states[3]) // delete o-4
	s := check(11)

	// Behind the provider's back: an edit and a new object.
	s.Objects["o-1"].Value = ptr("edited behind its back")
	s.Objects["x-1"] = &Object{ID: "x-1", Name: "manual", Status: "ready"}
	if err := WriteStore(store, s); err != nil {
		t.Fatal(err)
	}
	r := p.ReadResources(ctx, providers.ReadResourcesRequest{Objects: []providers.ReadObject{{ID: "a", TypeName: "object", State: states[0]}}})
	if v := r.Results[0].NewState.GetAttr("value"); v.AsString() != "edited behind its back" {
		t.Errorf("read after an edit: value = %#v", v)
	}
	apply("n12", cty.NullVal(ObjectType))
	s = check(13)
	if s.Objects["x-1"] == nil || *s.Objects["o-1"].Value != "edited behind its back" {
		t.Error("an apply after an edit of the file lost the edit")
	}
}

// TestCachedStoreConcurrentApplies: concurrent applies share writes, and
// each one's object is in the file when its call returns.
func TestCachedStoreConcurrentApplies(t *testing.T) {
	ctx := context.Background()
	store := filepath.Join(t.TempDir(), "store.json")
	p := New()
	if r := p.ConfigureProvider(ctx, providers.ConfigureProviderRequest{Config: cty.ObjectVal(map[string]cty.Value{
		"store": cty.StringVal(store), "cache_store": cty.True,
	})}); r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 25 {
				planned := cty.ObjectVal(map[string]cty.Value{
					"id": cty.UnknownVal(cty.String), "name": cty.StringVal(fmt.Sprintf("w%d-%d", w, i)), "value": cty.NullVal(cty.String),
					"secret": cty.NullVal(cty.String), "size": cty.NullVal(cty.Number), "status": cty.UnknownVal(cty.String),
				})
				r := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "object", PriorState: cty.NullVal(ObjectType), PlannedState: planned}, nil)
				if r.Diagnostics.HasErrors() {
					t.Error(r.Diagnostics)
					return
				}
				s, err := ReadStore(store)
				if err != nil {
					t.Error(err)
					return
				}
				if id := r.NewState.GetAttr("id").AsString(); s.Objects[id] == nil || s.Objects[id].Status != "ready" {
					t.Errorf("%s is not in the file when its apply returns", id)
				}
			}
		})
	}
	wg.Wait()
	s, err := ReadStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Objects) != 200 || s.NextID != 200 {
		t.Errorf("%d objects, next_id %d; want 200", len(s.Objects), s.NextID)
	}
}
