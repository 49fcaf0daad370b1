package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Recover resolves the intents that an apply left in the intent journal
// when it was stopped (killed) before it recorded their outcome (see
// state.Intent), and returns the state that records what exists, with
// what it found for each, in address order:
//
//   - a create whose key an object of st carries was recorded after all:
//     nothing to do, and nothing told;
//   - another create is looked up by its idempotency key
//     (providers.Interface.LookupResources); an object found is recorded at
//     its address (where the address holds an object, that one, the
//     previous object of a replacement, is kept as deposed, and the next
//     plan destroys it); when nothing carries the key, the create made
//     nothing;
//   - a create of a type whose provider cannot look up by key
//     (Schema.LookupByKey false) is reported as a possible orphan;
//   - a destroy of an object st still records is settled by reading the
//     object: gone, it is forgotten; still there, it stays.
//
// A lookup or read that fails is an error, and the intents are kept:
// planning on would create again what may exist. st is not modified.
func (e *Engine) Recover(ctx context.Context, st *state.State, intents []state.Intent) (*state.State, []plans.Recovery, hcl.Diagnostics) {
	intents = slices.Clone(intents)
	ss := state.NewSyncState(priorState(st).DeepCopy())
	recorded := map[string]bool{}
	snap := ss.Snapshot()
	for _, r := range snap.Resources {
		for _, o := range r.Instances {
			recorded[o.CreateKey] = true
		}
	}
	for _, d := range snap.Deposed {
		recorded[d.Object.CreateKey] = true
	}
	delete(recorded, "") // objects made before keys, or not by a create
	// A destroy followed by a create of the same address is the first
	// half of a replacement that went on to the create: it finished.
	createdLater := map[addrs.Instance]bool{}
	for i := len(intents) - 1; i >= 0; i-- {
		if in := intents[i]; in.Action == state.IntentCreate {
			createdLater[in.Addr] = true
		} else if in.Deposed == "" && createdLater[in.Addr] {
			intents[i].Key = "" // skipped below
		}
	}
	seen := map[string]bool{}
	byProvider := map[string][]state.Intent{}
	var names []string
	for _, in := range intents {
		if in.Key == "" || seen[in.Key] || in.Action == state.IntentCreate && recorded[in.Key] {
			continue
		}
		seen[in.Key] = true
		if byProvider[in.Provider] == nil {
			names = append(names, in.Provider)
		}
		byProvider[in.Provider] = append(byProvider[in.Provider], in)
	}
	if len(names) == 0 {
		return ss.Close(), nil, nil
	}
	slices.Sort(names)

	// Only the providers of the intents are started, with what their
	// configuration needs.
	gr, diags := buildGraph(e.Config, snap)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	var roots []int
	for _, name := range names {
		if v, ok := gr.index["provider."+name]; ok {
			roots = append(roots, v)
		}
	}
	w, diags := e.startOnly(ctx, snap, gr, roots)
	defer w.ps.closeAll()
	if diags.HasErrors() {
		return nil, nil, diags
	}
	var found []plans.Recovery
	for _, name := range names {
		entry, d := w.ps.get(ctx, name, providerConfigFunc(e.Config, name, w.data))
		if d.HasErrors() {
			return nil, nil, recoveryFailed(d, byProvider[name])
		}
		rs, d := recoverWith(ctx, entry, ss, byProvider[name])
		diags = diags.Extend(d)
		if d.HasErrors() {
			return nil, nil, recoveryFailed(diags, byProvider[name])
		}
		found = append(found, rs...)
	}
	slices.SortFunc(found, func(a, b plans.Recovery) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return strings.Compare(a.Deposed, b.Deposed)
	})
	return ss.Close(), found, diags
}

// recoveryFailed adds to diags why nothing was planned.
func recoveryFailed(diags hcl.Diagnostics, intents []state.Intent) hcl.Diagnostics {
	return diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot recover an interrupted apply",
		Detail: fmt.Sprintf("An earlier apply stopped during %d creates or destroys (first: %s of %s), and berth could not find out what they made, so it does not plan: it could make again what exists. Fix the problem above and run berth again; the intents stay in the journal.",
			len(intents), intents[0].Action, intents[0].Addr)})
}

// recoverWith resolves the intents of one provider's objects in ss.
func recoverWith(ctx context.Context, entry *providerEntry, ss *state.SyncState, intents []state.Intent) ([]plans.Recovery, hcl.Diagnostics) {
	var out []plans.Recovery
	var diags hcl.Diagnostics
	var lookups []providers.LookupObject
	var reads []providers.ReadObject
	byID := map[string]state.Intent{}
	for _, in := range intents {
		rec := plans.Recovery{Addr: in.Addr, Deposed: in.Deposed, Action: string(in.Action)}
		switch in.Action {
		case state.IntentCreate:
			if s, ok := entry.schemaOf(in.Addr.Resource); !ok || !s.LookupByKey {
				rec.Outcome = plans.RecoveredPossibleOrphan
				out = append(out, rec)
				continue
			}
			byID[in.Key] = in
			lookups = append(lookups, providers.LookupObject{ID: in.Key, TypeName: in.TypeName, IdempotencyKey: in.Key, Planned: in.Planned})
		case state.IntentDelete:
			obj := recordedObject(ss, in)
			if obj == nil {
				continue // its outcome was recorded
			}
			byID[in.Key] = in
			reads = append(reads, providers.ReadObject{ID: in.Key, TypeName: in.TypeName, State: obj.Value, Private: obj.Private})
		}
	}
	if len(lookups) > 0 {
		resp := entry.p.LookupResources(ctx, providers.LookupResourcesRequest{Objects: lookups})
		diags = diags.Extend(redactDiags(resp.Diagnostics))
		if resp.Diagnostics.HasErrors() {
			return nil, diags
		}
		if len(resp.Results) != len(lookups) {
			return nil, diags.Extend(errDiag("Provider returned a wrong lookup",
				fmt.Sprintf("Provider %s answered %d of the %d objects it was asked to look up.", entry.name, len(resp.Results), len(lookups)), nil))
		}
		for _, res := range resp.Results {
			in := byID[res.ID]
			diags = diags.Extend(redactDiags(res.Diagnostics))
			if res.Diagnostics.HasErrors() {
				continue
			}
			rec := plans.Recovery{Addr: in.Addr, Action: string(in.Action), Outcome: plans.RecoveredNotCreated}
			if res.Found && res.State != cty.NilVal && !res.State.IsNull() {
				val := remark(res.State, entry.blockOf(in.Addr.Resource), in.Planned)
				obj := &state.Object{Value: val, Private: res.Private, CreateKey: in.Key}
				if s, ok := entry.schemaOf(in.Addr.Resource); ok {
					obj.SchemaVersion = uint64(max(s.Version, 0))
				}
				// The object at the address, if any, is the previous
				// object of a replacement that was under way.
				ss.DeposeInstance(in.Addr, in.Provider)
				ss.SetInstance(in.Addr, in.Provider, obj)
				rec.Outcome, rec.ID = plans.RecoveredCreated, idOf(val)
			}
			out = append(out, rec)
		}
	}
	if len(reads) > 0 {
		resp := entry.p.ReadResources(ctx, providers.ReadResourcesRequest{Objects: reads})
		diags = diags.Extend(redactDiags(resp.Diagnostics))
		if resp.Diagnostics.HasErrors() {
			return nil, diags
		}
		for _, res := range resp.Results {
			in := byID[res.ID]
			diags = diags.Extend(redactDiags(res.Diagnostics))
			if res.Diagnostics.HasErrors() {
				continue
			}
			rec := plans.Recovery{Addr: in.Addr, Deposed: in.Deposed, Action: string(in.Action), Outcome: plans.RecoveredStillExists}
			if obj := recordedObject(ss, in); obj != nil {
				rec.ID = idOf(obj.Value)
			}
			if res.Gone {
				rec.Outcome = plans.RecoveredDestroyed
				if in.Deposed != "" {
					ss.RemoveDeposed(in.Addr, in.Deposed)
				} else {
					ss.RemoveInstance(in.Addr)
				}
			}
			out = append(out, rec)
		}
	}
	return out, diags
}

// recordedObject is the object a destroy intent was for, as ss records
// it; nil when it records none.
func recordedObject(ss *state.SyncState, in state.Intent) *state.Object {
	if in.Deposed != "" {
		if d := ss.Deposed(in.Addr, in.Deposed); d != nil {
			return d.Object
		}
		return nil
	}
	return ss.Instance(in.Addr)
}
