package sdk

import (
	"context"
	"errors"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

type idempotencyKey struct{}

// IdempotencyKey returns the idempotency key berth gave the create being
// applied, inside Create (and ApplyStep of a create); "" elsewhere, and
// from a berth too old to send one. A resource type with Lookup stores it
// on the object it creates (a label, an annotation, a tag), so that Lookup
// finds the object if berth is killed before it records it.
func IdempotencyKey(ctx context.Context) string {
	key, _ := ctx.Value(idempotencyKey{}).(string)
	return key
}

func withIdempotencyKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// LookupResources finds objects by the idempotency key of their create:
// each object with its type's Lookup, concurrently up to ReadParallelism;
// results come back in the order of the request. An object of a type
// without Lookup (whose schema does not say LookupByKey) gets an error
// diagnostic, never "not found": berth must not conclude that nothing
// was created.
func (p *Provider[C]) LookupResources(ctx context.Context, req providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	if diags := p.ready(); diags.HasErrors() {
		return providers.LookupResourcesResponse{Diagnostics: diags}
	}
	ctx, cancel := p.call(ctx)
	defer cancel()
	resp := providers.LookupResourcesResponse{Results: make([]providers.LookupResult, len(req.Objects))}
	sem := make(chan struct{}, max(p.readParallelism(), 1))
	var wg sync.WaitGroup
	for i, o := range req.Objects {
		resp.Results[i].ID = o.ID
		r, ok := p.Resources[o.TypeName]
		switch {
		case !ok:
			resp.Results[i].Diagnostics = unknownType("resource type", o.TypeName)
			continue
		case !r.canLookup():
			resp.Results[i].Diagnostics = errorDiag("Lookup not supported",
				"Resource type %s cannot find an object by the idempotency key of the create that made it (it has no Lookup).", o.TypeName)
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			resp.Results[i] = r.lookup(ctx, o)
		})
	}
	wg.Wait()
	return resp
}

// readParallelism is ReadParallelism with its default.
func (p *Provider[C]) readParallelism() int {
	if p.ReadParallelism == 0 {
		return 8
	}
	return p.ReadParallelism
}

func (r *Resource[T]) canLookup() bool { return r.Lookup != nil }

func (r *Resource[T]) lookup(ctx context.Context, o providers.LookupObject) providers.LookupResult {
	null := cty.NullVal(r.Schema.ImpliedType())
	res := providers.LookupResult{ID: o.ID, State: null}
	if o.IdempotencyKey == "" {
		res.Diagnostics = errorDiag("Invalid lookup", "No idempotency key was given to look up %s %s.", o.TypeName, o.ID)
		return res
	}
	planned, marks := unmark(o.Planned)
	if planned == cty.NilVal {
		planned = null
	}
	plannedT, diags := r.decode(planned)
	if diags.HasErrors() {
		res.Diagnostics = diags
		return res
	}
	t, err := r.Lookup(ctx, o.IdempotencyKey, plannedT)
	switch {
	case errors.Is(err, ErrNotFound):
		return res
	case err != nil:
		res.Diagnostics = toDiags(err, "Cannot look up %s", o.TypeName)
		return res
	case t == nil:
		res.Diagnostics = errorDiag("Provider bug", "Lookup of %s returned neither a state nor an error; return sdk.ErrNotFound when nothing carries the key.", o.TypeName)
		return res
	}
	v, diags := r.encode(t, "looked up state")
	if diags.HasErrors() {
		res.Diagnostics = diags
		return res
	}
	// Marks follow the planned state, as for the create's own result.
	res.Found, res.State = true, remark(r.Schema.block(), v, marks)
	return res
}
