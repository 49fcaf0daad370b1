package core

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/dag"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/core/rollout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/redact"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// ApplyOptions control an apply.
type ApplyOptions struct {
	// Stop, when closed, stops the apply gracefully: nothing new starts,
	// providers are asked to Stop, calls in flight finish and their
	// results are recorded. Cancelling the context instead abandons calls
	// in flight at once (the second Ctrl-C).
	Stop <-chan struct{}
}

// Apply carries out p against the recorded state held by ss (the state the
// plan was made against), recording every object that changes in ss and
// notifying persist, which writes it. When Apply returns, ss says
// truthfully what exists, also after a failure or an interruption.
//
// A saved plan (p.Saved) is not carried out as read: Apply plans again
// and carries out that plan, only if it agrees with p (replanSaved).
//
// As soon as persist fails to write, Apply stops as on a graceful stop,
// but without asking providers to stop: nothing new starts (what it
// would do could not be recorded), calls in flight finish and are
// recorded in ss. When the final write fails too, the state is written to
// ErroredStateFile in the configuration's directory, or returned for the
// caller to print, and the error says so (a *StateWriteFailure in its
// Extra).
func (e *Engine) Apply(ctx context.Context, p *plans.Plan, ss *state.SyncState, persist *statemgr.Persister, opts ApplyOptions) hcl.Diagnostics {
	if p.Errored {
		return errDiag("Cannot apply an incomplete plan", "The plan stopped on an error; fix it and plan again.", nil)
	}
	prior := ss.Snapshot()
	if p.Saved {
		// Planning again changes nothing: a stop (Ctrl-C) ends it at once.
		pctx, cancel := withStop(ctx, opts.Stop)
		fresh, diags := e.replanSaved(pctx, prior, p)
		cancel()
		if diags.HasErrors() {
			return diags
		}
		p = fresh
	}

	// The walk stops scheduling when Stop closes or a write of the state
	// fails (its cause then says which); provider calls keep ctx.
	walkCtx, cancelWalk := context.WithCancelCause(ctx)
	defer cancelWalk(nil)

	a := &applyWalker{
		e: e, p: p, ss: ss, persist: persist,
		ps:      newProviderSet(e.Launcher, e.Config, e.ProviderParallelism, e.Variables),
		data:    newEvalData(),
		sem:     newBounds(e.parallelism()),
		changes: make(map[string]*plans.ResourceChange, len(p.Changes)),
		deposed: map[addrs.Resource][]*plans.ResourceChange{},
		walkCtx: walkCtx,
		stop:    opts.Stop,
		count:   changeCounter{total: carriedOut(p)},
	}
	defer a.ps.closeAll()
	for _, c := range p.Changes {
		if c.Deposed != "" {
			a.deposed[c.Addr.Resource] = append(a.deposed[c.Addr.Resource], c)
			continue
		}
		a.changes[c.Addr.String()] = c
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		failed := persist.Failed()
		for {
			select {
			case <-opts.Stop:
				cancelWalk(nil)
				a.ps.stopAll(context.WithoutCancel(ctx))
				return
			case <-failed:
				// The calls in flight finish by themselves; a Ctrl-C
				// still stops them.
				failed = nil
				cancelWalk(errStateNotWritten)
				e.emit(Event{Type: EventStateWriteFailed, Message: persist.FirstErr().Error()})
			case <-done:
				return
			}
		}
	}()

	// A backend that cannot store the state (a full disk) refuses the
	// apply before anything changes: found at the first write during the
	// apply, it would stop it only once the calls in flight had made
	// objects that only the errored state records.
	if p.Applicable() {
		if err := persist.Check(context.WithoutCancel(ctx)); err != nil {
			return errDiag("Cannot write the state",
				fmt.Sprintf("berth writes the state before it changes anything, and writing it to %s failed: %v. Nothing was changed.", persist.Location(), err), nil)
		}
	}

	// What refresh found is recorded first: the state then starts from the
	// truth, whatever happens next.
	for _, d := range p.Drift {
		if d.Action == plans.Delete {
			ss.RemoveInstance(d.Addr)
		} else if obj := ss.Instance(d.Addr); obj != nil {
			nobj := *obj
			nobj.Value = d.After
			ss.SetInstance(d.Addr, d.Provider, &nobj)
		}
	}
	if len(p.Drift) > 0 {
		persist.Changed()
	}
	if p.Mode == plans.RefreshOnlyMode {
		return a.finish(ctx, nil)
	}

	gr, diags := buildGraph(e.Config, prior)
	if diags.HasErrors() {
		return a.finish(ctx, diags) // the drift recorded is persisted
	}
	a.gr = gr
	keep := gr.restrict(p.Targets)
	// The walk's context (walkCtx) only decides what starts; what started
	// runs with ctx, so a graceful stop lets calls in flight finish and
	// their results be recorded.
	visit := func(_ context.Context, id int) error {
		if keep != nil && !keep[id] {
			return nil
		}
		return a.visit(ctx, gr.g.Vertex(id))
	}
	wopts := dag.WalkOptions{Parallelism: e.walkParallelism()}
	var errs dag.Errors
	if p.Mode == plans.DestroyMode {
		// Configuration and providers first, then objects in reverse
		// dependency order: dependents are destroyed before what they use.
		errs = gr.g.Walk(walkCtx, wopts, func(wctx context.Context, id int) error {
			if v := gr.g.Vertex(id); v.kind == vResource || v.kind == vOrphan || v.kind == vOutput {
				return nil
			}
			return visit(wctx, id)
		})
		if len(errs.Failed()) == 0 {
			errs = gr.g.ReverseWalk(walkCtx, wopts, func(wctx context.Context, id int) error {
				if v := gr.g.Vertex(id); v.kind != vResource && v.kind != vOrphan {
					return nil
				}
				return visit(wctx, id)
			})
		}
	} else {
		errs = gr.g.Walk(walkCtx, wopts, visit)
	}
	a.addDiags(walkErrors(errs, gr, nil))
	a.addDiags(a.destroyRemainingDeposed(ctx))
	// Outputs no longer in the configuration (all of them, for a destroy)
	// are forgotten.
	for name := range prior.Outputs {
		if _, ok := e.Config.Outputs[name]; !ok || p.Mode == plans.DestroyMode {
			ss.SetOutput(name, nil)
		}
	}
	return a.finish(ctx, nil)
}

// withStop returns a child of ctx that is also cancelled when stop (nil:
// never) closes, for work that has nothing to finish once berth is asked
// to stop. Call cancel when the work is done.
func withStop(ctx context.Context, stop <-chan struct{}) (_ context.Context, cancel context.CancelFunc) {
	sctx, cancel := context.WithCancel(ctx)
	if stop != nil {
		go func() {
			select {
			case <-stop:
				cancel()
			case <-sctx.Done():
			}
		}()
	}
	return sctx, cancel
}

// destroyDeposedOf destroys the deposed objects of raddr that the plan
// destroys (see state.Deposed). One that cannot be destroyed stays
// recorded, for the next run.
func (a *applyWalker) destroyDeposedOf(ctx context.Context, raddr addrs.Resource) hcl.Diagnostics {
	a.mu.Lock()
	todo := a.deposed[raddr]
	delete(a.deposed, raddr)
	a.mu.Unlock()
	var diags hcl.Diagnostics
	for _, c := range todo {
		if a.stopped() {
			break
		}
		diags = diags.Extend(a.destroyDeposed(ctx, c))
	}
	return diags
}

// destroyRemainingDeposed destroys, after the walk, the deposed objects of
// resources the graph no longer has.
func (a *applyWalker) destroyRemainingDeposed(ctx context.Context) hcl.Diagnostics {
	a.mu.Lock()
	var rs []addrs.Resource
	for r := range a.deposed {
		rs = append(rs, r)
	}
	a.mu.Unlock()
	slices.SortFunc(rs, addrs.Resource.Compare)
	var diags hcl.Diagnostics
	for _, r := range rs {
		diags = diags.Extend(a.destroyDeposedOf(ctx, r))
	}
	return diags
}

// destroyDeposed destroys one deposed object, as the state records it (a
// plan file holds its secrets only as digests).
func (a *applyWalker) destroyDeposed(ctx context.Context, c *plans.ResourceChange) hcl.Diagnostics {
	defer func() {
		a.mu.Lock()
		a.done++
		a.mu.Unlock()
	}()
	d := a.ss.Deposed(c.Addr, c.Deposed)
	if d == nil {
		a.count.finished() // gone since the plan
		return nil
	}
	entry, diags := a.ps.get(ctx, d.Provider, providerConfigFunc(a.e.Config, d.Provider, a.data))
	if diags.HasErrors() {
		return diags
	}
	if err := a.sem.acquire(ctx, entry); err != nil {
		return nil
	}
	defer a.sem.release(entry)
	prior := d.Object.Value
	null := cty.NullVal(prior.Type())
	diags = a.call(ctx, entry, c, providers.ApplyResourceChangeRequest{
		TypeName: providerTypeName(entry.name, c.Addr.Resource.Type), PriorState: prior, PlannedState: null, Config: null, PlannedPrivate: d.Object.Private,
	}, false, lastCall)
	if !diags.HasErrors() {
		a.ss.RemoveDeposed(c.Addr, c.Deposed)
		a.persist.Changed()
	}
	return diags
}

// finish persists the final state and reports an interruption, or a
// state that could not be written (see Apply).
func (a *applyWalker) finish(ctx context.Context, diags hcl.Diagnostics) hcl.Diagnostics {
	a.mu.Lock()
	diags = diags.Extend(a.diags)
	a.mu.Unlock()
	unfinished := a.stopped() && !a.completedAll()
	a.persist.Changed()
	flushErr := a.persist.Flush(context.WithoutCancel(ctx))
	firstErr := a.persist.FirstErr()
	if firstErr == nil && flushErr == nil {
		if err := a.persist.SettleJournal(); err != nil {
			// The state is written: the next run finds the settled
			// intents recorded in it and drops them.
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Intent journal not cleared", Detail: err.Error()})
		}
		if open := a.persist.Unsettled(); len(open) > 0 {
			diags = diags.Append(unsettledDiagnostic(open, a.persist.JournalLocation()))
		}
		// Whether stopped gracefully or aborted (ctx cancelled: the calls
		// in flight failed, but instances that never started fail
		// nothing), an unfinished apply must not look like a success.
		if unfinished {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Apply interrupted",
				Detail: "berth stopped before every change was made; the state records what was done. Run berth apply again to finish."})
		}
		return diags
	}
	if firstErr == nil {
		firstErr = flushErr
	}
	f := &StateWriteFailure{Location: a.persist.Location(), Err: firstErr, Unfinished: unfinished, Stored: flushErr == nil}
	if !f.Stored {
		f.Err = flushErr
		f.ErroredPath = filepath.Join(a.e.Config.Dir, statemgr.ErroredStateFile)
		f.Data, f.ErroredErr = a.persist.WriteErrored(f.ErroredPath)
		if f.ErroredErr != nil {
			f.ErroredPath = ""
		}
	}
	return diags.Append(f.diagnostic())
}

// applyWalker is the state of one apply walk.
type applyWalker struct {
	e       *Engine
	p       *plans.Plan
	gr      *graph
	ss      *state.SyncState
	persist *statemgr.Persister
	ps      *providerSet
	data    *evalData
	sem     bounds
	changes map[string]*plans.ResourceChange
	walkCtx context.Context
	// stop is ApplyOptions.Stop (nil: never closes).
	stop <-chan struct{}
	// deposed are the plan's destroys of deposed objects, by resource:
	// done at the resource's step of the walk, before its instances (so
	// before what they depend on, in a destroy), or after the walk for a
	// resource the graph no longer has. Guarded by mu.
	deposed map[addrs.Resource][]*plans.ResourceChange

	// count numbers the changes as they finish, for progress lines.
	count changeCounter

	mu    sync.Mutex
	diags hcl.Diagnostics
	done  int
	// routerMu serialises the traffic steps of each router (traffic.go);
	// guarded by mu.
	routerMu map[string]*sync.Mutex

	routersOnce sync.Once
	routerIdx   routers
}

func (a *applyWalker) addDiags(d hcl.Diagnostics) {
	if len(d) == 0 {
		return
	}
	a.mu.Lock()
	a.diags = a.diags.Extend(d)
	a.mu.Unlock()
}

// persistFailed reports that a write of the state failed during the apply.
func (a *applyWalker) persistFailed() bool {
	select {
	case <-a.persist.Failed():
		return true
	default:
		return false
	}
}

func (a *applyWalker) completedAll() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.p.Changes {
		if c.Action != plans.NoOp {
			n++
		}
	}
	return a.done >= n
}

// stopped reports that berth is stopping: the graceful stop was asked for
// or a write of the state failed (both checked directly, so that no step
// starts between the event and the walk's cancellation), or the walk was
// cancelled.
func (a *applyWalker) stopped() bool {
	select {
	case <-a.stop:
		return true
	case <-a.persist.Failed():
		return true
	default:
	}
	return a.walkCtx.Err() != nil
}

func (a *applyWalker) visit(ctx context.Context, v *vertex) error {
	var diags hcl.Diagnostics
	switch v.kind {
	case vConfigObject:
		val, d := evalConfigObject(a.e.Config, a.e.Variables, v.addr, a.data)
		diags = d
		a.data.set(v.addr, val)
	case vProvider:
		_, diags = a.ps.get(ctx, v.name, providerConfigFunc(a.e.Config, v.name, a.data))
	case vResource:
		diags = a.applyResource(ctx, v)
	case vOrphan:
		diags = a.applyOrphan(ctx, v)
	case vOutput:
		diags = a.applyOutput(v)
	}
	a.addDiags(diags)
	if diags.HasErrors() {
		return errVertexFailed
	}
	return nil
}

func (a *applyWalker) applyResource(ctx context.Context, v *vertex) (diags hcl.Diagnostics) {
	r := v.res
	raddr := resourceAddr(r)
	if d := a.destroyDeposedOf(ctx, raddr); len(d) > 0 {
		defer func() { diags = d.Extend(diags) }()
	}
	var exp *expansion
	if a.p.Mode != plans.DestroyMode {
		exp, diags = expand(r, a.e.Config, a.data)
		if diags.HasErrors() {
			return diags
		}
	}
	entry, d := a.ps.get(ctx, v.provider, nil)
	if d.HasErrors() {
		return diags.Extend(d)
	}

	// Every planned change of this resource: its instances, and the
	// instances the expansion dropped.
	keys := map[addrs.InstanceKey]bool{}
	if exp != nil {
		for _, k := range exp.keys {
			keys[k] = true
		}
	}
	if sr := a.ss.Resource(raddr); sr != nil {
		for k := range sr.Instances {
			keys[k] = true
		}
	}
	vals := map[addrs.InstanceKey]cty.Value{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for key := range keys {
		addr := raddr.Instance(key)
		change := a.changes[addr.String()]
		if change != nil && change.Action == plans.NoOp && addr.Resource.Mode == addrs.Data {
			// A data source read at plan time: its value is recorded now.
			if obj := a.ss.Instance(addr); obj == nil || !valuesEqual(obj.Value, change.After) {
				a.record(entry, change, change.After, nil, "", false)
			}
			mu.Lock() // goroutines of earlier keys write vals too
			vals[key] = change.After
			mu.Unlock()
			continue
		}
		if change == nil || change.Action == plans.NoOp {
			if obj := a.ss.Instance(addr); obj != nil {
				mu.Lock()
				vals[key] = obj.Value
				mu.Unlock()
			}
			continue
		}
		var scope *lang.Scope
		if exp != nil && exp.index[key] {
			scope = exp.scope(key)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			val, d := a.applyInstance(ctx, entry, r, change, scope)
			mu.Lock()
			if val != cty.NilVal {
				vals[key] = val
			}
			diags = diags.Extend(d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if exp != nil {
		a.data.set(v.addr, resourceValue(r, exp.keys, vals))
	}
	return diags
}

func (a *applyWalker) applyOrphan(ctx context.Context, v *vertex) hcl.Diagnostics {
	if d := a.destroyDeposedOf(ctx, v.orphan.Addr); d.HasErrors() {
		return d
	}
	var todo []*plans.ResourceChange
	for _, k := range v.orphan.SortedKeys() {
		if c := a.changes[v.orphan.Addr.Instance(k).String()]; c != nil && c.Action == plans.Delete {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if v.orphan.Addr.Mode == addrs.Data {
		for _, c := range todo {
			a.ss.RemoveInstance(c.Addr)
		}
		a.persist.Changed()
		return nil
	}
	entry, diags := a.ps.get(ctx, v.provider, nil)
	if diags.HasErrors() {
		return diags
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, d := a.applyInstance(ctx, entry, nil, c, nil)
			mu.Lock()
			diags = diags.Extend(d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return diags
}

// applyInstance carries out one planned change and returns the value
// references to the instance see afterwards.
func (a *applyWalker) applyInstance(ctx context.Context, entry *providerEntry, r *lang.Resource, change *plans.ResourceChange, scope *lang.Scope) (cty.Value, hcl.Diagnostics) {
	if a.stopped() {
		return cty.NilVal, nil
	}
	if err := a.sem.acquire(ctx, entry); err != nil {
		return cty.NilVal, nil
	}
	defer a.sem.release(entry)
	if a.stopped() {
		return cty.NilVal, nil
	}
	defer func() {
		a.mu.Lock()
		a.done++
		a.mu.Unlock()
	}()

	addr := change.Addr
	if addr.Resource.Mode == addrs.Managed && addr.Resource.Type == lang.KindLoadBalancer {
		// Not while a traffic step of an app's rollout works on it.
		mu := a.routerLock(addr)
		mu.Lock()
		defer mu.Unlock()
	}
	typeName := providerTypeName(entry.name, addr.Resource.Type)
	if change.Action == plans.Read {
		return a.read(ctx, entry, r, change, scope, typeName)
	}
	if change.Action == plans.Delete {
		if addr.Resource.Mode == addrs.Data {
			// A data source is only read: forgetting it destroys nothing.
			a.ss.RemoveInstance(addr)
			a.persist.Changed()
			return cty.NilVal, nil
		}
		return cty.NilVal, a.destroy(ctx, entry, change, typeName, lastCall)
	}

	if change.Canary == plans.CanaryAbort {
		return a.abortCanary(ctx, entry, change, typeName)
	}

	// Create, update or replace: evaluate the configuration again, now
	// that what it depends on exists, and let the provider plan the final
	// state; it must agree with what was planned.
	if r == nil || scope == nil {
		return cty.NilVal, errDiag("Cannot apply "+addr.String(), "Its configuration is gone since the plan was made; plan again.", nil)
	}
	schema, _, diags := blockSchema(entry, r)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	config, d := scope.EvalResourceConfig(r, schema)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	config = lang.CompleteDomainValue(r.Kind, instanceName(addr), config, a.data.registries(a.e.Config))

	prior := change.Before
	var priorPrivate []byte
	priorObj := a.ss.Instance(addr)
	if obj := priorObj; obj != nil {
		prior, priorPrivate = obj.Value, obj.Private
	} else if change.Action != plans.Create {
		prior = cty.NullVal(config.Type())
	}
	if change.Canary == plans.CanaryReplan && priorObj != nil {
		// A canary of a spec no longer asked for goes first, as an abort
		// would remove it; the change then starts from what is left.
		if d := a.retireCanary(ctx, entry, change, typeName); d.HasErrors() {
			return cty.NilVal, diags.Extend(d)
		}
		priorObj = a.ss.Instance(addr)
		prior, priorPrivate = priorObj.Value, priorObj.Private
	}
	if change.Action == plans.DeleteThenCreate {
		if !prior.IsNull() {
			del := *change
			del.Action, del.Before, del.After = plans.Delete, prior, cty.NullVal(prior.Type())
			if d := a.destroy(ctx, entry, &del, typeName, firstCall); d.HasErrors() {
				return cty.NilVal, diags.Extend(d)
			}
		}
		prior, priorPrivate = cty.NullVal(config.Type()), nil
	}
	createPrior := prior
	if change.Action == plans.CreateThenDelete {
		createPrior = cty.NullVal(config.Type())
	}
	ignored := config
	if !createPrior.IsNull() {
		ignored = ignoreChanges(config, createPrior, &r.Lifecycle)
	}
	pr := entry.p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{
		TypeName: typeName, PriorState: createPrior, ProposedNewState: ignored, Config: ignored, PriorPrivate: priorPrivate,
		SavedPlannedState: change.After,
	})
	diags = diags.Extend(redactDiags(configDiagnostics(pr.Diagnostics, entry.name, "PlanResourceChange", addr, r)))
	if pr.Diagnostics.HasErrors() {
		return cty.NilVal, diags
	}
	pr.PlannedState = remark(pr.PlannedState, entry.blockOf(addr.Resource), config, createPrior)
	if path, ok := inconsistent(change.After, pr.PlannedState); !ok {
		return cty.NilVal, diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Provider produced an inconsistent final plan",
			Detail: fmt.Sprintf("When applying %s, provider %s planned %s differently from the saved plan "+
				"(the real system changed since the plan was made, e.g. an image tag moved). Nothing was changed for this object; run berth plan again.",
				addr, entry.name, plans.FormatPath(path)),
			Subject: r.DeclRange.Ptr(),
		})
	}

	// The previous object of a create_before_destroy replacement is
	// deposed before the new one is made: whatever happens next (a kill),
	// the state records it, and the next plan destroys it.
	var oldKey string
	if change.Action == plans.CreateThenDelete && priorObj != nil {
		if oldKey = a.ss.DeposeInstance(addr, entry.name); oldKey != "" {
			a.persist.Changed()
		}
	}
	// The destroy of the deposed object ends a create_before_destroy
	// replacement, not its create.
	part := lastCall
	if oldKey != "" {
		part = firstCall
	}
	newVal, d := a.applyChange(ctx, entry, change, typeName, createPrior, pr, config, part)
	diags = diags.Extend(d)
	if oldKey != "" && diags.HasErrors() && a.ss.Instance(addr) == nil {
		// The replacement made nothing: the previous object is the
		// instance's object again. Beside a partial new one, it stays
		// deposed.
		a.ss.RestoreDeposed(addr, oldKey)
		a.persist.Changed()
	}
	if oldKey != "" && !diags.HasErrors() {
		del := *change
		del.Action, del.Before, del.After, del.Deposed = plans.Delete, prior, cty.NullVal(prior.Type()), oldKey
		null := cty.NullVal(prior.Type())
		dd := a.call(ctx, entry, &del, providers.ApplyResourceChangeRequest{
			TypeName: typeName, PriorState: prior, PlannedState: null, Config: null, PlannedPrivate: priorPrivate,
		}, false, lastCall)
		if !dd.HasErrors() {
			a.ss.RemoveDeposed(addr, oldKey)
			a.persist.Changed()
		} else {
			// The previous object still exists: the state keeps it as
			// deposed, and the next plan destroys it.
			key := oldKey
			id := ""
			if v := idOf(prior); v != "" {
				id = fmt.Sprintf(" (id %q)", v)
			}
			dd = dd.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Previous object left behind",
				Detail:  fmt.Sprintf("%s was replaced (create_before_destroy), but its previous object%s could not be destroyed. The state keeps it as deposed object %s, and the next berth apply destroys it.", addr, id, key),
				Subject: r.DeclRange.Ptr()})
		}
		diags = diags.Extend(dd)
	}
	return newVal, diags
}

// applyChange runs one create or update, as a rollout when the provider
// planned one, and records the result. part says whether it ends the
// planned change.
func (a *applyWalker) applyChange(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, typeName string, prior cty.Value, pr providers.PlanResourceChangeResponse, config cty.Value, part callPart) (cty.Value, hcl.Diagnostics) {
	if (change.Canary == plans.CanaryStart || change.Canary == plans.CanaryPromote) && !prior.IsNull() &&
		(pr.Rollout == nil || len(pr.Rollout.Waves) == 0) && change.Rollout != nil {
		// A canary part without waves (planCanary: every name already
		// runs the new spec) still goes through the driver.
		pr.Rollout = change.Rollout
	}
	canaryPart := change.Canary == plans.CanaryStart || change.Canary == plans.CanaryPromote
	driven := pr.Rollout != nil && (len(pr.Rollout.Waves) > 0 || canaryPart)
	if !driven || prior.IsNull() {
		if !prior.IsNull() {
			if d := a.drainRemoved(ctx, change.Addr, prior, pr.PlannedState); d.HasErrors() {
				return a.currentValue(change.Addr), d
			}
		}
		d := a.call(ctx, entry, change, providers.ApplyResourceChangeRequest{
			TypeName: typeName, PriorState: prior, PlannedState: pr.PlannedState, Config: config, PlannedPrivate: pr.PlannedPrivate,
		}, true, part)
		return a.currentValue(change.Addr), d
	}
	start := time.Now()
	a.e.emit(Event{Type: EventApplyStart, Addr: change.Addr, Action: change.Action})
	// One clock for the whole rollout: "Still modifying... [20s elapsed]"
	// counts from its start, not from each wave's.
	stopTicker := a.progress(change.Addr, change.Action, start)
	val, diags := a.rollout(ctx, entry, change, typeName, prior, pr, config)
	stopTicker()
	if diags.HasErrors() {
		a.e.emit(Event{Type: EventApplyErrored, Addr: change.Addr, Action: change.Action, Elapsed: time.Since(start), Message: diags[0].Summary})
	} else {
		a.completed(Event{Type: EventApplyComplete, Addr: change.Addr, Action: change.Action, Elapsed: time.Since(start)}, part)
	}
	return val, diags
}

// rollout drives the waves of a rollout, and the revert when one fails,
// through the one rollout driver (package core/rollout); each step's
// result is recorded as it comes.
func (a *applyWalker) rollout(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, typeName string, prior cty.Value, pr providers.PlanResourceChangeResponse, config cty.Value) (cty.Value, hcl.Diagnostics) {
	d := a.driver(entry, change, typeName, config, pr.PlannedPrivate, pr.Rollout)
	val, diags := a.runCanary(ctx, d, change, prior, pr.PlannedState, pr.Rollout)
	if val == cty.NilVal {
		val = a.currentValue(change.Addr)
	}
	return val, diags
}

// driver is the rollout driver of change: each step an
// ApplyResourceChange of the object as recorded now, its events the
// engine's.
func (a *applyWalker) driver(entry *providerEntry, change *plans.ResourceChange, typeName string, config cty.Value, private []byte, ro *providers.Rollout) *rollout.Driver {
	addr := change.Addr
	if ro == nil {
		ro = &providers.Rollout{}
	}
	return &rollout.Driver{
		Object: addr.String(),
		Apply: func(ctx context.Context, planned cty.Value, step providers.RolloutStep) (cty.Value, hcl.Diagnostics) {
			return a.callQuiet(ctx, entry, change, providers.ApplyResourceChangeRequest{
				TypeName: typeName, PriorState: a.currentValue(addr), PlannedState: planned, Config: config, PlannedPrivate: private, Step: step,
			})
		},
		Hooks:   a.hooksFor(addr, ro),
		Stopped: a.stopped,
		Events: func(ev rollout.Event) {
			e := Event{Addr: addr, Action: change.Action, Wave: ev.Wave, Waves: ev.Waves, WaveInstances: ev.Instances}
			switch ev.Kind {
			case rollout.WaveStarted:
				e.Type, e.Message = EventWaveStart, waveDescription(ev.Instances)
			case rollout.WaveCompleted:
				e.Type, e.Message = EventWaveComplete, waveDescription(ev.Instances)
			case rollout.RevertStarted:
				e.Type, e.Message = EventRevert, fmt.Sprintf("wave %d failed; reverting to the previous spec", ev.Wave)
				if ev.Wave == 0 {
					e.Message = "the canary failed; removing it"
				}
			case rollout.CanaryStarted:
				e.Type, e.Message = EventCanary, fmt.Sprintf("starting %s on the new spec beside the previous instances", strings.Join(ev.Names, ", "))
			case rollout.CanaryReady:
				e.Type, e.Message = EventCanary, fmt.Sprintf("%s ready, taking %d%% of the traffic; the rollout pauses here", strings.Join(ev.Names, ", "), ev.Weight)
			}
			a.e.emit(e)
		},
	}
}

// waveDescription is a wave's size, as events and plans say it: "2 instances".
func waveDescription(ins []providers.WaveInstance) string {
	if len(ins) == 1 {
		return "1 instance"
	}
	return fmt.Sprintf("%d instances", len(ins))
}

// call performs one ApplyResourceChange, announced as an operation of its
// own (start, completion), and records what the provider reports as
// existing afterwards (when record is set; otherwise the caller records
// it). part says whether its completion ends the planned change. A
// create or a destroy is first written to the intent journal (intend),
// and is not made when that fails.
func (a *applyWalker) call(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, req providers.ApplyResourceChangeRequest, record bool, part callPart) hcl.Diagnostics {
	addr := change.Addr
	if a.stopped() {
		// Not announced: the summary must not count it as started, or
		// as failed.
		return a.notStarted(addr)
	}
	action := change.Action
	if req.PlannedState.IsNull() {
		action = plans.Delete
	}
	key, diags := a.intend(ctx, entry, change, &req)
	if diags.HasErrors() {
		return diags
	}
	start := time.Now()
	a.e.emit(Event{Type: EventApplyStart, Addr: addr, Action: action})
	newState, newPrivate, resumable, diags := a.invoke(ctx, entry, change, action, req, true)
	if record {
		a.record(entry, change, newState, newPrivate, req.IdempotencyKey, diags.HasErrors() && !resumable)
	}
	if key != "" && newState != cty.NilVal {
		// The outcome is known and in the state (or, for a caller that
		// records it, will be before the apply's final write).
		a.persist.Settled(key)
	}
	if diags.HasErrors() {
		a.e.emit(Event{Type: EventApplyErrored, Addr: addr, Action: action, Elapsed: time.Since(start), Message: diags[0].Summary})
	} else {
		a.completed(Event{Type: EventApplyComplete, Addr: addr, Action: action, Elapsed: time.Since(start), ID: idOf(newState)}, part)
	}
	return diags
}

// notStarted is the error of a change that did not start because berth
// is stopping (its object stays as recorded): an error, so that what
// depends on the change does not go on (a create_before_destroy does not
// destroy the previous object).
func (a *applyWalker) notStarted(addr addrs.Instance) hcl.Diagnostics {
	summary, why := "Apply interrupted", "berth was stopped before it started"
	if a.persistFailed() {
		summary, why = "Change not started", "berth stopped before it started, since the state could not be written"
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary,
		Detail: fmt.Sprintf("%s: not changed: %s.", addr, why)}}
}

// callQuiet performs one step of a rollout: part of an operation that
// rollout announces, so it emits only the provider's events. What exists
// afterwards is recorded and returned (cty.NilVal when the provider could
// not say).
func (a *applyWalker) callQuiet(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, req providers.ApplyResourceChangeRequest) (cty.Value, hcl.Diagnostics) {
	newState, newPrivate, _, diags := a.invoke(ctx, entry, change, change.Action, req, false)
	a.record(entry, change, newState, newPrivate, "", false)
	return newState, diags
}

// invoke makes the ApplyResourceChange call, relaying the provider's
// events (and progress ticks, with tick), and checks the provider's result.
// resumable is the provider's word that a failed create left an object
// to finish, not to replace (providers.ApplyResourceChangeResponse).
func (a *applyWalker) invoke(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, action plans.Action, req providers.ApplyResourceChangeRequest, tick bool) (_ cty.Value, _ []byte, resumable bool, _ hcl.Diagnostics) {
	addr := change.Addr
	if a.stopped() {
		return cty.NilVal, nil, false, a.notStarted(addr)
	}
	start := time.Now()
	stopTicker := func() {}
	if tick {
		stopTicker = a.progress(addr, action, start)
	}
	defer a.remindStop(ctx, entry)()
	resp := entry.p.ApplyResourceChange(ctx, req, func(ev providers.ApplyEvent) {
		a.e.emit(Event{Type: EventProvider, Addr: addr, Action: action, Elapsed: time.Since(start),
			Kind: ev.Kind, Message: redact.String(ev.Message), Wave: ev.Wave, Instance: ev.Instance})
	})
	stopTicker()
	diags := redactDiags(configDiagnostics(resp.Diagnostics, entry.name, "ApplyResourceChange", addr, nil))
	newState := remark(resp.NewState, entry.blockOf(addr.Resource), req.PlannedState, req.PriorState)
	if newState != cty.NilVal && !newState.IsWhollyKnown() {
		// A provider bug; the state must still be written, so the unknown
		// parts are recorded as null and the next refresh corrects them.
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError,
			Summary: "Provider returned an invalid new state",
			Detail:  fmt.Sprintf("Provider %s returned a new state for %s that still has values known only after apply. This is a bug in the provider; berth recorded them as null.", entry.name, addr)})
		newState = unknownsAsNull(newState)
	}
	return newState, resp.Private, resp.Resumable, diags
}

// record stores what the provider reported and persists it. A NilVal
// means the provider could not say what exists (it crashed): the recorded
// object is kept as it was, and the next refresh finds the truth.
//
// A create that failed part way leaves an object berth cannot vouch for:
// it is recorded tainted (failed set, unless the provider said the object
// is resumable), and the next plan replaces it.
//
// createKey is the idempotency key of the create that made the object
// ("" for another change: the object keeps the key it has).
func (a *applyWalker) record(entry *providerEntry, change *plans.ResourceChange, val cty.Value, private []byte, createKey string, failed bool) {
	if val == cty.NilVal {
		return
	}
	if val.IsNull() {
		a.ss.RemoveInstance(change.Addr)
	} else {
		var canary *state.Canary
		if prev := a.ss.Instance(change.Addr); prev != nil {
			if createKey == "" {
				createKey = prev.CreateKey
			}
			canary = prev.Canary // until the rollout says otherwise
		}
		obj := &state.Object{Value: val, Private: private, Dependencies: change.Dependencies, CreateKey: createKey, Canary: canary}
		if s, ok := entry.schemaOf(change.Addr.Resource); ok {
			obj.SchemaVersion = uint64(max(s.Version, 0))
		}
		if failed && (change.Action == plans.Create || change.Action.IsReplace()) {
			obj.Status = state.ObjectTainted
		}
		a.ss.SetInstance(change.Addr, entry.name, obj)
	}
	a.persist.Changed()
}

func (a *applyWalker) currentValue(addr addrs.Instance) cty.Value {
	if obj := a.ss.Instance(addr); obj != nil {
		return obj.Value
	}
	return cty.NilVal
}

func (a *applyWalker) destroy(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, typeName string, part callPart) hcl.Diagnostics {
	obj := a.ss.Instance(change.Addr)
	if obj == nil {
		if part == lastCall {
			a.count.finished() // already gone
		}
		return nil
	}
	null := cty.NullVal(obj.Value.Type())
	return a.call(ctx, entry, change, providers.ApplyResourceChangeRequest{
		TypeName: typeName, PriorState: obj.Value, PlannedState: null, Config: null, PlannedPrivate: obj.Private,
	}, true, part)
}

func (a *applyWalker) read(ctx context.Context, entry *providerEntry, r *lang.Resource, change *plans.ResourceChange, scope *lang.Scope, typeName string) (cty.Value, hcl.Diagnostics) {
	if r == nil || scope == nil {
		return cty.NilVal, nil
	}
	schema, _, diags := blockSchema(entry, r)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	config, d := scope.EvalResourceConfig(r, schema)
	if diags = diags.Extend(d); diags.HasErrors() {
		return cty.NilVal, diags
	}
	start := time.Now()
	a.e.emit(Event{Type: EventApplyStart, Addr: change.Addr, Action: plans.Read})
	resp := entry.p.ReadDataSource(ctx, providers.ReadDataSourceRequest{TypeName: typeName, Config: config})
	diags = diags.Extend(redactDiags(configDiagnostics(resp.Diagnostics, entry.name, "ReadDataSource", change.Addr, r)))
	if resp.Diagnostics.HasErrors() {
		a.e.emit(Event{Type: EventApplyErrored, Addr: change.Addr, Action: plans.Read, Elapsed: time.Since(start), Message: diags[0].Summary})
		return cty.NilVal, diags
	}
	resp.State = remark(resp.State, entry.blockOf(change.Addr.Resource), config)
	a.record(entry, change, resp.State, nil, "", false)
	a.completed(Event{Type: EventApplyComplete, Addr: change.Addr, Action: plans.Read, Elapsed: time.Since(start), ID: idOf(resp.State)}, lastCall)
	return resp.State, diags
}

func (a *applyWalker) applyOutput(v *vertex) hcl.Diagnostics {
	o := a.e.Config.Outputs[v.name]
	if o == nil {
		return nil
	}
	if a.p.Mode == plans.DestroyMode {
		a.ss.SetOutput(v.name, nil)
		return nil
	}
	val, diags := evalOutput(o, a.data, a.e.Config)
	if diags.HasErrors() {
		return diags
	}
	a.data.set(v.addr, val)
	if val.IsWhollyKnown() {
		a.ss.SetOutput(v.name, &state.Output{Value: val, Sensitive: o.Sensitive})
		a.persist.Changed()
	}
	return diags
}

// progress emits EventApplyProgress every ProgressInterval until stopped.
func (a *applyWalker) progress(addr addrs.Instance, action plans.Action, start time.Time) func() {
	if a.e.Events == nil {
		return func() {}
	}
	t := time.NewTicker(ProgressInterval)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				a.e.emit(Event{Type: EventApplyProgress, Addr: addr, Action: action, Elapsed: time.Since(start)})
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}

// inconsistent checks that every value known in the saved plan is the
// same in the final plan; it returns the first path that differs.
func inconsistent(saved, final cty.Value) (cty.Path, bool) {
	if saved == cty.NilVal || saved.IsNull() {
		return nil, true
	}
	var bad cty.Path
	_ = cty.Walk(saved, func(p cty.Path, sv cty.Value) (bool, error) {
		if bad != nil {
			return false, nil
		}
		sv, _ = sv.Unmark()
		if !sv.IsKnown() {
			return false, nil
		}
		if sv.Type().IsPrimitiveType() || sv.IsNull() {
			fv, err := p.Apply(final)
			if err != nil {
				return false, nil
			}
			fv, _ = fv.Unmark()
			if !fv.IsKnown() {
				return false, nil
			}
			if eq := sv.Equals(fv); eq.IsKnown() && eq.False() {
				bad = p.Copy()
			}
			return false, nil
		}
		return true, nil
	})
	return bad, bad == nil
}

// idOf returns an object's "id" attribute, when it has a known one.
func idOf(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute("id") {
		return ""
	}
	id := v.GetAttr("id")
	if id.IsKnown() && !id.IsNull() && id.Type() == cty.String {
		return id.AsString()
	}
	return ""
}

// unknownsAsNull replaces every unknown part of v by a null of its type.
func unknownsAsNull(v cty.Value) cty.Value {
	out, _ := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if !v.IsKnown() {
			return cty.NullVal(v.Type()).WithMarks(v.Marks()), nil
		}
		return v, nil
	})
	return out
}

// remindStop watches one call in flight: once berth is stopped, it asks
// the call's provider to stop, again every second until the call returns.
// A Stop that reached the provider just before the call did (the call was
// on its way when Ctrl-C came) would otherwise be lost on it. Call the
// returned function when the call returns.
//
// A failed write of the state stops the walk but not the calls in flight:
// only a stop asked for (Stop, or ctx cancelled) is relayed.
func (a *applyWalker) remindStop(ctx context.Context, entry *providerEntry) func() {
	done := make(chan struct{})
	go func() {
		select {
		case <-a.stop:
		case <-ctx.Done():
		case <-done:
			return
		}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
			_ = entry.p.Stop(sctx)
			cancel()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done) }
}
