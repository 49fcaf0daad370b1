package sdk

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// withPlain adds resource type "plain": a widget without Lookup.
func withPlain(t *testing.T, p *Provider[providerConfig]) {
	t.Helper()
	plain := *p.Resources["widget"].(*Resource[widget])
	plain.Lookup = nil
	p.Resources["plain"] = &plain
}

func TestLookupByKeyInSchema(t *testing.T) {
	p := newTestProvider(&testEnv{})
	withPlain(t, p)
	resp := p.GetSchema(context.Background())
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	if !resp.ResourceTypes["widget"].LookupByKey {
		t.Error("widget has Lookup but its schema does not say LookupByKey")
	}
	if resp.ResourceTypes["plain"].LookupByKey {
		t.Error("plain has no Lookup but its schema says LookupByKey")
	}
}

// TestIdempotencyKeyReachesCreate: the key of an apply reaches Create
// through its context, and only a create.
func TestIdempotencyKeyReachesCreate(t *testing.T) {
	p, env := configured(t)
	ctx := context.Background()
	if k := IdempotencyKey(ctx); k != "" {
		t.Errorf("IdempotencyKey outside an apply = %q", k)
	}
	c := cfg(p, map[string]cty.Value{"name": cty.StringVal("a")})
	resp := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "widget", PriorState: cty.NullVal(c.Type()), PlannedState: plan(t, p, cty.NilVal, c), IdempotencyKey: "k-1",
	}, nil)
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	if env.keys["k-1"] != "w-a" {
		t.Errorf("keys = %v, want k-1 on w-a", env.keys)
	}
	c2 := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "size": cty.NumberIntVal(2)})
	resp = p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "widget", PriorState: resp.NewState, PlannedState: plan(t, p, resp.NewState, c2), IdempotencyKey: "k-2",
	}, nil)
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	if env.updateKeys != 0 {
		t.Error("an Update saw an idempotency key")
	}

	// ApplyStep of a create gets it too.
	var stepKey string
	p.Resources["widget"].(*Resource[widget]).ApplyStep = func(ctx context.Context, _ providers.RolloutStep, _, planned widget) (*widget, error) {
		stepKey = IdempotencyKey(ctx)
		planned.ID = "w-" + planned.Name
		return &planned, nil
	}
	c3 := cfg(p, map[string]cty.Value{"name": cty.StringVal("b")})
	resp = p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "widget", PriorState: cty.NullVal(c3.Type()), PlannedState: plan(t, p, cty.NilVal, c3), IdempotencyKey: "k-3",
		Step: providers.RolloutStep{Kind: providers.StepStart, Wave: 1},
	}, nil)
	if resp.Diagnostics.HasErrors() || stepKey != "k-3" {
		t.Errorf("ApplyStep of a create saw key %q (%v), want k-3", stepKey, resp.Diagnostics)
	}
}

func TestLookupResources(t *testing.T) {
	env := &testEnv{}
	p := newTestProvider(env)
	withPlain(t, p)
	ctx := context.Background()
	if d := p.LookupResources(ctx, providers.LookupResourcesRequest{}).Diagnostics; !strings.Contains(d.Error(), "not configured") {
		t.Errorf("lookup before configure: %v", d)
	}
	if d := p.ConfigureProvider(ctx, providers.ConfigureProviderRequest{Config: cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("eu")})}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Error())
	}
	c := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "secret": cty.StringVal("pw"), "note": cty.StringVal("n").Mark(providers.SensitiveMark)})
	planned := plan(t, p, cty.NilVal, c)
	created := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "widget", PriorState: cty.NullVal(c.Type()), PlannedState: planned, IdempotencyKey: "k-a",
	}, nil)
	if created.Diagnostics.HasErrors() {
		t.Fatal(created.Diagnostics.Error())
	}
	other := plan(t, p, cty.NilVal, cfg(p, map[string]cty.Value{"name": cty.StringVal("b")}))

	tests := []struct {
		name      string
		obj       providers.LookupObject
		wantFound bool
		wantErr   string // in the result's diagnostics; "" for none
	}{
		{"found", providers.LookupObject{TypeName: "widget", IdempotencyKey: "k-a", Planned: planned}, true, ""},
		{"not found", providers.LookupObject{TypeName: "widget", IdempotencyKey: "k-never", Planned: other}, false, ""},
		{"planned reaches Lookup", providers.LookupObject{TypeName: "widget", IdempotencyKey: "k-a", Planned: other}, false, ""},
		{"error", providers.LookupObject{TypeName: "widget", IdempotencyKey: "unreachable", Planned: other}, false, "Cannot look up widget"},
		{"no key", providers.LookupObject{TypeName: "widget", Planned: other}, false, "No idempotency key"},
		{"type without Lookup", providers.LookupObject{TypeName: "plain", IdempotencyKey: "k-a", Planned: planned}, false, "Lookup not supported"},
		{"unknown type", providers.LookupObject{TypeName: "gadget", IdempotencyKey: "k-a"}, false, `no resource type named "gadget"`},
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
			r := resp.Results[i]
			if r.ID != tt.name {
				t.Fatalf("result %d is %q, want %q", i, r.ID, tt.name)
			}
			if r.Found != tt.wantFound {
				t.Errorf("found = %v, want %v", r.Found, tt.wantFound)
			}
			if tt.wantErr == "" && r.Diagnostics.HasErrors() {
				t.Errorf("diagnostics: %s", r.Diagnostics.Error())
			}
			if tt.wantErr != "" && !strings.Contains(r.Diagnostics.Error(), tt.wantErr) {
				t.Errorf("diagnostics %v, want %q", r.Diagnostics, tt.wantErr)
			}
			switch {
			case tt.wantFound && !r.State.RawEquals(created.NewState):
				// The created state, sensitive marks (the schema's and
				// the configuration's) included.
				t.Errorf("state = %#v\nwant %#v", r.State, created.NewState)
			case !tt.wantFound && r.State != cty.NilVal && !r.State.IsNull():
				t.Errorf("state of a result not found = %#v, want null", r.State)
			}
		})
	}
}

// TestLookupParallelism: a batch is looked up concurrently, at most
// ReadParallelism at once.
func TestLookupParallelism(t *testing.T) {
	p, _ := configured(t)
	p.ReadParallelism = 3
	var inFlight, peak atomic.Int32
	var mu sync.Mutex
	// Every call waits until another one runs beside it: proof of
	// concurrency without relying on timing (the bound is there to fail
	// a sequential implementation, not to pace a correct one).
	two := make(chan struct{})
	var once sync.Once
	p.Resources["widget"].(*Resource[widget]).Lookup = func(ctx context.Context, key string, _ widget) (*widget, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		mu.Lock()
		peak.Store(max(peak.Load(), n))
		mu.Unlock()
		if n >= 2 {
			once.Do(func() { close(two) })
		}
		select {
		case <-two:
		case <-time.After(10 * time.Second):
		}
		return nil, ErrNotFound
	}
	var req providers.LookupResourcesRequest
	for range 20 {
		req.Objects = append(req.Objects, providers.LookupObject{TypeName: "widget", IdempotencyKey: "k"})
	}
	if resp := p.LookupResources(context.Background(), req); resp.Diagnostics.HasErrors() || len(resp.Results) != 20 {
		t.Fatalf("%v, %d results", resp.Diagnostics, len(resp.Results))
	}
	if got := peak.Load(); got < 2 || got > 3 {
		t.Errorf("peak concurrency %d, want 2..3", got)
	}
}
