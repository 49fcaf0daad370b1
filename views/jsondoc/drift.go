package jsondoc

import (
	"maps"
	"slices"
	"sort"

	"github.com/berth-sh/berth/core/plans"
	"github.com/zclconf/go-cty/cty"
)

// DriftReport is the document `berth drift -json` prints
// (docs/json-output.md, "drift").
type DriftReport struct {
	FormatVersion string        `json:"format_version"`
	Drifted       bool          `json:"drifted"`
	Objects       []DriftObject `json:"objects"`
}

// DriftObject is an object that drifted.
type DriftObject struct {
	Address string `json:"address"`
	// Action is "update" (the object changed) or "delete" (it is gone).
	Action     string           `json:"action"`
	Attributes []DriftAttribute `json:"attributes"`
}

// DriftAttribute is one changed attribute: its value as recorded in the
// state and as found live. Sensitive values are never shown: both are
// null and Sensitive is true.
type DriftAttribute struct {
	Path      string `json:"path"`
	Recorded  any    `json:"recorded"`
	Live      any    `json:"live"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// NewDriftReport lists the drift of p (a refresh-only plan), by address,
// with the leaf attributes that differ.
func NewDriftReport(p *plans.Plan) DriftReport {
	r := DriftReport{FormatVersion: FormatVersion, Objects: []DriftObject{}}
	for _, c := range plans.Visible(p.Drift) {
		obj := DriftObject{Address: c.Addr.String(), Action: string(c.Action), Attributes: []DriftAttribute{}}
		if c.Action != plans.Delete {
			driftLeaves(nil, c.Before, c.After, &obj.Attributes)
		}
		r.Objects = append(r.Objects, obj)
	}
	sort.Slice(r.Objects, func(i, j int) bool { return r.Objects[i].Address < r.Objects[j].Address })
	r.Drifted = len(r.Objects) > 0
	return r
}

// driftLeaves appends the differing attributes of before and after under
// path: objects and maps are descended into, anything else is compared
// whole.
func driftLeaves(path cty.Path, before, after cty.Value, out *[]DriftAttribute) {
	sensitive := plans.IsSensitive(before) || plans.IsSensitive(after)
	ub, _ := before.UnmarkDeep()
	ua, _ := after.UnmarkDeep()
	if ub.RawEquals(ua) {
		return
	}
	if !sensitive && !ub.IsNull() && !ua.IsNull() && ub.IsKnown() && ua.IsKnown() &&
		(ub.Type().IsObjectType() || ub.Type().IsMapType()) && (ua.Type().IsObjectType() || ua.Type().IsMapType()) {
		keys := map[string]bool{}
		for k := range ub.AsValueMap() {
			keys[k] = true
		}
		for k := range ua.AsValueMap() {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			var step cty.PathStep = cty.GetAttrStep{Name: k}
			if ub.Type().IsMapType() {
				step = cty.IndexStep{Key: cty.StringVal(k)}
			}
			driftLeaves(append(path[:len(path):len(path)], step), elemOrNull(before, k), elemOrNull(after, k), out)
		}
		return
	}
	a := DriftAttribute{Path: plans.FormatPath(path), Sensitive: sensitive}
	if !sensitive {
		a.Recorded, _, _ = Value(before)
		a.Live, _, _ = Value(after)
	}
	*out = append(*out, a)
}

// elemOrNull returns the attribute or element k of an object or map, or
// a dynamic null when it has none. Marks on v are kept on the element.
func elemOrNull(v cty.Value, k string) cty.Value {
	uv, marks := v.Unmark()
	if uv.IsNull() {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	m := uv.AsValueMap()
	e, ok := m[k]
	if !ok {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return e.WithMarks(marks)
}
