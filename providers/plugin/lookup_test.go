package plugin

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/protocol"
)

// lookupFake answers LookupResources from found (by idempotency key) and
// records what it was asked.
type lookupFake struct {
	providers.Interface
	found map[string]cty.Value
	got   []providers.LookupObject
}

func (f *lookupFake) LookupResources(_ context.Context, req providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	f.got = req.Objects
	var resp providers.LookupResourcesResponse
	for _, o := range req.Objects {
		r := providers.LookupResult{ID: o.ID, State: cty.NullVal(cty.DynamicPseudoType)}
		if st, ok := f.found[o.IdempotencyKey]; ok {
			r.Found, r.State, r.Private = true, st, []byte("p-"+o.ID)
		}
		if o.IdempotencyKey == "bad" {
			r.Diagnostics = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "API down"}}
		}
		resp.Results = append(resp.Results, r)
	}
	return resp
}

// inProcess connects a Client to srv served on an in-memory connection;
// desc is the service as the provider's build knows it.
func inProcess(t *testing.T, desc *grpc.ServiceDesc, srv protocol.ProviderServer) *Client {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	gs.RegisterService(desc, srv)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///buf",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// The go-plugin client only answers Exited (false): nothing was started.
	pc := goplugin.NewClient(&goplugin.ClientConfig{})
	return &Client{name: "acme/dns", plugin: pc, rpc: protocol.NewProviderClient(conn), tail: newStderrTail(), stop: func() {}}
}

// TestLookupResourcesMapping: objects and results cross both ways whole:
// keys, planned states with their sensitive marks, found states, private
// data and per-result diagnostics, in order.
func TestLookupResourcesMapping(t *testing.T) {
	s := providers.SensitiveMark
	state := cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("o-1"), "secret": cty.StringVal("pw").Mark(s)})
	planned := cty.ObjectVal(map[string]cty.Value{"id": cty.UnknownVal(cty.String), "secret": cty.StringVal("pw").Mark(s)})
	fake := &lookupFake{found: map[string]cty.Value{"k-1": state}}
	c := inProcess(t, &protocol.Provider_ServiceDesc, &server{impl: fake})
	req := providers.LookupResourcesRequest{Objects: []providers.LookupObject{
		{ID: "object.a", TypeName: "object", IdempotencyKey: "k-1", Planned: planned},
		{ID: "object.b", TypeName: "object", IdempotencyKey: "k-2", Planned: planned},
		{ID: "object.c", TypeName: "object", IdempotencyKey: "bad"},
	}}
	resp := c.LookupResources(context.Background(), req)
	if resp.Diagnostics.HasErrors() || len(resp.Results) != 3 {
		t.Fatalf("%v, %d results", resp.Diagnostics, len(resp.Results))
	}
	for i, o := range fake.got {
		w := req.Objects[i]
		if o.ID != w.ID || o.TypeName != w.TypeName || o.IdempotencyKey != w.IdempotencyKey || !o.Planned.RawEquals(w.Planned) {
			t.Errorf("provider got object %d = %#v, want %#v", i, o, w)
		}
	}
	if r := resp.Results[0]; r.ID != "object.a" || !r.Found || !r.State.RawEquals(state) || string(r.Private) != "p-object.a" {
		t.Errorf("found result = %#v", r)
	}
	if r := resp.Results[1]; r.ID != "object.b" || r.Found || !r.State.IsNull() || r.Diagnostics.HasErrors() {
		t.Errorf("not-found result = %#v", r)
	}
	if r := resp.Results[2]; r.ID != "object.c" || r.Found || len(r.Diagnostics) != 1 || r.Diagnostics[0].Summary != "API down" {
		t.Errorf("failed result = %#v", r)
	}
}

// TestLookupResourcesOldPlugin: a provider built before LookupResources
// existed (its service has no such method) gets a diagnostic that says
// so, and its schemas say LookupByKey=false.
func TestLookupResourcesOldPlugin(t *testing.T) {
	old := protocol.Provider_ServiceDesc
	old.Methods = slices.DeleteFunc(slices.Clone(old.Methods), func(m grpc.MethodDesc) bool { return m.MethodName == "LookupResources" })
	c := inProcess(t, &old, &server{impl: &lookupFake{}})
	resp := c.LookupResources(context.Background(), providers.LookupResourcesRequest{Objects: []providers.LookupObject{
		{ID: "object.a", TypeName: "object", IdempotencyKey: "k-1"},
	}})
	if len(resp.Diagnostics) != 1 || !resp.Diagnostics.HasErrors() ||
		resp.Diagnostics[0].Summary != "Provider acme/dns cannot look up objects" ||
		!strings.Contains(resp.Diagnostics[0].Detail, "built before") {
		t.Errorf("diagnostics = %v", resp.Diagnostics)
	}

	// An old schema has no lookup_by_key.
	sc, err := decodeSchema(&protocol.Schema{Version: 1})
	if err != nil || sc.LookupByKey {
		t.Errorf("schema without lookup_by_key: %+v, %v", sc, err)
	}
}
