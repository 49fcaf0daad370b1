package core

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/dag"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Plan refreshes the recorded state st (unless opts.Refresh is false) and
// plans what must change for the real systems to match the configuration.
// It also returns the refreshed state, which a refresh-only apply records.
// st itself is not modified.
func (e *Engine) Plan(ctx context.Context, st *state.State, opts PlanOptions) (*plans.Plan, *state.State, hcl.Diagnostics) {
	return e.plan(ctx, st, opts, nil)
}

// plan is Plan; saved, when set, are the planned values of a saved plan
// by address, which the providers are given as SavedPlannedState (see
// replanSaved).
func (e *Engine) plan(ctx context.Context, st *state.State, opts PlanOptions, saved map[string]cty.Value) (*plans.Plan, *state.State, hcl.Diagnostics) {
	if opts.Mode == "" {
		opts.Mode = plans.NormalMode
	}
	prior := priorState(st)
	gr, diags := buildGraph(e.Config, prior)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	if d := checkOptionAddresses(e.Config, prior, opts); d.HasErrors() {
		return nil, nil, d
	}
	w := &planWalker{
		e: e, opts: opts, prior: prior, gr: gr,
		refreshed: state.NewSyncState(prior.DeepCopy()),
		ps:        newProviderSet(e.Launcher, e.Config, e.ProviderParallelism, e.Variables),
		data:      newEvalData(),
		sem:       newBounds(e.parallelism()),
		replace:   map[string]bool{},
		saved:     saved,
	}
	defer w.ps.closeAll()
	for _, r := range opts.Replace {
		w.replace[r.String()] = true
	}
	targets, d := canaryTargets(e.Config, prior, opts)
	if d.HasErrors() {
		return nil, nil, d
	}
	w.targets = targetSet(targets)
	keep := gr.restrict(targets)

	errs := gr.g.Walk(ctx, dag.WalkOptions{Parallelism: e.walkParallelism()}, func(ctx context.Context, id int) error {
		if keep != nil && !keep[id] {
			return nil
		}
		return w.visit(ctx, gr.g.Vertex(id))
	})
	diags = diags.Extend(w.diags)
	if opts.Mode != plans.RefreshOnlyMode {
		// Deposed objects are destroyed (see state.Deposed).
		for _, d := range prior.Deposed {
			if w.targeted(d.Addr) {
				w.addChange(&plans.ResourceChange{Addr: d.Addr, Provider: d.Provider, Action: plans.Delete, Deposed: d.Key,
					Before: d.Object.Value, After: cty.NullVal(d.Object.Value.Type()), Private: d.Object.Private})
			}
		}
	}
	if len(opts.Targets) > 0 {
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Resource targeting is in effect",
			Detail: "The plan may be incomplete: it covers only the targeted objects and what they depend on. " +
				"Use -target for exceptional situations, such as recovering from mistakes; run a plan without it afterwards.",
		})
	}
	diags = diags.Extend(walkErrors(errs, gr, w.diags))
	if ctx.Err() != nil && !diags.HasErrors() {
		diags = diags.Extend(errDiag("Plan interrupted", "The plan was cancelled before it finished.", nil))
	}

	p := &plans.Plan{
		Mode:         opts.Mode,
		Changes:      w.changes,
		Drift:        w.drift,
		Outputs:      w.outputs,
		StateLineage: lineageOf(st),
		StateSerial:  serialOf(st),
		Variables:    e.Variables,
		Targets:      targets,
		Replace:      opts.Replace,
		Refresh:      opts.Refresh,
		Errored:      diags.HasErrors(),
	}
	sortChanges(p.Changes)
	sortChanges(p.Drift)
	sort.Slice(p.Outputs, func(i, j int) bool { return p.Outputs[i].Name < p.Outputs[j].Name })
	return p, w.refreshed.Snapshot(), diags
}

// planWalker is the state of one plan walk.
type planWalker struct {
	e         *Engine
	opts      PlanOptions
	prior     *state.State
	gr        *graph
	refreshed *state.SyncState
	ps        *providerSet
	data      *evalData
	sem       bounds
	replace   map[string]bool
	targets   map[string]bool
	// saved are the planned values of the saved plan being planned again,
	// by address (nil otherwise).
	saved map[string]cty.Value

	routersOnce sync.Once
	routerIdx   routers

	mu      sync.Mutex
	changes []*plans.ResourceChange
	drift   []*plans.ResourceChange
	outputs []*plans.OutputChange
	diags   hcl.Diagnostics
}

func (w *planWalker) addDiags(d hcl.Diagnostics) {
	if len(d) == 0 {
		return
	}
	w.mu.Lock()
	w.diags = w.diags.Extend(d)
	w.mu.Unlock()
}

func (w *planWalker) addChange(c *plans.ResourceChange) {
	w.mu.Lock()
	w.changes = append(w.changes, c)
	w.mu.Unlock()
}

// visit handles one vertex. A returned error stops the vertex's
// dependents; its diagnostics are already recorded.
func (w *planWalker) visit(ctx context.Context, v *vertex) error {
	var diags hcl.Diagnostics
	switch v.kind {
	case vConfigObject:
		val, d := evalConfigObject(w.e.Config, w.e.Variables, v.addr, w.data)
		diags = d
		w.data.set(v.addr, val)
	case vProvider:
		diags = w.startProvider(ctx, v)
	case vResource:
		diags = w.planResource(ctx, v)
	case vOrphan:
		diags = w.planOrphan(ctx, v)
	case vOutput:
		diags = w.planOutput(v)
	}
	w.addDiags(diags)
	if diags.HasErrors() {
		return errVertexFailed
	}
	return nil
}

// startProvider starts and configures a provider, then refreshes every
// recorded object it manages in batches.
func (w *planWalker) startProvider(ctx context.Context, v *vertex) hcl.Diagnostics {
	entry, diags := w.ps.get(ctx, v.name, providerConfigFunc(w.e.Config, v.name, w.data))
	if diags.HasErrors() {
		return diags
	}
	if !w.opts.Refresh {
		return nil
	}
	return w.refresh(ctx, entry)
}

// refresh reads the live state of every recorded object of one provider,
// ReadBatchSize objects per call, and records what changed outside berth.
func (w *planWalker) refresh(ctx context.Context, entry *providerEntry) hcl.Diagnostics {
	type item struct {
		addr addrs.Instance
		obj  *state.Object
	}
	var items []item
	for _, r := range w.prior.SortedResources() {
		if r.Provider != entry.name || r.Addr.Mode != addrs.Managed {
			continue
		}
		for _, k := range r.SortedKeys() {
			items = append(items, item{r.Addr.Instance(k), r.Instances[k]})
		}
	}
	if len(items) == 0 {
		return nil
	}
	objects := fmt.Sprintf("%d objects", len(items))
	if len(items) == 1 {
		objects = "1 object"
	}
	ev := Event{Type: EventRefreshStart, Message: objects + " of provider " + entry.name, Provider: entry.name, Objects: len(items)}
	w.e.emit(ev)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var diags hcl.Diagnostics
	for start := 0; start < len(items); start += ReadBatchSize {
		batch := items[start:min(start+ReadBatchSize, len(items))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := providers.ReadResourcesRequest{Objects: make([]providers.ReadObject, len(batch))}
			for i, it := range batch {
				req.Objects[i] = providers.ReadObject{
					ID:       it.addr.String(),
					TypeName: providerTypeName(entry.name, it.addr.Resource.Type),
					State:    it.obj.Value,
					Private:  it.obj.Private,
				}
			}
			if err := w.sem.acquire(ctx, entry); err != nil {
				return
			}
			resp := entry.p.ReadResources(ctx, req)
			w.sem.release(entry)
			d := withCallContext(resp.Diagnostics, entry.name, "ReadResources", "")
			for i, res := range resp.Results {
				if i >= len(batch) {
					break
				}
				it := batch[i]
				d = d.Extend(redactDiags(withCallContext(res.Diagnostics, entry.name, "ReadResources", it.addr.String())))
				if res.Diagnostics.HasErrors() {
					continue
				}
				res.NewState = remark(res.NewState, entry.blockOf(it.addr.Resource), it.obj.Value)
				w.recordRefresh(entry.name, it.addr, it.obj, res)
			}
			mu.Lock()
			diags = diags.Extend(d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	ev.Type = EventRefreshComplete
	w.e.emit(ev)
	return diags
}

func (w *planWalker) recordRefresh(provider string, addr addrs.Instance, old *state.Object, res providers.ReadResult) {
	if res.Gone || res.NewState.IsNull() {
		w.refreshed.RemoveInstance(addr)
		w.mu.Lock()
		w.drift = append(w.drift, &plans.ResourceChange{Addr: addr, Provider: provider, Action: plans.Delete,
			Before: old.Value, After: cty.NullVal(old.Value.Type())})
		w.mu.Unlock()
		return
	}
	nobj := *old
	nobj.Value = res.NewState
	if res.Private != nil {
		nobj.Private = res.Private
	}
	w.refreshed.SetInstance(addr, provider, &nobj)
	if !valuesEqual(old.Value, res.NewState) {
		w.mu.Lock()
		w.drift = append(w.drift, &plans.ResourceChange{Addr: addr, Provider: provider, Action: plans.Update,
			Before: old.Value, After: res.NewState})
		w.mu.Unlock()
	}
}

// planResource expands a resource block into its instances and plans each.
func (w *planWalker) planResource(ctx context.Context, v *vertex) hcl.Diagnostics {
	r := v.res
	raddr := resourceAddr(r)
	exp, diags := expand(r, w.e.Config, w.data)
	if diags.HasErrors() {
		return diags
	}
	entry, d := w.ps.get(ctx, v.provider, nil)
	if d.HasErrors() {
		return diags.Extend(d)
	}

	vals := make(map[addrs.InstanceKey]cty.Value, len(exp.keys))
	var mu sync.Mutex
	var todo []int // indexes into exp.keys of the instances to plan
	for i, key := range exp.keys {
		addr := raddr.Instance(key)
		if !w.targeted(addr) {
			// Untargeted instances keep their recorded value for references.
			if obj := w.refreshed.Instance(addr); obj != nil {
				vals[key] = obj.Value
			}
			continue
		}
		todo = append(todo, i)
	}
	// A bounded pool of workers, not a goroutine per instance: each
	// instance's evaluation and provider call need a deep stack, and a new
	// goroutine grows its stack anew every time (at 10,000 instances stack
	// growth and shrinking were 15% of a plan's CPU). Twice the provider
	// call limit keeps evaluation going while calls wait.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(todo), 2*w.e.parallelism()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= len(todo) {
					return
				}
				i := todo[n]
				key := exp.keys[i]
				// The provider validates a block's configuration once, like
				// Terraform does: instances differ only in count.index / each.*.
				val, d := w.planInstance(ctx, entry, r, raddr.Instance(key), exp.scope(key), i == 0)
				mu.Lock()
				vals[key] = val
				diags = diags.Extend(d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	// Recorded instances the expansion no longer has are destroyed.
	if sr := w.prior.Resource(raddr); sr != nil {
		for _, k := range sr.SortedKeys() {
			if _, ok := exp.index[k]; ok {
				continue
			}
			addr := raddr.Instance(k)
			if !w.targeted(addr) {
				continue
			}
			reason := plans.ReasonCountIndex
			if r.ForEach != nil || k == addrs.NoKey {
				reason = plans.ReasonEachKey
			}
			diags = diags.Extend(w.planDelete(addr, v.provider, reason, &r.Lifecycle, r.DeclRange))
		}
	}
	w.data.set(v.addr, resourceValue(r, exp.keys, vals))
	return diags
}

// planInstance plans one instance and returns the value references to it see.
func (w *planWalker) planInstance(ctx context.Context, entry *providerEntry, r *lang.Resource, addr addrs.Instance, scope *lang.Scope, validate bool) (cty.Value, hcl.Diagnostics) {
	obj := w.refreshed.Instance(addr)
	if w.opts.Mode == plans.DestroyMode {
		if obj == nil {
			return cty.DynamicVal, nil
		}
		return cty.DynamicVal, w.planDelete(addr, entry.name, plans.ReasonDestroyMode, &r.Lifecycle, r.DeclRange)
	}

	schema, typeName, diags := w.resourceSchema(entry, r)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	config, d := scope.EvalResourceConfig(r, schema)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return cty.UnknownVal(schema.ImpliedType()), diags
	}
	config = lang.CompleteDomainValue(r.Kind, instanceName(addr), config, w.data.registries(w.e.Config))

	if err := w.sem.acquire(ctx, entry); err != nil {
		return cty.DynamicVal, errDiag("Plan interrupted", err.Error(), nil)
	}
	defer w.sem.release(entry)

	if validate {
		vr := entry.p.ValidateResourceConfig(ctx, providers.ValidateResourceConfigRequest{TypeName: typeName, Config: config, DataSource: r.Mode == lang.DataMode})
		diags = diags.Extend(redactDiags(configDiagnostics(vr.Diagnostics, entry.name, "ValidateResourceConfig", addr, r)))
		if diags.HasErrors() {
			return cty.UnknownVal(config.Type()), diags
		}
	}

	if r.Mode == lang.DataMode {
		return w.planRead(ctx, entry, r, addr, typeName, config, diags)
	}
	if w.opts.Mode == plans.RefreshOnlyMode {
		if obj != nil {
			return obj.Value, diags
		}
		return cty.UnknownVal(config.Type()), diags
	}

	priorVal := cty.NullVal(config.Type())
	var priorPrivate []byte
	if obj != nil {
		priorVal = obj.Value
		priorPrivate = obj.Private
		config = ignoreChanges(config, priorVal, &r.Lifecycle)
	}
	resp := entry.p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{
		TypeName: typeName, PriorState: priorVal, ProposedNewState: config, Config: config, PriorPrivate: priorPrivate,
		SavedPlannedState: w.saved[addr.String()],
	})
	diags = diags.Extend(redactDiags(configDiagnostics(resp.Diagnostics, entry.name, "PlanResourceChange", addr, r)))
	if resp.Diagnostics.HasErrors() {
		return cty.UnknownVal(config.Type()), diags
	}
	block := entry.blockOf(addr.Resource)
	planned := remark(resp.PlannedState, block, config, priorVal)

	change := &plans.ResourceChange{
		Addr: addr, Provider: entry.name, Before: priorVal, After: planned,
		RequiresReplace: resp.RequiresReplace, Private: resp.PlannedPrivate, Rollout: resp.Rollout,
		Dependencies: w.dependencies(r),
	}
	switch {
	case obj == nil:
		change.Action = plans.Create
	case w.replace[addr.String()]:
		change.Action, change.Reason = replaceAction(r), plans.ReasonReplaceRequested
	case obj.Status == state.ObjectTainted:
		change.Action, change.Reason = replaceAction(r), plans.ReasonTainted
	case len(resp.RequiresReplace) > 0:
		change.Action, change.Reason = replaceAction(r), plans.ReasonCannotUpdate
	case r.Lifecycle.IgnoreAllChanges || valuesEqual(priorVal, planned):
		change.Action, change.After, change.Rollout = plans.NoOp, priorVal, nil
	default:
		change.Action = plans.Update
	}
	if change.Action.IsReplace() {
		// A replacement starts from nothing: the provider plans a create.
		cr := entry.p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{
			TypeName: typeName, PriorState: cty.NullVal(config.Type()), ProposedNewState: config, Config: config,
			SavedPlannedState: w.saved[addr.String()],
		})
		diags = diags.Extend(configDiagnostics(cr.Diagnostics, entry.name, "PlanResourceChange", addr, r))
		if cr.Diagnostics.HasErrors() {
			return cty.UnknownVal(config.Type()), diags
		}
		change.After, change.Private, change.Rollout = remark(cr.PlannedState, block, config), cr.PlannedPrivate, cr.Rollout
		diags = diags.Extend(preventDestroy(addr, &r.Lifecycle, r.DeclRange))
	}
	var rec *state.Canary
	if obj != nil {
		rec = obj.Canary
	}
	if d := planCanary(change, rec, w.opts.Canary[addr.String()]); d.HasErrors() {
		return cty.UnknownVal(config.Type()), diags.Extend(d)
	}
	if change.Rollout != nil || change.Canary != plans.CanaryNone {
		change.Routers = w.routers().of(addr)
	}
	w.addChange(change)
	return pausedValue(change), diags
}

// routers indexes the routers of the prior state (traffic.go).
func (w *planWalker) routers() routers {
	w.routersOnce.Do(func() { w.routerIdx = routersIn(w.prior) })
	return w.routerIdx
}

// planRead reads a data source at plan time when its configuration is
// known, and defers the read to apply otherwise.
func (w *planWalker) planRead(ctx context.Context, entry *providerEntry, r *lang.Resource, addr addrs.Instance, typeName string, config cty.Value, diags hcl.Diagnostics) (cty.Value, hcl.Diagnostics) {
	change := &plans.ResourceChange{Addr: addr, Provider: entry.name, Action: plans.Read,
		Before: cty.NullVal(config.Type()), Dependencies: w.dependencies(r)}
	if !config.IsWhollyKnown() {
		change.After = cty.UnknownVal(config.Type())
		w.addChange(change)
		return change.After, diags
	}
	resp := entry.p.ReadDataSource(ctx, providers.ReadDataSourceRequest{TypeName: typeName, Config: config})
	diags = diags.Extend(redactDiags(configDiagnostics(resp.Diagnostics, entry.name, "ReadDataSource", addr, r)))
	if resp.Diagnostics.HasErrors() {
		return cty.UnknownVal(config.Type()), diags
	}
	resp.State = remark(resp.State, entry.blockOf(addr.Resource), config)
	// Read at plan time: nothing left to read at apply, which records the
	// value (a no-op change carries it, as for the plan file).
	before := cty.NullVal(resp.State.Type())
	if obj := w.refreshed.Instance(addr); obj != nil {
		before = obj.Value
	}
	w.refreshed.SetInstance(addr, entry.name, &state.Object{Value: resp.State})
	w.addChange(&plans.ResourceChange{Addr: addr, Provider: entry.name, Action: plans.NoOp,
		Before: before, After: resp.State, Dependencies: change.Dependencies})
	return resp.State, diags
}

// planOrphan plans the destruction of a resource that is only in state.
func (w *planWalker) planOrphan(ctx context.Context, v *vertex) hcl.Diagnostics {
	if w.opts.Mode == plans.RefreshOnlyMode {
		return nil
	}
	var diags hcl.Diagnostics
	for _, k := range v.orphan.SortedKeys() {
		addr := v.orphan.Addr.Instance(k)
		if !w.targeted(addr) || w.refreshed.Instance(addr) == nil {
			continue
		}
		if v.orphan.Addr.Mode == addrs.Data {
			// Data sources are forgotten, never destroyed.
			w.addChange(&plans.ResourceChange{Addr: addr, Provider: v.provider, Action: plans.Delete,
				Reason: plans.ReasonNoConfig, Before: w.refreshed.Instance(addr).Value,
				After: cty.NullVal(w.refreshed.Instance(addr).Value.Type())})
			continue
		}
		diags = diags.Extend(w.planDelete(addr, v.provider, plans.ReasonNoConfig, nil, hcl.Range{}))
	}
	return diags
}

// planDelete records the destruction of a recorded instance, refused when
// its lifecycle has prevent_destroy.
func (w *planWalker) planDelete(addr addrs.Instance, provider string, reason plans.Reason, lc *lang.Lifecycle, rng hcl.Range) hcl.Diagnostics {
	obj := w.refreshed.Instance(addr)
	if obj == nil {
		return nil
	}
	w.addChange(&plans.ResourceChange{Addr: addr, Provider: provider, Action: plans.Delete, Reason: reason,
		Before: obj.Value, After: cty.NullVal(obj.Value.Type()), Dependencies: obj.Dependencies})
	if lc != nil {
		return preventDestroy(addr, lc, rng)
	}
	return nil
}

// planOutput evaluates a root output and compares it with the recorded one.
func (w *planWalker) planOutput(v *vertex) hcl.Diagnostics {
	o := w.e.Config.Outputs[v.name]
	if o == nil {
		return nil
	}
	val, diags := evalOutput(o, w.data, w.e.Config)
	if diags.HasErrors() {
		return diags
	}
	if w.opts.Mode == plans.DestroyMode {
		val = cty.NullVal(cty.DynamicPseudoType)
	}
	oc := &plans.OutputChange{Name: v.name, After: val, Sensitive: o.Sensitive, Action: plans.Create}
	if prev, ok := w.prior.Outputs[v.name]; ok && prev != nil {
		oc.Before = prev.Value
		switch {
		case w.opts.Mode == plans.DestroyMode:
			oc.Action = plans.Delete
		case valuesEqual(prev.Value, val):
			oc.Action = plans.NoOp
		default:
			oc.Action = plans.Update
		}
	} else {
		oc.Before = cty.NullVal(cty.DynamicPseudoType)
		if w.opts.Mode == plans.DestroyMode {
			oc.Action = plans.NoOp
		}
	}
	w.data.set(v.addr, val)
	w.mu.Lock()
	w.outputs = append(w.outputs, oc)
	w.mu.Unlock()
	return diags
}

// resourceSchema returns the schema the block's configuration is decoded
// with and the provider's name of its type.
func (w *planWalker) resourceSchema(entry *providerEntry, r *lang.Resource) (*lang.BlockSchema, string, hcl.Diagnostics) {
	return blockSchema(entry, r)
}

func (w *planWalker) targeted(addr addrs.Instance) bool {
	if w.targets == nil {
		return true
	}
	return w.targets[addr.String()] || w.targets[addr.Resource.String()]
}

// dependencies lists the resources a block refers to, recorded in state so
// that a later destroy can be ordered without the configuration.
func (w *planWalker) dependencies(r *lang.Resource) []addrs.Resource {
	return resourceDependencies(w.gr, r)
}

func lineageOf(st *state.State) string {
	if st == nil {
		return ""
	}
	return st.Lineage
}

func serialOf(st *state.State) uint64 {
	if st == nil {
		return 0
	}
	return st.Serial
}

// checkOptionAddresses refuses a -target or -replace address that names
// nothing, in the configuration or the state: a typo would otherwise make
// an empty plan that looks like "nothing to do".
func checkOptionAddresses(cfg *lang.Config, st *state.State, opts PlanOptions) hcl.Diagnostics {
	if len(opts.Targets) == 0 && len(opts.Replace) == 0 {
		return nil
	}
	var diags hcl.Diagnostics
	known := st.Addresses()
	for key := range cfg.Resources {
		known = append(known, key)
	}
	check := func(flag string, a addrs.Instance, needsObject bool) {
		r, inConfig := cfg.Resources[a.Resource.String()]
		// A key on a resource without count or for_each names nothing.
		single := inConfig && r.Count == nil && r.ForEach == nil && a.Key != addrs.NoKey
		ok := (inConfig || st.Resource(a.Resource) != nil) && (!single || st.Instance(a) != nil)
		if needsObject {
			ok = st.Instance(a) != nil
		}
		if ok {
			return
		}
		what := "is not declared in the configuration and has no object in the state"
		switch {
		case single && st.Instance(a) == nil:
			what = fmt.Sprintf("has an index, but %s has no count or for_each", a.Resource)
		case needsObject:
			what = "has no object in the state: there is nothing to replace"
		}
		detail := fmt.Sprintf("%s %s.", a, what)
		if s := addrs.Suggest(a.String(), known); s != "" {
			detail += fmt.Sprintf(" Did you mean %s?", s)
		} else if single {
			detail += fmt.Sprintf(" Did you mean %s?", a.Resource)
		}
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + flag + " address", Detail: detail})
	}
	for _, a := range opts.Targets {
		check("-target", a, false)
	}
	for _, a := range opts.Replace {
		check("-replace", a, true)
	}
	return diags
}
