package core

import (
	"context"
	"fmt"
	"slices"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/dag"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Import brings the existing object id under management as addr, which
// must be declared in the configuration and not yet in the state. The
// state is written when the import succeeds.
func (o *Operation) Import(ctx context.Context, addr addrs.Instance, id string) (imported *state.State, diags hcl.Diagnostics) {
	e := o.Engine
	r := e.Config.Resources[addr.Resource.String()]
	if r == nil || addr.Resource.Mode != addrs.Managed {
		return nil, errDiag("Import to a resource not in the configuration",
			fmt.Sprintf("%s is not declared; write its block in the configuration before importing into it.", addr.Resource), nil)
	}
	if id == "" {
		return nil, errDiag("Invalid import ID", fmt.Sprintf("The ID to import %s from is empty.", addr), nil)
	}
	diags = o.withState(ctx, "import", func(st *state.State) hcl.Diagnostics {
		imported = priorState(st)
		return o.importInto(ctx, imported, r, addr, id)
	})
	return imported, diags
}

// importInto imports the object id as addr into st, and writes st.
func (o *Operation) importInto(ctx context.Context, st *state.State, r *lang.Resource, addr addrs.Instance, id string) hcl.Diagnostics {
	e := o.Engine
	if st.Instance(addr) != nil {
		return errDiag("Resource already managed by berth",
			fmt.Sprintf("%s is already in the state; to import it again, first remove it with berth state rm %s.", addr, addr), nil)
	}

	// Evaluate only what the provider's configuration and the resource's
	// configuration need, then start the provider.
	gr, diags := buildGraph(e.Config, st)
	if diags.HasErrors() {
		return diags
	}
	pv, ok := gr.index["provider."+r.ProviderName]
	if !ok {
		return errDiag("Unknown provider", fmt.Sprintf("No provider for %s.", addr), nil)
	}
	roots := []int{pv}
	if rv, ok := gr.index[addr.Resource.String()]; ok {
		roots = append(roots, gr.g.Dependencies(rv)...)
	}
	w, diags := e.startOnly(ctx, st, gr, roots)
	defer w.ps.closeAll()
	if diags.HasErrors() {
		return diags
	}
	entry, diags := w.ps.get(ctx, r.ProviderName, nil)
	if diags.HasErrors() {
		return diags
	}
	config, diags := w.importConfig(entry, r, addr)
	if diags.HasErrors() {
		return diags
	}
	resp := entry.p.ImportResource(ctx, providers.ImportResourceRequest{TypeName: providerTypeName(entry.name, r.Type), ID: id, Config: config})
	diags = redactDiags(configDiagnostics(resp.Diagnostics, entry.name, "ImportResource", addr, r))
	if diags.HasErrors() {
		return diags
	}
	if resp.State.IsNull() {
		return errDiag("Cannot import non-existent object", fmt.Sprintf("Provider %s found no object with ID %q for %s.", entry.name, id, addr), r.DeclRange.Ptr())
	}
	resp.State = remark(resp.State, entry.blockOf(addr.Resource))
	st.SetInstance(addr, entry.name, &state.Object{Value: resp.State, Private: resp.Private, Dependencies: resourceDependencies(gr, r)})
	if err := o.State.Write(ctx, st); err != nil {
		return errDiag("Failed to persist state", err.Error(), nil)
	}
	return diags
}

// startOnly evaluates the vertices roots depend on and roots themselves,
// as plan would but without refreshing: the configuration objects that
// provider blocks (and a resource's configuration) refer to, and the
// providers, started and configured. Close the walker's providers when
// done (w.ps.closeAll).
func (e *Engine) startOnly(ctx context.Context, st *state.State, gr *graph, roots []int) (*planWalker, hcl.Diagnostics) {
	keep := map[int]bool{}
	stack := slices.Clone(roots)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		keep[v] = true
		for _, d := range gr.g.Dependencies(v) {
			if !keep[d] {
				stack = append(stack, d)
			}
		}
	}
	w := &planWalker{e: e, opts: PlanOptions{}, prior: st, gr: gr,
		refreshed: state.NewSyncState(st.DeepCopy()),
		ps:        newProviderSet(e.Launcher, e.Config, e.ProviderParallelism, e.Variables),
		data:      newEvalData(), sem: newBounds(e.parallelism())}
	gr.g.Walk(ctx, dag.WalkOptions{Parallelism: e.walkParallelism()}, func(ctx context.Context, v int) error {
		if !keep[v] {
			return nil
		}
		return w.visit(ctx, gr.g.Vertex(v))
	})
	return w, w.diags
}

// importConfig evaluates the configuration of the instance addr imports
// into, as plan would: providers whose objects live where the
// configuration says (an app's cluster) find the object with it.
func (w *planWalker) importConfig(entry *providerEntry, r *lang.Resource, addr addrs.Instance) (cty.Value, hcl.Diagnostics) {
	exp, diags := expand(r, w.e.Config, w.data)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	if !exp.index[addr.Key] {
		return cty.NilVal, errDiag("Import to an instance not in the configuration",
			fmt.Sprintf("%s is not an instance of %s as configured (count or for_each gives other keys).", addr, addr.Resource), r.DeclRange.Ptr())
	}
	schema, _, d := w.resourceSchema(entry, r)
	if diags = diags.Extend(d); diags.HasErrors() {
		return cty.NilVal, diags
	}
	config, d := exp.scope(addr.Key).EvalResourceConfig(r, schema)
	if diags = diags.Extend(d); diags.HasErrors() {
		return cty.NilVal, diags
	}
	return lang.CompleteDomainValue(r.Kind, instanceName(addr), config, w.data.registries(w.e.Config)), diags
}
