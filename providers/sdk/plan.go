package sdk

import (
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/providers"
)

// Plan is the SDK's plan of one change, handed to a Resource's optional
// Plan function to adjust. Its values are unmarked (marks are restored when
// the plan is returned to berth).
type Plan struct {
	// TypeName is the resource type being planned.
	TypeName string
	// Prior is the current state; null when the object is being created.
	Prior cty.Value
	// Config is the configuration; it may hold unknown values.
	Config cty.Value
	// Planned is the SDK's default plan (see Resource): change it with Set
	// and SetUnknown, or replace it with a value of the schema's type.
	Planned cty.Value
	// RequiresReplace lists the attributes whose change forces a
	// replacement: the ForceNew attributes that change, plus any added
	// with RequireReplace.
	RequiresReplace []cty.Path
	// Rollout, when set, tells berth to apply the change in waves, calling
	// the Resource's ApplyStep once per wave (see providers.Rollout).
	Rollout *providers.Rollout
}

// Creating reports whether the plan creates the object (no prior state).
func (p *Plan) Creating() bool { return p.Prior.IsNull() }

// Replacing reports whether the plan replaces the object.
func (p *Plan) Replacing() bool { return !p.Creating() && len(p.RequiresReplace) > 0 }

// Get returns a top-level attribute of Planned.
func (p *Plan) Get(attr string) cty.Value { return p.Planned.GetAttr(attr) }

// Set sets a top-level attribute of Planned, e.g. a computed attribute the
// provider can already work out at plan time.
func (p *Plan) Set(attr string, v cty.Value) {
	m := p.Planned.AsValueMap()
	m[attr] = v
	p.Planned = cty.ObjectVal(m)
}

// SetUnknown marks a top-level attribute of Planned as known only after
// apply, e.g. a computed attribute that an update changes.
func (p *Plan) SetUnknown(attr string) {
	p.Set(attr, cty.UnknownVal(p.Planned.Type().AttributeType(attr)))
}

// RequireReplace records that the change to a top-level attribute forces a
// replacement. The computed attributes of Planned keep their prior values
// unless the Plan function also makes them unknown with SetUnknown.
func (p *Plan) RequireReplace(attr string) {
	path := cty.GetAttrPath(attr)
	for _, q := range p.RequiresReplace {
		if q.Equals(path) {
			return
		}
	}
	p.RequiresReplace = append(p.RequiresReplace, path)
}

// plan computes the default planned state of a block from its prior state
// and configuration (both unmarked):
//   - attributes set in configuration take the configured value;
//   - unset attributes with a Default take the default;
//   - unset Computed attributes keep their prior value on update, and are
//     unknown on create;
//   - nested blocks are planned the same way, element by element (list
//     blocks by index, map blocks by key; set blocks as if new).
//
// ForceNew attributes whose planned value differs from the prior one are
// appended to replace.
func (b block) plan(prior, config cty.Value, path cty.Path, replace *[]cty.Path) (cty.Value, error) {
	ty := b.impliedType()
	if config.IsNull() {
		return cty.NullVal(ty), nil
	}
	if !config.IsKnown() {
		return cty.UnknownVal(ty), nil
	}
	hasPrior := !prior.IsNull() && prior.IsKnown()
	attr := func(obj cty.Value, name string, t cty.Type) cty.Value {
		if obj.IsNull() || !obj.IsKnown() || !obj.Type().HasAttribute(name) {
			return cty.NullVal(t)
		}
		return obj.GetAttr(name)
	}
	vals := make(map[string]cty.Value, len(b.attrs)+len(b.blocks))
	for name, a := range b.attrs {
		ap := appendPath(path, cty.GetAttrStep{Name: name})
		c := attr(config, name, a.Type)
		pv := attr(prior, name, a.Type)
		var v cty.Value
		switch {
		case !c.IsNull():
			cv, err := convert.Convert(c, a.Type)
			if err != nil {
				return cty.NilVal, ap.NewError(err)
			}
			v = cv
		case a.Default != cty.NilVal:
			v, _ = convert.Convert(a.Default, a.Type)
		case a.Computed && hasPrior:
			v = pv
		case a.Computed:
			v = cty.UnknownVal(a.Type)
		default:
			v = cty.NullVal(a.Type)
		}
		if a.ForceNew && hasPrior && !sameValue(pv, v) {
			*replace = append(*replace, ap)
		}
		vals[name] = v
	}
	for name, nb := range b.blocks {
		bp := appendPath(path, cty.GetAttrStep{Name: name})
		nt := nb.impliedType()
		c := attr(config, name, nt)
		pv := attr(prior, name, nt)
		v, err := nb.plan(pv, c, bp, replace)
		if err != nil {
			return cty.NilVal, err
		}
		vals[name] = v
	}
	return cty.ObjectVal(vals), nil
}

func (n *NestedBlock) plan(prior, config cty.Value, path cty.Path, replace *[]cty.Path) (cty.Value, error) {
	b := n.block()
	ty := n.impliedType()
	if n.Nesting == providers.NestingSingle {
		return b.plan(prior, config, path, replace)
	}
	if config.IsNull() {
		return cty.NullVal(ty), nil
	}
	if !config.IsKnown() {
		return cty.UnknownVal(ty), nil
	}
	et := b.impliedType()
	priorElem := func(k cty.Value) cty.Value {
		if n.Nesting == providers.NestingSet || prior.IsNull() || !prior.IsKnown() {
			return cty.NullVal(et)
		}
		if has := prior.HasIndex(k); has.IsKnown() && has.True() {
			return prior.Index(k)
		}
		return cty.NullVal(et)
	}
	var elems []cty.Value
	keyed := map[string]cty.Value{}
	for it := config.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		ep := path
		if n.Nesting != providers.NestingSet {
			ep = appendPath(path, cty.IndexStep{Key: k})
		}
		pv, err := b.plan(priorElem(k), ev, ep, replace)
		if err != nil {
			return cty.NilVal, err
		}
		if n.Nesting == providers.NestingMap {
			keyed[k.AsString()] = pv
		} else {
			elems = append(elems, pv)
		}
	}
	switch n.Nesting {
	case providers.NestingList:
		if len(elems) == 0 {
			return cty.ListValEmpty(et), nil
		}
		return cty.ListVal(elems), nil
	case providers.NestingSet:
		if len(elems) == 0 {
			return cty.SetValEmpty(et), nil
		}
		return cty.SetVal(elems), nil
	default:
		if len(keyed) == 0 {
			return cty.MapValEmpty(et), nil
		}
		return cty.MapVal(keyed), nil
	}
}

// sameValue reports whether a planned value certainly equals the prior one;
// an unknown planned value may differ, so it is not the same.
func sameValue(prior, planned cty.Value) bool {
	if !planned.IsWhollyKnown() || !prior.IsWhollyKnown() {
		return false
	}
	eq := prior.Equals(planned)
	return eq.IsKnown() && eq.True()
}
