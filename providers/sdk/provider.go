package sdk

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/providers"
)

// Provider declares a provider: its configuration block (decoded into a Go
// value of type C; use struct{} for a provider without configuration), its
// resource types and its data sources. A *Provider implements
// providers.Interface; pass it to Serve.
//
// Type names are declared without a prefix ("record"): in configuration
// they are written "<local name>_<type>", e.g. acmedns_record when the
// configuration's required_providers calls the provider acmedns.
//
// Functions of a provider may be called concurrently (berth plans and
// applies independent objects in parallel), so they must be safe for
// concurrent use.
type Provider[C any] struct {
	// Version is the provider's own version, e.g. "1.2.0".
	Version string
	// Schema of the provider's configuration block.
	Schema Schema
	// Configure receives the provider's configuration before any other
	// call that reaches author code. Keep the client it builds in the
	// value the resource functions close over. While a provider has a
	// Configure function that has not succeeded, reads, plans with a Plan
	// function, applies and imports are refused.
	Configure func(ctx context.Context, config C) error
	// Validate, when set, checks a wholly known provider configuration
	// beyond what Schema says.
	Validate func(ctx context.Context, config C) hcl.Diagnostics

	Resources   map[string]ResourceType
	DataSources map[string]DataSourceType

	// ReadParallelism bounds how many objects of one ReadResources batch
	// are read concurrently by a resource type without ReadBatch, and how
	// many of one LookupResources batch are looked up concurrently. Zero
	// means 8.
	ReadParallelism int

	once       sync.Once
	checkDiags hcl.Diagnostics
	configured atomic.Bool

	mu     sync.Mutex
	stop   context.Context // cancelled by Stop and Close
	cancel context.CancelFunc
}

var _ providers.Interface = (*Provider[struct{}])(nil)

// init checks the declarations once; the result is reported by GetSchema
// and every later call, since a provider with a broken schema cannot do
// anything right.
func (p *Provider[C]) init() hcl.Diagnostics {
	p.once.Do(func() {
		var errs []string
		errs = append(errs, p.Schema.check("provider")...)
		errs = append(errs, checkModel[C](&p.Schema, "provider")...)
		for _, name := range sortedKeys(p.Resources) {
			if !nameRE.MatchString(name) {
				errs = append(errs, fmt.Sprintf("resource type %q: type names are lower-case identifiers, without the provider's prefix", name))
			}
			errs = append(errs, p.Resources[name].check("resource "+name)...)
		}
		for _, name := range sortedKeys(p.DataSources) {
			if !nameRE.MatchString(name) {
				errs = append(errs, fmt.Sprintf("data source %q: type names are lower-case identifiers, without the provider's prefix", name))
			}
			errs = append(errs, p.DataSources[name].check("data source "+name)...)
		}
		if len(errs) > 0 {
			p.checkDiags = errorDiag("Invalid provider definition",
				"The provider's declarations have mistakes (a bug in the provider, not in your configuration):\n  %s", strings.Join(errs, "\n  "))
		}
	})
	return p.checkDiags
}

// call derives the context of one call: cancelled when the caller cancels
// or when Stop is called while it runs.
func (p *Provider[C]) call(ctx context.Context) (context.Context, context.CancelFunc) {
	p.mu.Lock()
	if p.stop == nil {
		p.stop, p.cancel = context.WithCancel(context.Background())
	}
	stop := p.stop
	p.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	unregister := context.AfterFunc(stop, cancel)
	return ctx, func() { unregister(); cancel() }
}

// ready returns the diagnostics that forbid running author code now.
func (p *Provider[C]) ready() hcl.Diagnostics {
	if diags := p.init(); diags.HasErrors() {
		return diags
	}
	if p.Configure != nil && !p.configured.Load() {
		return errorDiag("Provider not configured", "ConfigureProvider must succeed before this call.")
	}
	return nil
}

// GetSchema returns the declared schemas (and reports mistakes in them).
func (p *Provider[C]) GetSchema(ctx context.Context) providers.GetSchemaResponse {
	resp := providers.GetSchemaResponse{
		Provider:      p.Schema.providerSchema(),
		ResourceTypes: make(map[string]providers.Schema, len(p.Resources)),
		DataSources:   make(map[string]providers.Schema, len(p.DataSources)),
		Diagnostics:   p.init(),
	}
	for name, r := range p.Resources {
		s := r.schema().providerSchema()
		s.LookupByKey = r.canLookup()
		resp.ResourceTypes[name] = s
	}
	for name, d := range p.DataSources {
		resp.DataSources[name] = d.schema().providerSchema()
	}
	return resp
}

// ValidateProviderConfig checks the provider configuration against Schema,
// then with Validate.
func (p *Provider[C]) ValidateProviderConfig(ctx context.Context, req providers.ValidateProviderConfigRequest) providers.ValidateResponse {
	if diags := p.init(); diags.HasErrors() {
		return providers.ValidateResponse{Diagnostics: diags}
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	cfg, _ := unmark(req.Config)
	diags := p.Schema.block().validate(cfg, nil)
	if !diags.HasErrors() && p.Validate != nil && cfg.IsWhollyKnown() {
		var c C
		if err := Decode(cfg, &c); err != nil {
			return providers.ValidateResponse{Diagnostics: toDiags(err, "Invalid provider configuration")}
		}
		diags = append(diags, p.Validate(ctx, c)...)
	}
	return providers.ValidateResponse{Diagnostics: diags}
}

// ValidateResourceConfig checks a resource's (or with req.DataSource, a
// data source's) configuration against its schema, then with the
// resource's Validate.
func (p *Provider[C]) ValidateResourceConfig(ctx context.Context, req providers.ValidateResourceConfigRequest) providers.ValidateResponse {
	if diags := p.init(); diags.HasErrors() {
		return providers.ValidateResponse{Diagnostics: diags}
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	cfg, _ := unmark(req.Config)
	if req.DataSource {
		if d, ok := p.DataSources[req.TypeName]; ok {
			return providers.ValidateResponse{Diagnostics: d.schema().block().validate(cfg, nil)}
		}
		return providers.ValidateResponse{Diagnostics: unknownType("data source", req.TypeName)}
	}
	if r, ok := p.Resources[req.TypeName]; ok {
		diags := r.schema().block().validate(cfg, nil)
		if !diags.HasErrors() {
			diags = append(diags, r.validateModel(ctx, cfg)...)
		}
		return providers.ValidateResponse{Diagnostics: diags}
	}
	return providers.ValidateResponse{Diagnostics: unknownType("resource type", req.TypeName)}
}

func unknownType(kind, name string) hcl.Diagnostics {
	return errorDiag("Unsupported "+kind, "This provider has no %s named %q.", kind, name)
}

// ConfigureProvider decodes the configuration into C and calls Configure.
func (p *Provider[C]) ConfigureProvider(ctx context.Context, req providers.ConfigureProviderRequest) providers.ConfigureProviderResponse {
	if diags := p.init(); diags.HasErrors() {
		return providers.ConfigureProviderResponse{Diagnostics: diags}
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	cfg, _ := unmark(req.Config)
	if diags := p.Schema.block().validate(cfg, nil); diags.HasErrors() {
		return providers.ConfigureProviderResponse{Diagnostics: diags}
	}
	if cfg != cty.NilVal && !cfg.IsWhollyKnown() {
		return providers.ConfigureProviderResponse{Diagnostics: errorDiag("Provider configuration not known",
			"The provider's configuration depends on values known only after apply.")}
	}
	if p.Configure == nil {
		return providers.ConfigureProviderResponse{}
	}
	var c C
	if cfg != cty.NilVal {
		// Apply defaults, so Configure sees what the user will see in docs.
		planned, err := p.Schema.block().plan(cty.NullVal(p.Schema.ImpliedType()), cfg, nil, new([]cty.Path))
		if err == nil {
			cfg = planned
		}
		if err := Decode(cfg, &c); err != nil {
			return providers.ConfigureProviderResponse{Diagnostics: toDiags(err, "Invalid provider configuration")}
		}
	}
	if err := p.Configure(ctx, c); err != nil {
		return providers.ConfigureProviderResponse{Diagnostics: toDiags(err, "Cannot configure provider")}
	}
	p.configured.Store(true)
	return providers.ConfigureProviderResponse{}
}

// ReadResources refreshes a batch: objects are grouped by type, each group
// read with the type's ReadBatch or, concurrently, its Read; results come
// back in the order of the request.
func (p *Provider[C]) ReadResources(ctx context.Context, req providers.ReadResourcesRequest) providers.ReadResourcesResponse {
	if diags := p.ready(); diags.HasErrors() {
		return providers.ReadResourcesResponse{Diagnostics: diags}
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	resp := providers.ReadResourcesResponse{Results: make([]providers.ReadResult, len(req.Objects))}
	byType := map[string][]int{}
	var order []string
	for i, o := range req.Objects {
		resp.Results[i] = providers.ReadResult{ID: o.ID, NewState: o.State, Private: o.Private}
		if _, seen := byType[o.TypeName]; !seen {
			order = append(order, o.TypeName)
		}
		byType[o.TypeName] = append(byType[o.TypeName], i)
	}
	parallelism := p.readParallelism()
	for _, typeName := range order {
		idx := byType[typeName]
		r, ok := p.Resources[typeName]
		if !ok {
			for _, i := range idx {
				resp.Results[i].Diagnostics = unknownType("resource type", typeName)
			}
			continue
		}
		states := make([]cty.Value, len(idx))
		marks := make([][]cty.PathValueMarks, len(idx))
		for j, i := range idx {
			states[j], marks[j] = unmark(req.Objects[i].State)
			if states[j] == cty.NilVal {
				states[j] = cty.NullVal(r.schema().ImpliedType())
			}
		}
		outs, diags := r.read(ctx, typeName, states, parallelism)
		if diags.HasErrors() {
			for _, i := range idx {
				resp.Results[i].Diagnostics = diags
			}
			continue
		}
		for j, i := range idx {
			res := &resp.Results[i]
			res.Gone = outs[j].gone
			res.Diagnostics = outs[j].diags
			res.NewState = remark(r.schema().block(), outs[j].state, marks[j])
		}
	}
	return resp
}

// PlanResourceChange computes the default plan (see plan) and lets the
// resource's Plan function adjust it. A deletion plans a null state.
func (p *Provider[C]) PlanResourceChange(ctx context.Context, req providers.PlanResourceChangeRequest) providers.PlanResourceChangeResponse {
	if diags := p.init(); diags.HasErrors() {
		return providers.PlanResourceChangeResponse{Diagnostics: diags}
	}
	r, ok := p.Resources[req.TypeName]
	if !ok {
		return providers.PlanResourceChangeResponse{Diagnostics: unknownType("resource type", req.TypeName)}
	}
	s := r.schema()
	ty := s.ImpliedType()
	resp := providers.PlanResourceChangeResponse{PlannedPrivate: req.PriorPrivate}
	if req.ProposedNewState == cty.NilVal || req.ProposedNewState.IsNull() || req.Config == cty.NilVal || req.Config.IsNull() {
		resp.PlannedState = cty.NullVal(ty)
		return resp
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	prior, _ := unmark(req.PriorState)
	if prior == cty.NilVal {
		prior = cty.NullVal(ty)
	}
	cfg, cfgMarks := unmark(req.Config)

	var replace []cty.Path
	planned, err := s.block().plan(prior, cfg, nil, &replace)
	if err == nil && len(replace) > 0 {
		// A replacement creates a new object: plan it as a create, so its
		// computed attributes are unknown rather than the old object's.
		planned, err = s.block().plan(cty.NullVal(ty), cfg, nil, new([]cty.Path))
	}
	if err != nil {
		resp.Diagnostics = toDiags(err, "Cannot plan %s", req.TypeName)
		return resp
	}
	if hook := r.planHook(); hook != nil {
		if diags := p.ready(); diags.HasErrors() {
			resp.Diagnostics = diags
			return resp
		}
		pl := &Plan{TypeName: req.TypeName, Prior: prior, Config: cfg, Planned: planned, RequiresReplace: replace}
		if err := hook(ctx, pl); err != nil {
			resp.Diagnostics = toDiags(err, "Cannot plan %s", req.TypeName)
			return resp
		}
		if planned, err = convert.Convert(pl.Planned, ty); err != nil {
			resp.Diagnostics = errorDiag("Provider bug", "The Plan function of %s produced a planned state of the wrong type: %s.", req.TypeName, err)
			return resp
		}
		replace, resp.Rollout = pl.RequiresReplace, pl.Rollout
	}
	resp.PlannedState = remark(s.block(), planned, cfgMarks)
	resp.RequiresReplace = replace
	return resp
}

// ApplyResourceChange dispatches to Create, Update, Delete (a null planned
// state) or, for a rollout step, ApplyStep. Events emitted by those
// functions (see Emit) are delivered to events. On failure the response
// holds what exists: the partial state the function returned, or the prior
// state.
func (p *Provider[C]) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	if diags := p.ready(); diags.HasErrors() {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: diags}
	}
	r, ok := p.Resources[req.TypeName]
	if !ok {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: unknownType("resource type", req.TypeName)}
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	ctx = withEvents(ctx, events)
	prior, priorMarks := unmark(req.PriorState)
	planned, plannedMarks := unmark(req.PlannedState)
	req.PriorState, req.PlannedState = prior, planned
	v, diags := r.apply(ctx, req.TypeName, req)
	// Marks follow the value they came from: the planned state's on
	// success, the prior state's when the object stayed as it was.
	marks := plannedMarks
	if v.RawEquals(prior) {
		marks = priorMarks
	}
	return providers.ApplyResourceChangeResponse{
		NewState:    remark(r.schema().block(), v, marks),
		Private:     req.PlannedPrivate,
		Diagnostics: diags,
		// Only a failed create can be resumable (see Resource.Resumable).
		Resumable: r.resumable() && diags.HasErrors() && (prior == cty.NilVal || prior.IsNull()) && v != cty.NilVal && !v.IsNull(),
	}
}

// ImportResource calls the resource type's Import.
func (p *Provider[C]) ImportResource(ctx context.Context, req providers.ImportResourceRequest) providers.ImportResourceResponse {
	if diags := p.ready(); diags.HasErrors() {
		return providers.ImportResourceResponse{Diagnostics: diags}
	}
	r, ok := p.Resources[req.TypeName]
	if !ok {
		return providers.ImportResourceResponse{Diagnostics: unknownType("resource type", req.TypeName)}
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	v, diags := r.importState(ctx, req.TypeName, req.ID)
	return providers.ImportResourceResponse{State: remark(r.schema().block(), v, nil), Diagnostics: diags}
}

// ReadDataSource calls the data source's Read.
func (p *Provider[C]) ReadDataSource(ctx context.Context, req providers.ReadDataSourceRequest) providers.ReadDataSourceResponse {
	if diags := p.ready(); diags.HasErrors() {
		return providers.ReadDataSourceResponse{Diagnostics: diags}
	}
	d, ok := p.DataSources[req.TypeName]
	if !ok {
		return providers.ReadDataSourceResponse{Diagnostics: unknownType("data source", req.TypeName)}
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	cfg, marks := unmark(req.Config)
	if cfg == cty.NilVal {
		cfg = cty.NullVal(d.schema().ImpliedType())
	}
	if diags := d.schema().block().validate(cfg, nil); diags.HasErrors() {
		return providers.ReadDataSourceResponse{Diagnostics: diags}
	}
	v, diags := d.readData(ctx, req.TypeName, cfg)
	if diags.HasErrors() {
		return providers.ReadDataSourceResponse{State: v, Diagnostics: diags}
	}
	return providers.ReadDataSourceResponse{State: remark(d.schema().block(), v, marks), Diagnostics: diags}
}

// Stop cancels the context of every call in progress, so author functions
// that honour their context return promptly (with partial state). Calls
// that start after Stop returns run normally.
func (p *Provider[C]) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
	}
	p.stop, p.cancel = context.WithCancel(context.Background())
	return nil
}

// Close cancels calls in progress. An in-process provider has nothing else
// to release; the plugin client's Close ends the process.
func (p *Provider[C]) Close() error {
	return p.Stop(context.Background())
}
