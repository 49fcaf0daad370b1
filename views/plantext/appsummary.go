package plantext

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/platform/app"
)

// referenceAttrs are the attributes of an app that hold a whole top-level
// object (its cluster, its registry): a plan shows them as the reference
// the configuration wrote ("cluster.edge") where the object is created,
// destroyed or unchanged with the app, not expanded in every app. A
// changed one is diffed in full, so the reviewer sees what changed.
var referenceAttrs = map[string]bool{"cluster": true, "registry": true}

// referenceEntry renders attribute n of a top-level object as a reference
// when the values allow it: both sides equal or one side null, and the
// object names itself. ok is false otherwise.
func (d *differ) referenceEntry(path cty.Path, n string, before, after cty.Value) (e diffEntry, st diffState, ok bool) {
	if len(path) != 0 || !referenceAttrs[n] {
		return e, st, false
	}
	b, a := attrOf(before, n), attrOf(after, n)
	name := func(v cty.Value) string {
		v, _ = v.UnmarkDeep()
		if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute("name") {
			return ""
		}
		nv := v.GetAttr("name")
		if nv.IsNull() || !nv.IsKnown() || nv.Type() != cty.String {
			return ""
		}
		return nv.AsString()
	}
	bn, an := name(b), name(a)
	ref := n + "." + an
	switch {
	case b.IsNull() && a.IsNull():
		return e, stateSkip, true
	case b.IsNull() && an != "":
		e.Marker = "+"
	case a.IsNull() && bn != "":
		e.Marker, ref = "-", n+"."+bn
	case an != "" && !d.changed(extend(path, cty.GetAttrStep{Name: n}), b, a):
		e.Marker = " "
		e.Head, e.valueOf = ref, a
		return e, stateUnchanged, true
	default:
		return e, st, false
	}
	e.Head, e.valueOf = ref, a
	return e, stateChanged, true
}

// appSummary is the line that sums up an app's instances in a change, for
// the reader of a large plan: "3 replicas: 1 to create, 2 to replace in 2
// waves". "" for an object that is not an app, or whose planned
// instances are not known yet.
func appSummary(c *plans.ResourceChange) string {
	after := c.After
	if after == cty.NilVal || after.IsNull() || c.Action == plans.Delete {
		return ""
	}
	u, _ := after.UnmarkDeep()
	if !u.IsKnown() || !u.Type().IsObjectType() || !u.Type().HasAttribute("instances") {
		return ""
	}
	if inst := u.GetAttr("instances"); !inst.IsKnown() || inst.IsNull() {
		return ""
	}
	byName := func(v cty.Value) (map[string][]cty.Value, []string) {
		out := map[string][]cty.Value{}
		var order []string
		if v == cty.NilVal {
			return out, nil
		}
		v, _ = v.UnmarkDeep()
		if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute("instances") {
			return out, nil
		}
		l := v.GetAttr("instances")
		if l.IsNull() || !l.IsKnown() || !l.CanIterateElements() {
			return out, nil
		}
		for it := l.ElementIterator(); it.Next(); {
			_, e := it.Element()
			name := app.Str(e, "name")
			if _, ok := out[name]; !ok {
				order = append(order, name)
			}
			out[name] = append(out[name], e)
		}
		return out, order
	}
	planned, names := byName(after)
	prior := map[string][]cty.Value{}
	if c.Action != plans.Create {
		prior, _ = byName(c.Before)
	}
	var create, replace, keep int
	for _, name := range names {
		was, ok := prior[name]
		switch {
		case !ok:
			create++
		case kept(was, planned[name]):
			keep++
		default:
			replace++
		}
	}
	remove := 0
	for name := range prior {
		if _, ok := planned[name]; !ok {
			remove++
		}
	}
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(create, "to create")
	add(replace, "to replace")
	add(remove, "to remove")
	add(keep, "unchanged")
	if len(parts) == 0 {
		return ""
	}
	s := plural(len(names), "replica") + ": " + strings.Join(parts, ", ")
	if ro := c.Rollout; ro != nil && len(ro.Waves) > 0 {
		sizes := make([]string, len(ro.Waves))
		for i, w := range ro.Waves {
			sizes[i] = fmt.Sprint(len(w.Instances))
		}
		s += fmt.Sprintf(", in %s of %s", plural(len(ro.Waves), "wave"), strings.Join(sizes, ", "))
	}
	return s
}

// kept: every planned element of an instance is one it had (its
// container stays; an extra old one may go).
func kept(was, planned []cty.Value) bool {
	for _, p := range planned {
		if !slices.ContainsFunc(was, p.RawEquals) {
			return false
		}
	}
	return true
}
