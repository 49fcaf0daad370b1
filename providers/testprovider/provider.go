// Package testprovider is a small provider for berth's own tests. It
// implements providers.Interface directly (not through the SDK) so that
// the plugin machinery can be tested on its own, and it can misbehave on
// request: delay calls, panic during an apply, exit during the handshake,
// speak another protocol version.
//
// Resource type "object" { id (computed), name (required, forces
// replacement), value, secret (sensitive), size, status (computed) } lives
// in a JSON file named by the provider's `store` setting; tests edit that
// file to inject drift. Resource type "fleet" is an app in miniature whose
// changes roll out in waves (see fleet.go). Data source "echo" returns its
// `input` as `output`.
//
// Both resource types keep the idempotency key of the create that made
// them in the store (`idempotency_key`, not part of the state), declare
// LookupByKey and are found by it with LookupResources (see lookup.go);
// BERTH_TEST_PROVIDER_NO_LOOKUP=1 makes them declare LookupByKey=false.
//
// Provider configuration:
//
//	store          = "/path/store.json"  # required
//	delay_ms       = 0      # every read, plan, apply, import, data read waits this long (Stop and ctx cut it short)
//	apply_events   = 0      # extra "progress" events each apply streams
//	panic_on_apply = "name" # panic while applying the object of that name (quoting its secret)
//	cache_store    = false  # keep the store in memory while its mtime and size stay the same (for benchmarks)
//
// Environment of the process (see Main): BERTH_TEST_PROVIDER_EXIT_IN_HANDSHAKE=1
// exits before serving; BERTH_TEST_PROVIDER_PROTOCOL=N announces protocol
// version N; BERTH_TEST_PROVIDER_NO_LOOKUP=1 declares no LookupByKey (an
// environment variable, not a setting: berth reads the schema before it
// configures the provider).
package testprovider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// Provider is the test provider. Its zero value is not usable: use New.
type Provider struct {
	stopOnce sync.Once
	stopped  chan struct{}

	mu           sync.Mutex
	configured   bool
	store        *storeCache
	delay        time.Duration
	applyEvents  int
	panicOnApply string
}

// New returns an unconfigured test provider.
func New() *Provider {
	return &Provider{stopped: make(chan struct{})}
}

var _ providers.Interface = (*Provider)(nil)

// GetSchema implements providers.Interface.
func (p *Provider) GetSchema(context.Context) providers.GetSchemaResponse {
	lookup := canLookup()
	return providers.GetSchemaResponse{
		Provider: providers.Schema{Block: &providers.Block{
			Description: "The test provider.",
			Attributes: map[string]*providers.Attribute{
				"store":          {Type: cty.String, Required: true, Description: "Path of the JSON store."},
				"delay_ms":       {Type: cty.Number, Optional: true, Description: "Delay of every call, in milliseconds."},
				"apply_events":   {Type: cty.Number, Optional: true, Description: "Progress events streamed by every apply."},
				"panic_on_apply": {Type: cty.String, Optional: true, Description: "Panic while applying the object of this name."},
				"cache_store":    {Type: cty.Bool, Optional: true, Description: "Re-read the store only when its modification time or size changes."},
			},
		}},
		ResourceTypes: map[string]providers.Schema{
			"object": {Version: 1, LookupByKey: lookup, Block: &providers.Block{
				Description: "An object in the store.",
				Attributes: map[string]*providers.Attribute{
					"id":     {Type: cty.String, Computed: true},
					"name":   {Type: cty.String, Required: true, ForceNew: true},
					"value":  {Type: cty.String, Optional: true},
					"secret": {Type: cty.String, Optional: true, Sensitive: true},
					"size":   {Type: cty.Number, Optional: true},
					"status": {Type: cty.String, Computed: true},
				},
			}},
			"fleet": {Version: 1, LookupByKey: lookup, Block: fleetSchema},
		},
		DataSources: map[string]providers.Schema{
			"echo": {Block: &providers.Block{
				Attributes: map[string]*providers.Attribute{
					"input":  {Type: cty.DynamicPseudoType, Optional: true},
					"output": {Type: cty.DynamicPseudoType, Computed: true},
				},
			}},
		},
	}
}

func errDiag(summary, detail string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}
}

func attrDiag(attr, summary string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary,
		Extra: providers.AttributePath{Path: cty.GetAttrPath(attr)},
	}
}

// ValidateProviderConfig implements providers.Interface.
func (p *Provider) ValidateProviderConfig(_ context.Context, req providers.ValidateProviderConfigRequest) providers.ValidateResponse {
	var diags hcl.Diagnostics
	cfg, _ := req.Config.UnmarkDeep()
	if !cfg.Type().IsObjectType() || !cfg.Type().HasAttribute("store") {
		return providers.ValidateResponse{Diagnostics: errDiag("Invalid provider configuration", "store is required")}
	}
	if s := cfg.GetAttr("store"); s.IsKnown() && (s.IsNull() || s.AsString() == "") {
		diags = append(diags, attrDiag("store", "store must be a file path"))
	}
	return providers.ValidateResponse{Diagnostics: diags}
}

// ValidateResourceConfig implements providers.Interface.
func (p *Provider) ValidateResourceConfig(_ context.Context, req providers.ValidateResourceConfigRequest) providers.ValidateResponse {
	if req.DataSource {
		if req.TypeName != "echo" {
			return providers.ValidateResponse{Diagnostics: errDiag("Unknown data source", "the test provider has no data source "+req.TypeName)}
		}
		return providers.ValidateResponse{}
	}
	if req.TypeName == "fleet" {
		return providers.ValidateResponse{}
	}
	if req.TypeName != "object" {
		return providers.ValidateResponse{Diagnostics: errDiag("Unknown resource type", "the test provider has no resource type "+req.TypeName)}
	}
	var diags hcl.Diagnostics
	cfg, _ := req.Config.UnmarkDeep()
	if n := cfg.GetAttr("name"); n.IsKnown() && (n.IsNull() || n.AsString() == "") {
		diags = append(diags, attrDiag("name", "name must not be empty"))
	}
	if s := cfg.GetAttr("size"); s.IsKnown() && !s.IsNull() && s.AsBigFloat().Sign() < 0 {
		diags = append(diags, attrDiag("size", "size must not be negative"))
	}
	return providers.ValidateResponse{Diagnostics: diags}
}

// ConfigureProvider implements providers.Interface.
func (p *Provider) ConfigureProvider(_ context.Context, req providers.ConfigureProviderRequest) providers.ConfigureProviderResponse {
	cfg, _ := req.Config.UnmarkDeep()
	if !cfg.Type().IsObjectType() {
		return providers.ConfigureProviderResponse{Diagnostics: errDiag("Invalid provider configuration", "not an object")}
	}
	get := func(name string) cty.Value {
		if !cfg.Type().HasAttribute(name) {
			return cty.NullVal(cty.DynamicPseudoType)
		}
		return cfg.GetAttr(name)
	}
	store := get("store")
	if store.IsNull() || !store.IsKnown() || store.Type() != cty.String {
		return providers.ConfigureProviderResponse{Diagnostics: errDiag("Invalid provider configuration", "store is required")}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.store = &storeCache{path: store.AsString()}
	if v := get("cache_store"); !v.IsNull() && v.Type() == cty.Bool {
		p.store.cached = v.True()
	}
	if v := get("delay_ms"); !v.IsNull() && v.Type() == cty.Number {
		ms, _ := v.AsBigFloat().Int64()
		p.delay = time.Duration(ms) * time.Millisecond
	}
	if v := get("apply_events"); !v.IsNull() && v.Type() == cty.Number {
		n, _ := v.AsBigFloat().Int64()
		p.applyEvents = int(n)
	}
	if v := get("panic_on_apply"); !v.IsNull() && v.Type() == cty.String {
		p.panicOnApply = v.AsString()
	}
	p.configured = true
	return providers.ConfigureProviderResponse{}
}

type settings struct {
	store        *storeCache
	delay        time.Duration
	applyEvents  int
	panicOnApply string
}

func (p *Provider) settings() (settings, hcl.Diagnostics) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.configured {
		return settings{}, errDiag("Provider not configured", "ConfigureProvider must be called first")
	}
	return settings{p.store, p.delay, p.applyEvents, p.panicOnApply}, nil
}

var errStopped = errors.New("stopped")

// wait sleeps d unless the call is cancelled or the provider stopped.
func (p *Provider) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stopped:
		return errStopped
	}
}

// ReadResources implements providers.Interface, reading the store once for
// the whole batch.
func (p *Provider) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	s, diags := p.settings()
	if diags != nil {
		return providers.ReadResourcesResponse{Diagnostics: diags}
	}
	if err := p.wait(ctx, s.delay); err != nil {
		return providers.ReadResourcesResponse{Diagnostics: errDiag("Read interrupted", err.Error())}
	}
	ids := make([]string, len(req.Objects))
	for i, o := range req.Objects {
		ids[i] = stateID(o.State)
	}
	stored, err := s.store.get(ids...)
	if err != nil {
		return providers.ReadResourcesResponse{Diagnostics: errDiag("Cannot read the store", err.Error())}
	}
	var fleets *Store
	results := make([]providers.ReadResult, len(req.Objects))
	for i, o := range req.Objects {
		r := providers.ReadResult{ID: o.ID, Private: o.Private}
		id := ids[i]
		switch {
		case o.TypeName == "fleet":
			if fleets == nil {
				if fleets, err = ReadStore(s.store.path); err != nil {
					return providers.ReadResourcesResponse{Diagnostics: errDiag("Cannot read the store", err.Error())}
				}
			}
			r = p.readFleet(fleets, o)
		case o.TypeName != "object":
			r.Diagnostics = errDiag("Unknown resource type", o.TypeName)
		case id == "":
			r.Diagnostics = errDiag("Invalid state", "the state of "+o.ID+" has no id")
		default:
			if obj := stored[i]; obj != nil {
				r.NewState = obj.State()
			} else {
				r.Gone = true
				r.NewState = cty.NullVal(ObjectType)
			}
		}
		results[i] = r
	}
	return providers.ReadResourcesResponse{Results: results}
}

func stateID(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute("id") {
		return ""
	}
	id := v.GetAttr("id")
	if id.IsNull() || !id.IsKnown() {
		return ""
	}
	return id.AsString()
}

func isNull(v cty.Value) bool { return v == cty.NilVal || v.IsNull() }

// PlanResourceChange implements providers.Interface. A changed name forces
// replacement.
func (p *Provider) PlanResourceChange(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	s, diags := p.settings()
	if diags != nil {
		return providers.PlanResourceChangeResponse{Diagnostics: diags}
	}
	if err := p.wait(ctx, s.delay); err != nil {
		return providers.PlanResourceChangeResponse{Diagnostics: errDiag("Plan interrupted", err.Error())}
	}
	if req.TypeName == "fleet" {
		return p.planFleet(req)
	}
	if isNull(req.ProposedNewState) {
		return providers.PlanResourceChangeResponse{PlannedState: cty.NullVal(ObjectType), PlannedPrivate: req.PriorPrivate}
	}
	// Attribute values are copied one by one so that their marks (a
	// sensitive secret) stay on them.
	proposed, marks := req.ProposedNewState.Unmark()
	attrs := proposed.AsValueMap()
	var resp providers.PlanResourceChangeResponse
	if isNull(req.PriorState) {
		attrs["id"] = cty.UnknownVal(cty.String)
		attrs["status"] = cty.UnknownVal(cty.String)
	} else {
		priorVal, _ := req.PriorState.Unmark()
		prior := priorVal.AsValueMap()
		oldName, _ := prior["name"].Unmark()
		newName, _ := attrs["name"].Unmark()
		if !oldName.RawEquals(newName) {
			resp.RequiresReplace = append(resp.RequiresReplace, cty.GetAttrPath("name"))
			attrs["id"] = cty.UnknownVal(cty.String)
			attrs["status"] = cty.UnknownVal(cty.String)
		} else {
			attrs["id"] = prior["id"]
			attrs["status"] = cty.StringVal("ready")
		}
	}
	resp.PlannedState = cty.ObjectVal(attrs).WithMarks(marks)
	resp.PlannedPrivate = []byte("planned")
	return resp
}

// ApplyResourceChange implements providers.Interface. A create first
// records the object with status "creating", streams its events, waits
// delay_ms and then marks it "ready": a Stop during the wait returns the
// object as it is, "creating", with an error. Without delay_ms (and
// without panic_on_apply for this object) nothing can come between, so
// the object is stored once, "ready": one store write per apply.
func (p *Provider) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	s, diags := p.settings()
	if diags != nil {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: diags}
	}
	emit := func(ev providers.ApplyEvent) {
		if events != nil {
			events(ev)
		}
	}
	fail := func(state cty.Value, summary string, err error) providers.ApplyResourceChangeResponse {
		return providers.ApplyResourceChangeResponse{NewState: state, Diagnostics: errDiag(summary, err.Error())}
	}
	if req.TypeName == "fleet" {
		return p.applyFleet(ctx, s, req, emit)
	}

	if isNull(req.PlannedState) { // destroy
		id := stateID(req.PriorState)
		if err := s.store.remove(id); err != nil {
			return fail(req.PriorState, "Cannot delete", err)
		}
		emit(providers.ApplyEvent{Kind: "progress", Message: "deleted " + id})
		return providers.ApplyResourceChangeResponse{NewState: cty.NullVal(ObjectType)}
	}

	planned, _ := req.PlannedState.UnmarkDeep()
	obj := &Object{ID: stateID(req.PriorState), Name: planned.GetAttr("name").AsString(), Status: "creating"}
	if isNull(req.PriorState) || obj.ID == "" || !planned.GetAttr("id").IsKnown() {
		obj.ID = "" // a create or a replacement: a new object
		obj.IdempotencyKey = req.IdempotencyKey
	}
	if v := planned.GetAttr("value"); !v.IsNull() {
		obj.Value = ptr(v.AsString())
	}
	if v := planned.GetAttr("secret"); !v.IsNull() {
		obj.Secret = ptr(v.AsString())
	}
	if v := planned.GetAttr("size"); !v.IsNull() {
		f, _ := v.AsBigFloat().Float64()
		obj.Size = &f
	}
	if obj.ID != "" {
		obj.Status = "ready"
	}
	// An apply that nothing can interrupt (no delay, no requested panic)
	// stores the object once, ready; the others first record it as
	// "creating", as a real provider would have it while it works.
	once := s.delay <= 0 && (s.panicOnApply == "" || obj.Name != s.panicOnApply)
	if once {
		obj.Status = "ready"
	}
	if err := s.store.put(obj); err != nil {
		return fail(req.PriorState, "Cannot write the store", err)
	}
	emit(providers.ApplyEvent{Kind: "progress", Message: "stored " + obj.ID})
	if s.panicOnApply != "" && obj.Name == s.panicOnApply {
		msg := "testprovider: panic requested while applying " + obj.Name
		if obj.Secret != nil {
			// As a careless provider would: berth must keep it out of
			// its log and its crash report.
			msg += " with secret " + *obj.Secret
		}
		panic(msg)
	}
	for i := 1; i <= s.applyEvents; i++ {
		emit(providers.ApplyEvent{Kind: "progress", Message: fmt.Sprintf("step %d of %d", i, s.applyEvents)})
	}
	if err := p.wait(ctx, s.delay); err != nil {
		return fail(p.withMarks(obj.State(), req.PlannedState), "Apply interrupted", err)
	}
	if !once {
		obj.Status = "ready"
		if err := s.store.put(obj); err != nil {
			return fail(obj.State(), "Cannot write the store", err)
		}
	}
	return providers.ApplyResourceChangeResponse{NewState: p.withMarks(obj.State(), req.PlannedState), Private: []byte("applied")}
}

// withMarks gives v the marks that planned has at the same paths, so a
// sensitive secret stays marked in the new state.
func (p *Provider) withMarks(v, planned cty.Value) cty.Value {
	_, pvms := planned.UnmarkDeepWithPaths()
	return v.MarkWithPaths(pvms)
}

func ptr[T any](v T) *T { return &v }

// ImportResource implements providers.Interface.
func (p *Provider) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	s, diags := p.settings()
	if diags != nil {
		return providers.ImportResourceResponse{Diagnostics: diags}
	}
	if err := p.wait(ctx, s.delay); err != nil {
		return providers.ImportResourceResponse{Diagnostics: errDiag("Import interrupted", err.Error())}
	}
	if req.TypeName != "object" {
		return providers.ImportResourceResponse{Diagnostics: errDiag("Unknown resource type", req.TypeName)}
	}
	stored, err := s.store.get(req.ID)
	if err != nil {
		return providers.ImportResourceResponse{Diagnostics: errDiag("Cannot read the store", err.Error())}
	}
	obj := stored[0]
	if obj == nil {
		return providers.ImportResourceResponse{Diagnostics: errDiag("Cannot import", "there is no object "+req.ID)}
	}
	return providers.ImportResourceResponse{State: obj.State(), Private: []byte("imported")}
}

// ReadDataSource implements providers.Interface.
func (p *Provider) ReadDataSource(ctx context.Context, req providers.ReadDataSourceRequest) providers.ReadDataSourceResponse {
	s, diags := p.settings()
	if diags != nil {
		return providers.ReadDataSourceResponse{Diagnostics: diags}
	}
	if err := p.wait(ctx, s.delay); err != nil {
		return providers.ReadDataSourceResponse{Diagnostics: errDiag("Read interrupted", err.Error())}
	}
	if req.TypeName != "echo" {
		return providers.ReadDataSourceResponse{Diagnostics: errDiag("Unknown data source", req.TypeName)}
	}
	in := cty.NullVal(cty.DynamicPseudoType)
	if req.Config.Type().IsObjectType() && req.Config.Type().HasAttribute("input") {
		in = req.Config.GetAttr("input")
	}
	return providers.ReadDataSourceResponse{State: cty.ObjectVal(map[string]cty.Value{"input": in, "output": in})}
}

// Stop implements providers.Interface: every wait in progress, and every
// later one, ends at once.
func (p *Provider) Stop(context.Context) error {
	p.stopOnce.Do(func() { close(p.stopped) })
	return nil
}

// Close implements providers.Interface.
func (p *Provider) Close() error { return nil }
