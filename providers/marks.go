package providers

import "github.com/zclconf/go-cty/cty"

// The helpers below do what cty's UnmarkDeepWithPaths and MarkWithPaths
// do, for the values berth handles on every plan: objects whose marks,
// if any, sit on a few attributes. cty's versions copy the whole value
// (WrangleMarksDeep, Transform); these descend into objects themselves,
// rebuild only what they change, and hand collections that hold marks to
// cty. At 10,000 instances cty's versions were a tenth of a plan's CPU.

// PathMarks returns the marks in v and the paths where they are, as
// UnmarkDeepWithPaths would, without copying v.
func PathMarks(v cty.Value) []cty.PathValueMarks {
	return pathMarks(v, nil, nil)
}

func pathMarks(v cty.Value, prefix cty.Path, out []cty.PathValueMarks) []cty.PathValueMarks {
	uv, vm := v.Unmark()
	if len(vm) > 0 {
		out = append(out, cty.PathValueMarks{Path: prefix.Copy(), Marks: vm})
	}
	t := uv.Type()
	switch {
	case !uv.IsKnown() || uv.IsNull() || t.IsPrimitiveType():
	case t.IsObjectType():
		for name := range t.AttributeTypes() {
			out = pathMarks(uv.GetAttr(name), append(prefix, cty.GetAttrStep{Name: name}), out)
		}
	case uv.ContainsMarked():
		_, pvm := uv.UnmarkDeepWithPaths()
		for _, m := range pvm {
			out = append(out, cty.PathValueMarks{Path: append(prefix.Copy(), m.Path...), Marks: m.Marks})
		}
	}
	return out
}

// UnmarkDeepWithPaths is cty.Value.UnmarkDeepWithPaths: v without marks,
// and the marks it had with their paths. A value without marks is
// returned as it is.
func UnmarkDeepWithPaths(v cty.Value) (cty.Value, []cty.PathValueMarks) {
	pvm := PathMarks(v)
	if len(pvm) == 0 {
		return v, nil
	}
	return unmarkDeep(v), pvm
}

func unmarkDeep(v cty.Value) cty.Value {
	uv, _ := v.Unmark()
	t := uv.Type()
	switch {
	case !uv.IsKnown() || uv.IsNull() || t.IsPrimitiveType():
		return uv
	case t.IsObjectType():
		attrs := uv.AsValueMap()
		if len(attrs) == 0 {
			return uv
		}
		for name, x := range attrs {
			attrs[name] = unmarkDeep(x)
		}
		return cty.ObjectVal(attrs)
	case uv.ContainsMarked():
		out, _ := uv.UnmarkDeep()
		return out
	}
	return uv
}

// MarkPaths is cty.Value.MarkWithPaths: it adds each set of marks to the
// part of v at its path, ignoring paths v does not have (a value may have
// changed shape since its marks were taken).
func MarkPaths(v cty.Value, pvm []cty.PathValueMarks) cty.Value {
	if len(pvm) == 0 {
		return v
	}
	// Paths of attribute steps alone (the common case: a sensitive
	// attribute) are marked by rebuilding the objects along each path.
	simple := true
	for _, m := range pvm {
		for _, s := range m.Path {
			if _, ok := s.(cty.GetAttrStep); !ok {
				simple = false
			}
		}
	}
	if !simple {
		return v.MarkWithPaths(pvm)
	}
	for _, m := range pvm {
		v = markAttrPath(v, m.Path, m.Marks)
	}
	return v
}

// markAttrPath adds marks to the part of v at p, a path of attribute
// steps, when v has it.
func markAttrPath(v cty.Value, p cty.Path, marks cty.ValueMarks) cty.Value {
	if len(p) == 0 {
		return v.WithMarks(marks)
	}
	uv, vm := v.Unmark()
	name := p[0].(cty.GetAttrStep).Name
	if !uv.Type().IsObjectType() || !uv.Type().HasAttribute(name) || !uv.IsKnown() || uv.IsNull() {
		return v
	}
	attrs := uv.AsValueMap()
	attrs[name] = markAttrPath(attrs[name], p[1:], marks)
	return cty.ObjectVal(attrs).WithMarks(vm)
}
