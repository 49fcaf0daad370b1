package jsondoc

import (
	"maps"
	"slices"
	"sort"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/platform/app"
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
	// Instances names the instances of an app that drifted (the
	// "instances" attribute is then not among Attributes).
	Instances []DriftInstance `json:"instances,omitempty"`
}

// DriftInstance is one instance of an app that drifted.
type DriftInstance struct {
	Name string `json:"name"`
	Host string `json:"host,omitempty"`
	ID   string `json:"id,omitempty"`
	// Change is "missing" (recorded, gone), "unrecorded" (found, not in
	// the state) or "changed" (Attributes says how).
	Change     string           `json:"change"`
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
			before, after := c.Before, c.After
			if ins, ok := driftInstances(before, after); ok {
				obj.Instances = ins
				before, after = withoutInstances(before), withoutInstances(after)
			}
			driftLeaves(nil, before, after, &obj.Attributes)
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

// driftInstances compares the "instances" lists of an app before and
// after the refresh, instance by instance (by id, else by name and host);
// ok is false when the values have no such list of objects.
func driftInstances(before, after cty.Value) ([]DriftInstance, bool) {
	bl, ok1 := instanceList(before)
	al, ok2 := instanceList(after)
	if !ok1 || !ok2 {
		return nil, false
	}
	key := func(v cty.Value) string {
		if id := app.Str(v, "id"); id != "" {
			return "id:" + id
		}
		return "name:" + app.Str(v, "name") + "@" + app.Str(v, "host")
	}
	live := map[string]cty.Value{}
	for _, v := range al {
		live[key(v)] = v
	}
	recorded := map[string]bool{}
	out := []DriftInstance{}
	entry := func(v cty.Value, change string) DriftInstance {
		return DriftInstance{Name: app.Str(v, "name"), Host: app.Str(v, "host"), ID: app.Str(v, "id"), Change: change, Attributes: []DriftAttribute{}}
	}
	for _, b := range bl {
		k := key(b)
		recorded[k] = true
		a, found := live[k]
		if !found {
			out = append(out, entry(b, "missing"))
			continue
		}
		d := entry(a, "changed")
		driftLeaves(nil, b, a, &d.Attributes)
		if len(d.Attributes) > 0 {
			out = append(out, d)
		}
	}
	for _, a := range al {
		if !recorded[key(a)] {
			out = append(out, entry(a, "unrecorded"))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, true
}

// instanceList returns the elements of v's "instances" attribute when it
// is a known list of objects with names.
func instanceList(v cty.Value) ([]cty.Value, bool) {
	u, _ := v.UnmarkDeep()
	if u.IsNull() || !u.IsKnown() || !u.Type().IsObjectType() || !u.Type().HasAttribute("instances") {
		return nil, false
	}
	l := u.GetAttr("instances")
	if l.IsNull() || !l.IsWhollyKnown() || !(l.Type().IsListType() || l.Type().IsTupleType()) {
		return nil, false
	}
	var out []cty.Value
	for it := l.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if !e.Type().IsObjectType() || !e.Type().HasAttribute("name") {
			return nil, false
		}
		out = append(out, e)
	}
	return out, true
}

// withoutInstances is v (an object) without its "instances" attribute.
func withoutInstances(v cty.Value) cty.Value {
	u, marks := v.Unmark()
	m := u.AsValueMap()
	delete(m, "instances")
	return cty.ObjectVal(m).WithMarks(marks)
}
