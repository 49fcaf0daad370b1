package jsondoc

import (
	"encoding/json"
	"math/big"

	"github.com/berth-sh/berth/core/plans"
	"github.com/zclconf/go-cty/cty"
)

// Value converts a value into its JSON form with the unknown and
// sensitive parts null, and the two parallel structures that flag them, as
// Terraform's after_unknown and *_sensitive do: true where the value is
// unknown (sensitive), false for a wholly known (non-sensitive) primitive
// or null, an object holding only the keys with something flagged for an
// object or map, and an array with one flag per element for a list, tuple
// or set.
func Value(v cty.Value) (value, unknown, sensitive any) {
	if v == cty.NilVal {
		return nil, false, false
	}
	if plans.IsSensitive(v) {
		// Whether the value is known is not said either.
		return nil, false, true
	}
	v, _ = v.Unmark()
	if !v.IsKnown() {
		return nil, true, false
	}
	if v.IsNull() {
		return nil, false, false
	}
	ty := v.Type()
	switch {
	case ty.IsObjectType() || ty.IsMapType():
		vals := map[string]any{}
		unk := map[string]any{}
		sens := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			key := k.AsString()
			var u, s any
			vals[key], u, s = Value(ev)
			if hasTrue(u) {
				unk[key] = u
			}
			if hasTrue(s) {
				sens[key] = s
			}
		}
		return vals, unk, sens
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		vals, unk, sens := []any{}, []any{}, []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			ev2, u, s := Value(ev)
			vals = append(vals, ev2)
			unk = append(unk, u)
			sens = append(sens, s)
		}
		return vals, unk, sens
	case ty == cty.String:
		return v.AsString(), false, false
	case ty == cty.Number:
		return json.Number(number(v.AsBigFloat())), false, false
	case ty == cty.Bool:
		return v.True(), false, false
	}
	return nil, false, false
}

// hasTrue reports whether a flag structure of Value flags anything.
func hasTrue(flag any) bool {
	switch f := flag.(type) {
	case bool:
		return f
	case map[string]any:
		for _, v := range f {
			if hasTrue(v) {
				return true
			}
		}
	case []any:
		for _, v := range f {
			if hasTrue(v) {
				return true
			}
		}
	}
	return false
}

// number writes a number for a JSON document: an integer in full, a
// fraction as short as it reads back.
func number(f *big.Float) string {
	if f.IsInt() {
		return f.Text('f', 0)
	}
	return f.Text('g', -1)
}
