package testprovider

import (
	"context"
	"os"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// canLookup says whether the resource types declare LookupByKey.
func canLookup() bool { return os.Getenv(EnvNoLookup) != "1" }

// LookupResources implements providers.Interface: it finds objects and
// fleets by the idempotency key their create stored, scanning the store
// once for the whole batch. A found object's state carries the marks of
// the planned state, as ApplyResourceChange returns it.
func (p *Provider) LookupResources(ctx context.Context, req providers.LookupResourcesRequest) providers.LookupResourcesResponse {
	s, diags := p.settings()
	if diags != nil {
		return providers.LookupResourcesResponse{Diagnostics: diags}
	}
	if err := p.wait(ctx, s.delay); err != nil {
		return providers.LookupResourcesResponse{Diagnostics: errDiag("Lookup interrupted", err.Error())}
	}
	results := make([]providers.LookupResult, len(req.Objects))
	err := s.store.view(func(st *Store) {
		objects := make(map[string]*Object, len(st.Objects))
		for _, o := range st.Objects {
			if o.IdempotencyKey != "" {
				objects[o.IdempotencyKey] = o
			}
		}
		fleets := make(map[string]*Fleet, len(st.Fleets))
		for _, f := range st.Fleets {
			if f.IdempotencyKey != "" {
				fleets[f.IdempotencyKey] = f
			}
		}
		for i, o := range req.Objects {
			results[i] = p.lookupOne(o, objects, fleets)
		}
	})
	if err != nil {
		return providers.LookupResourcesResponse{Diagnostics: errDiag("Cannot read the store", err.Error())}
	}
	return providers.LookupResourcesResponse{Results: results}
}

func (p *Provider) lookupOne(o providers.LookupObject, objects map[string]*Object, fleets map[string]*Fleet) providers.LookupResult {
	r := providers.LookupResult{ID: o.ID}
	switch {
	case o.TypeName != "object" && o.TypeName != "fleet":
		r.Diagnostics = errDiag("Unknown resource type", o.TypeName)
	case !canLookup():
		r.Diagnostics = errDiag("Lookup not supported", "the test provider was started with "+EnvNoLookup+"=1")
	case o.IdempotencyKey == "":
		r.Diagnostics = errDiag("Invalid lookup", "no idempotency key was given for "+o.ID)
	case o.TypeName == "object":
		r.State = cty.NullVal(ObjectType)
		if obj := objects[o.IdempotencyKey]; obj != nil {
			r.Found, r.State = true, p.withMarks(obj.State(), o.Planned)
		}
	case isNull(o.Planned):
		// A fleet's state is built on its planned state.
		r.Diagnostics = errDiag("Invalid lookup", "no planned state was given for fleet "+o.ID)
	default:
		r.State = cty.NullVal(o.Planned.Type())
		if f := fleets[o.IdempotencyKey]; f != nil {
			r.Found, r.State = true, fleetValue(o.Planned, f.ID, f.instances())
		}
	}
	return r
}
