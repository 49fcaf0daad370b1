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
		if f == cty.NilVal || !f.ContainsMarked() {
			continue
		}
		_, pvm := f.UnmarkDeepWithPaths()
		v = markPaths(v, pvm)
	}
	if schema == nil || !hasSensitive(schema) {
		return v
	}
	out, err := cty.Transform(v, func(p cty.Path, x cty.Value) (cty.Value, error) {
		if sensitiveAt(schema, p) {
			return x.Mark(providers.SensitiveMark), nil
		}
		return x, nil
	})
	if err != nil {
		return v
	}
	return out
}

// markPaths marks the parts of v at the given paths, ignoring paths v
// does not have (the value may have changed shape since).
func markPaths(v cty.Value, pvm []cty.PathValueMarks) cty.Value {
	if len(pvm) == 0 {
		return v
	}
	out, err := cty.Transform(v, func(p cty.Path, x cty.Value) (cty.Value, error) {
		for _, m := range pvm {
			if p.Equals(m.Path) {
				return x.WithMarks(m.Marks), nil
			}
		}
		return x, nil
	})
	if err != nil {
		return v
	}
	return out
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
