package testprovider

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// configured returns a test provider configured with a fresh store, with
// the given extra settings.
func configured(t *testing.T, extra map[string]cty.Value) (*Provider, string) {
	t.Helper()
	store := filepath.Join(t.TempDir(), "store.json")
	attrs := map[string]cty.Value{"store": cty.StringVal(store)}
	for k, v := range extra {
		attrs[k] = v
	}
	p := New()
	if r := p.ConfigureProvider(context.Background(), providers.ConfigureProviderRequest{Config: cty.ObjectVal(attrs)}); r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics)
	}
	return p, store
}

func objectPlan(name string, id cty.Value) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"id": id, "name": cty.StringVal(name), "value": cty.NullVal(cty.String),
		"secret": cty.StringVal("pw").Mark(providers.SensitiveMark), "size": cty.NullVal(cty.Number), "status": cty.UnknownVal(cty.String),
	})
}

func storedKey(t *testing.T, store, id string) string {
	t.Helper()
	s, err := ReadStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects[id] == nil {
		t.Fatalf("no object %s in the store", id)
	}
	return s.Objects[id].IdempotencyKey
}

// TestIdempotencyKeyStored: a create stores its key with the object (not
// in its state); an update keeps it; a replacement stores its own.
func TestIdempotencyKeyStored(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(map[bool]string{false: "file", true: "cached"}[cached], func(t *testing.T) {
			ctx := context.Background()
			p, store := configured(t, map[string]cty.Value{"cache_store": cty.BoolVal(cached)})
			apply := func(prior, planned cty.Value, key string) cty.Value {
				t.Helper()
				r := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "object", PriorState: prior, PlannedState: planned, IdempotencyKey: key}, nil)
				if r.Diagnostics.HasErrors() {
					t.Fatal(r.Diagnostics)
				}
				return r.NewState
			}
			st := apply(cty.NullVal(ObjectType), objectPlan("a", cty.UnknownVal(cty.String)), "key-1")
			id := stateID(st)
			if got := storedKey(t, store, id); got != "key-1" {
				t.Errorf("after create: key %q, want key-1", got)
			}
			if st.Type().HasAttribute("idempotency_key") {
				t.Error("the key is part of the state")
			}
			st = apply(st, objectPlan("a", cty.StringVal(id)), "")
			if got := storedKey(t, store, id); got != "key-1" {
				t.Errorf("after update: key %q, want key-1", got)
			}
			st = apply(st, objectPlan("b", cty.UnknownVal(cty.String)), "key-2")
			if got := storedKey(t, store, stateID(st)); stateID(st) == id || got != "key-2" {
				t.Errorf("replacement %s: key %q, want a new object with key-2", stateID(st), got)
			}
		})
	}
}

func TestLookupResources(t *testing.T) {
	ctx := context.Background()
	p, _ := configured(t, map[string]cty.Value{"delay_ms": cty.NumberIntVal(60_000)})
	planned := objectPlan("a", cty.UnknownVal(cty.String))

	// A create cut short (as by a kill of berth, here by Stop) leaves its
	// object "creating", with its key.
	p.Stop(ctx)
	r := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "object", PriorState: cty.NullVal(ObjectType), PlannedState: planned, IdempotencyKey: "key-1"}, nil)
	if !r.Diagnostics.HasErrors() {
		t.Fatal("the apply was not interrupted")
	}
	created := r.NewState

	// Lookups wait delay_ms too: without one from here on.
	p.mu.Lock()
	p.delay = 0
	p.mu.Unlock()
	tests := []struct {
		name      string
		obj       providers.LookupObject
		wantFound bool
		wantState cty.Value
		wantErr   string
	}{
		{"found", providers.LookupObject{TypeName: "object", IdempotencyKey: "key-1", Planned: planned}, true, created, ""},
		{"not found", providers.LookupObject{TypeName: "object", IdempotencyKey: "key-2", Planned: planned}, false, cty.NullVal(ObjectType), ""},
		{"no key", providers.LookupObject{TypeName: "object", Planned: planned}, false, cty.NilVal, "no idempotency key"},
		{"unknown type", providers.LookupObject{TypeName: "gadget", IdempotencyKey: "key-1"}, false, cty.NilVal, "Unknown resource type"},
	}
	req := providers.LookupResourcesRequest{}
	for _, tt := range tests {
		o := tt.obj
		o.ID = tt.name
		req.Objects = append(req.Objects, o)
	}
	resp := p.LookupResources(ctx, req)
	if resp.Diagnostics.HasErrors() || len(resp.Results) != len(tests) {
		t.Fatalf("%v, %d results", resp.Diagnostics, len(resp.Results))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := resp.Results[i]
			if res.ID != tt.name || res.Found != tt.wantFound || !res.State.RawEquals(tt.wantState) {
				t.Errorf("result = %s found %v %#v\nwant found %v %#v", res.ID, res.Found, res.State, tt.wantFound, tt.wantState)
			}
			if got := res.Diagnostics.Error(); (tt.wantErr == "") != (len(res.Diagnostics) == 0) || !strings.Contains(got, tt.wantErr) {
				t.Errorf("diagnostics %q, want %q", got, tt.wantErr)
			}
		})
	}
	if st := resp.Results[0].State; st.GetAttr("status").AsString() != "creating" || !st.GetAttr("secret").HasMark(providers.SensitiveMark) {
		t.Errorf("found object = %#v, want it creating, its secret marked", st)
	}
}

// TestNoLookup: with EnvNoLookup=1 no resource type declares LookupByKey,
// and a lookup asked anyway is an error, never "not found".
func TestNoLookup(t *testing.T) {
	ctx := context.Background()
	p, _ := configured(t, nil)
	if s := p.GetSchema(ctx); !s.ResourceTypes["object"].LookupByKey || !s.ResourceTypes["fleet"].LookupByKey {
		t.Error("LookupByKey not declared by default")
	}
	t.Setenv(EnvNoLookup, "1")
	if s := p.GetSchema(ctx); s.ResourceTypes["object"].LookupByKey || s.ResourceTypes["fleet"].LookupByKey {
		t.Errorf("LookupByKey declared with %s=1", EnvNoLookup)
	}
	r := p.LookupResources(ctx, providers.LookupResourcesRequest{Objects: []providers.LookupObject{{ID: "x", TypeName: "object", IdempotencyKey: "k"}}}).Results[0]
	if r.Found || !strings.Contains(r.Diagnostics.Error(), "Lookup not supported") {
		t.Errorf("lookup with %s=1: %+v", EnvNoLookup, r)
	}
}
