package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/encryption"
)

// OpenSavedPlan reads a saved plan to apply it from dir. What a saved
// plan forbids and what binds it are decided here, once for every caller:
//
//   - planningFlags names the options given that only planning takes
//     (-var, -target, -destroy...): a saved plan already fixes them, so any
//     is refused;
//   - the file must be a plan as berth wrote it: one whose checksum does
//     not match is "corrupted or was edited" (plans.ErrCorrupted); it is
//     decrypted with keys, the configuration's plan encryption;
//   - the plan must have been made from dir's configuration files and
//     locked providers (CheckPlanBinding). This is checked before the
//     configuration is loaded, so that edited files are reported as such
//     rather than by whatever in them no longer loads; Operation.Apply
//     checks it again under the lock, with the state;
//   - apply carries out only what the configuration calls for now, and
//     only when that is what the saved plan says (replanSaved).
func OpenSavedPlan(ctx context.Context, path, dir string, planningFlags []string, keys *encryption.Target) (*plans.Plan, hcl.Diagnostics) {
	if len(planningFlags) > 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Options not allowed with a saved plan",
			Detail: "A saved plan already fixes the variables, targets and mode it was made with; -var, -var-file, -target, -replace, -destroy, -refresh-only and -refresh apply only when planning."}}
	}
	p, err := plans.ReadPlanFile(ctx, path, keys)
	if errors.Is(err, plans.ErrCorrupted) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Saved plan is corrupted or was edited",
			Detail: err.Error() + ". Nothing was changed; run berth plan again."}}
	}
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the saved plan", Detail: err.Error()}}
	}
	if d := CheckPlanBinding(dir, p); d.HasErrors() {
		return nil, d
	}
	return p, nil
}

// SavedPlanVariables are the variables to apply saved plan p with: the
// plan's own, and its sensitive ones, which the file holds only as
// digests, taken again from where they came from (var files and the
// environment env: a saved plan takes no -var) and checked against the
// digests.
func SavedPlanVariables(cfg *lang.Config, p *plans.Plan, env []string) (map[string]cty.Value, hcl.Diagnostics) {
	if len(p.VariablesRedacted) == 0 {
		return p.Variables, nil
	}
	fresh, freshDiags := lang.CollectVariables(cfg, cfg.Dir, nil, env)
	vars := make(map[string]cty.Value, len(p.Variables))
	for k, v := range p.Variables {
		vars[k] = v
	}
	for name, reds := range p.VariablesRedacted {
		fv, ok := fresh[name]
		if !ok || fv.IsNull() {
			// Reading the variables failed (its diagnostics say why), or the
			// value came from -var, which a saved plan cannot take.
			var diags hcl.Diagnostics
			for _, d := range freshDiags {
				if d.Severity == hcl.DiagError {
					diags = append(diags, d)
				}
			}
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No value for a sensitive variable of the plan",
				Detail: fmt.Sprintf("The plan holds var.%s only as a digest, and neither a var file nor BERTH_VAR_%s gives it now. Give it the way the plan was made (a saved plan takes no -var), or run berth plan again.", name, name)})
		}
		u, err := p.Unredact(p.Variables[name], reds, fv)
		if err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Sensitive variable changed since the plan",
				Detail: fmt.Sprintf("var.%s: %s. Run berth plan again.", name, err)}}
		}
		vars[name] = u
	}
	return vars, nil
}

// replanSaved plans again, against prior (the state saved was made
// against: Operation.Apply checks that), with saved's mode, targets,
// replacements and refresh and the engine's variables (the saved plan's),
// and returns this fresh plan, which apply carries out instead of saved.
// A saved plan is the user's approval of what berth showed them; the
// fresh plan is what berth computes now. Apply refuses, before changing
// anything, unless the two agree:
//
//   - every object has the same action in both (an object absent from
//     one counts as "no-op" there): the saved plan may hold no change the
//     fresh one does not call for, and must not miss one it calls for,
//     since a plan berth writes always holds them all, and carrying out
//     the rest could apply a change without one it relies on;
//   - every value known in a saved create, update or replacement is known
//     and the same in the fresh plan, its secrets (held as digests) too;
//   - every output has the same action, and the same known value when it
//     is created or updated;
//   - for a refresh-only plan, whose changes are its drift, the same holds
//     for the drift.
//
// The providers are given each saved planned value (SavedPlannedState),
// so that they plan with what they resolved then (an image's digest).
// Everything else in the file (before values, provider data, rollouts,
// dependencies, reasons, the drift of a normal plan) is not used: apply
// carries out and records the fresh plan's, so editing it changes nothing.
func (e *Engine) replanSaved(ctx context.Context, prior *state.State, saved *plans.Plan) (*plans.Plan, hcl.Diagnostics) {
	pins := map[string]cty.Value{}
	for _, c := range saved.Changes {
		if c.Deposed == "" && c.Action != plans.NoOp && c.Action != plans.Delete {
			pins[c.Addr.String()] = c.After
		}
	}
	fresh, _, diags := e.plan(ctx, prior, PlanOptions{Mode: saved.Mode, Refresh: saved.Refresh, Targets: saved.Targets, Replace: saved.Replace}, pins)
	if diags.HasErrors() {
		// Its warnings (-target in effect...) were shown with the plan.
		var errs hcl.Diagnostics
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				errs = append(errs, d)
			}
		}
		return nil, errs
	}
	if d := compareSavedPlan(saved, fresh); d.HasErrors() {
		return nil, d
	}
	return fresh, nil
}

// compareSavedPlan refuses saved unless fresh agrees with it (see
// replanSaved), with one diagnostic per object or output that differs.
func compareSavedPlan(saved, fresh *plans.Plan) hcl.Diagnostics {
	diags := compareEntries(saved, changeEntries(saved.Changes), changeEntries(fresh.Changes), false)
	if saved.Mode == plans.RefreshOnlyMode {
		diags = diags.Extend(compareEntries(saved, changeEntries(saved.Drift), changeEntries(fresh.Drift), true))
	}
	return diags.Extend(compareEntries(saved, outputEntries(saved.Outputs), outputEntries(fresh.Outputs), false))
}

// entry is what a saved plan is held to for one object or output: its
// action and its planned value (with the digests of its secrets).
type entry struct {
	action   plans.Action
	after    cty.Value
	redacted []plans.Redaction
}

// changeEntries are cs's entries, by the name of their object.
func changeEntries(cs []*plans.ResourceChange) map[string]entry {
	m := make(map[string]entry, len(cs))
	for _, c := range cs {
		m[c.ChangeKey()] = entry{c.Action, c.After, c.AfterRedacted}
	}
	return m
}

// outputEntries are outs's entries, by output.NAME.
func outputEntries(outs []*plans.OutputChange) map[string]entry {
	m := make(map[string]entry, len(outs))
	for _, o := range outs {
		m["output."+o.Name] = entry{o.Action, o.After, o.AfterRedacted}
	}
	return m
}

// compareEntries compares the entries of a saved plan with the fresh
// plan's, by name; one missing on a side is a no-op there. drift says
// they are a refresh-only plan's drift.
func compareEntries(saved *plans.Plan, savedEntries, freshEntries map[string]entry, drift bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range unionKeys(savedEntries, freshEntries) {
		s, f := savedEntries[name], freshEntries[name]
		if s.action == "" {
			s.action = plans.NoOp
		}
		if f.action == "" {
			f.action = plans.NoOp
		}
		switch {
		case s.action != f.action:
			diags = diags.Append(actionMismatch(name, s.action, f.action, drift))
		case s.action == plans.Create || s.action == plans.Update || s.action.IsReplace():
			diags = diags.Extend(compareValues(saved, name, s.after, s.redacted, f.after))
		}
	}
	return diags
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// staleSavedPlan ends every refusal of a saved plan: why the fresh plan
// can differ, and what to do.
const staleSavedPlan = "Nothing was changed: the plan file was edited, or what berth reads (the objects, data sources) changed since the plan was made. Run berth plan again."

// actionMismatch is the refusal of an object (or output) whose action in
// the saved plan (sa) is not the one the fresh plan calls for (fa).
func actionMismatch(what string, sa, fa plans.Action, drift bool) *hcl.Diagnostic {
	if drift {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Saved plan's drift differs from what refresh finds now",
			Detail: fmt.Sprintf("%s: the plan file records %q outside berth, but refreshing now finds %q. %s", what, sa, fa, staleSavedPlan)}
	}
	switch {
	case fa == plans.NoOp:
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Saved plan calls for a change the configuration does not",
			Detail: fmt.Sprintf("%s: the plan file says %q, but the configuration and the state call for no change to it now. %s", what, sa, staleSavedPlan)}
	case sa == plans.NoOp:
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Saved plan misses a change the configuration calls for",
			Detail: fmt.Sprintf("%s: the configuration and the state call for %q, but the plan file has no change to it. %s", what, fa, staleSavedPlan)}
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Saved plan's action differs from what the configuration requires",
		Detail: fmt.Sprintf("%s: the plan file says %q, but the configuration and the state require %q now. %s", what, sa, fa, staleSavedPlan)}
}

// compareValues refuses a saved planned value (its secrets held as the
// digests reds) unless fresh, the value planned now, has every part the
// saved one knows, the same.
func compareValues(saved *plans.Plan, what string, savedVal cty.Value, reds []plans.Redaction, fresh cty.Value) hcl.Diagnostics {
	sv, err := saved.Unredact(savedVal, reds, fresh)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Sensitive value changed since the plan was made",
			Detail: fmt.Sprintf("%s: %v. %s", what, err, staleSavedPlan)}}
	}
	if path, ok := sameWhereKnown(sv, fresh); !ok {
		where := "its value"
		if len(path) > 0 {
			where = plans.FormatPath(path)
		}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Saved plan's values differ from what the configuration requires",
			Detail: fmt.Sprintf("%s: the plan file plans %s differently from what berth plans now. %s", what, where, staleSavedPlan)}}
	}
	return nil
}

// sameWhereKnown reports whether every part of saved that is known is
// known and equal in fresh (marks aside), and the first path that is not.
// An unknown part of saved may be anything; a collection must have the
// same elements.
func sameWhereKnown(saved, fresh cty.Value) (cty.Path, bool) {
	if saved == cty.NilVal || fresh == cty.NilVal {
		return nil, saved == fresh
	}
	s, _ := saved.UnmarkDeep()
	f, _ := fresh.UnmarkDeep()
	var bad cty.Path
	var same func(path cty.Path, s, f cty.Value) bool
	same = func(path cty.Path, s, f cty.Value) bool {
		child := func(step cty.PathStep, s, f cty.Value) bool {
			return same(append(path[:len(path):len(path)], step), s, f)
		}
		ok := func() bool {
			if !s.IsKnown() {
				return true
			}
			if !f.IsKnown() || s.IsNull() != f.IsNull() {
				return false
			}
			if s.IsNull() {
				return true
			}
			st, ft := s.Type(), f.Type()
			switch {
			case st.IsObjectType():
				if !ft.IsObjectType() || len(st.AttributeTypes()) != len(ft.AttributeTypes()) {
					return false
				}
				for _, name := range slices.Sorted(maps.Keys(st.AttributeTypes())) {
					if !ft.HasAttribute(name) {
						return false
					}
					if !child(cty.GetAttrStep{Name: name}, s.GetAttr(name), f.GetAttr(name)) {
						return false
					}
				}
				return true
			case st.IsListType(), st.IsTupleType(), st.IsMapType():
				sequence := func(t cty.Type) bool { return t.IsListType() || t.IsTupleType() }
				if sequence(st) != sequence(ft) || st.IsMapType() != ft.IsMapType() || s.LengthInt() != f.LengthInt() {
					return false
				}
				for it := s.ElementIterator(); it.Next(); {
					k, sv := it.Element()
					if f.HasIndex(k).False() {
						return false
					}
					if !child(cty.IndexStep{Key: k}, sv, f.Index(k)) {
						return false
					}
				}
				return true
			case st.IsSetType() && !s.IsWhollyKnown():
				// Elements are their values: an unknown one cannot be matched.
				return ft.IsSetType()
			}
			eq := s.Equals(f)
			return eq.IsKnown() && eq.True()
		}()
		if !ok && bad == nil {
			bad = path.Copy()
		}
		return ok
	}
	if same(nil, s, f) {
		return nil, true
	}
	return bad, false
}
