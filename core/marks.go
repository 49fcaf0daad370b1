package core

import (
	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

// remark gives a value a provider returned the sensitive marks it must
// carry: those of the schema's sensitive attributes, and those of the
// values it was derived from (the configuration, the prior state) at the
// same paths. Providers need not keep marks: the core never lets a
// sensitive value lose its mark, so every renderer redacts it.
func remark(v cty.Value, schema *providers.Block, from ...cty.Value) cty.Value {
	if v == cty.NilVal {
		return v
	}
	for _, f := range from {
		if f == cty.NilVal {
			continue
		}
		v = providers.MarkPaths(v, providers.PathMarks(f))
	}
	if schema == nil || !hasSensitive(schema) {
		return v
	}
	return markSensitive(v, schema)
}

// markSensitive marks the schema's sensitive attributes in v. An object
// is rebuilt attribute by attribute; what the schema nests in lists, sets
// and maps of blocks goes through cty.Transform. (Transforming the whole
// value, as remark once did, copied every value twice per instance.)
func markSensitive(v cty.Value, schema *providers.Block) cty.Value {
	uv, vm := v.Unmark()
	if !uv.Type().IsObjectType() || !uv.IsKnown() || uv.IsNull() {
		return v
	}
	attrs := uv.AsValueMap()
	for name, x := range attrs {
		if a, ok := schema.Attributes[name]; ok {
			if a.Sensitive {
				attrs[name] = x.Mark(providers.SensitiveMark)
			}
			continue
		}
		nb, ok := schema.BlockTypes[name]
		if !ok || nb.Block == nil || !hasSensitive(nb.Block) {
			continue
		}
		// Index steps do not count in sensitiveAt: the elements' paths
		// within x name the nested block's attributes alone.
		out, err := cty.Transform(x, func(p cty.Path, y cty.Value) (cty.Value, error) {
			if sensitiveAt(nb.Block, p) {
				return y.Mark(providers.SensitiveMark), nil
			}
			return y, nil
		})
		if err == nil {
			attrs[name] = out
		}
	}
	return cty.ObjectVal(attrs).WithMarks(vm)
}

// sensitiveAt reports whether path p names a sensitive attribute of the
// block: attribute steps walk the schema, index steps (list, set and map
// elements of nested blocks) are skipped.
func sensitiveAt(b *providers.Block, p cty.Path) bool {
	if len(p) == 0 {
		return false
	}
	for i, step := range p {
		ga, ok := step.(cty.GetAttrStep)
		if !ok {
			continue
		}
		if a, ok := b.Attributes[ga.Name]; ok {
			// An attribute: sensitive when it is the path's last attribute
			// step (elements inside it are covered by its mark).
			return a.Sensitive && lastAttr(p, i)
		}
		nb, ok := b.BlockTypes[ga.Name]
		if !ok || nb.Block == nil {
			return false
		}
		b = nb.Block
	}
	return false
}

func lastAttr(p cty.Path, i int) bool {
	for _, s := range p[i+1:] {
		if _, ok := s.(cty.GetAttrStep); ok {
			return false
		}
	}
	return len(p) == i+1
}

func hasSensitive(b *providers.Block) bool {
	for _, a := range b.Attributes {
		if a.Sensitive {
			return true
		}
	}
	for _, nb := range b.BlockTypes {
		if nb.Block != nil && hasSensitive(nb.Block) {
			return true
		}
	}
	return false
}

// valuesEqual reports whether two values are the same, marks aside; an
// unknown part makes them different.
func valuesEqual(a, b cty.Value) bool {
	// Objects are compared attribute by attribute, unmarking each level
	// as it goes: UnmarkDeep would copy both whole values first, and this
	// runs for every instance of every plan.
	a, _ = a.Unmark()
	b, _ = b.Unmark()
	if ta, tb := a.Type(), b.Type(); ta.IsObjectType() && tb.IsObjectType() && a.IsKnown() && b.IsKnown() && ta.Equals(tb) {
		if a.IsNull() || b.IsNull() {
			return a.IsNull() && b.IsNull()
		}
		for name := range ta.AttributeTypes() {
			if !valuesEqual(a.GetAttr(name), b.GetAttr(name)) {
				return false
			}
		}
		return true
	}
	ua, _ := a.UnmarkDeep()
	ub, _ := b.UnmarkDeep()
	if !ua.IsWhollyKnown() || !ub.IsWhollyKnown() {
		return false
	}
	if !ua.Type().Equals(ub.Type()) {
		eq := ua.Equals(ub)
		return eq.IsKnown() && eq.True()
	}
	return ua.RawEquals(ub)
}
