package sdk

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/providers"
)

// validate checks an (unmarked) configuration object against the schema:
// unknown attributes, missing required ones, attributes only the provider
// may set, types, nested block counts, and the attributes' own validators.
// Unknown values pass: they are checked again when known, at plan time.
func (b block) validate(v cty.Value, path cty.Path) hcl.Diagnostics {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	if !v.Type().IsObjectType() {
		return hcl.Diagnostics{attrDiag(path, "Invalid configuration", fmt.Sprintf("Expected an object, got %s.", v.Type().FriendlyName()))}
	}
	var diags hcl.Diagnostics
	for _, name := range sortedKeys(v.Type().AttributeTypes()) {
		_, isAttr := b.attrs[name]
		_, isBlock := b.blocks[name]
		if !isAttr && !isBlock {
			diags = append(diags, attrDiag(appendPath(path, cty.GetAttrStep{Name: name}),
				"Unsupported argument", fmt.Sprintf("An argument named %q is not expected here.", name)))
		}
	}
	for _, name := range sortedKeys(b.attrs) {
		a := b.attrs[name]
		ap := appendPath(path, cty.GetAttrStep{Name: name})
		av := cty.NullVal(a.Type)
		if v.Type().HasAttribute(name) {
			av = v.GetAttr(name)
		}
		switch {
		case av.IsNull() && a.Required:
			diags = append(diags, attrDiag(ap, "Missing required argument", fmt.Sprintf("The argument %q is required, but no definition was found.", name)))
			continue
		case av.IsNull():
			continue
		case a.computedOnly():
			diags = append(diags, attrDiag(ap, "Value for unconfigurable attribute", fmt.Sprintf("Can't configure a value for %q: its value is decided by the provider.", name)))
			continue
		}
		cv, err := convert.Convert(av, a.Type)
		if err != nil {
			diags = append(diags, attrDiag(ap, "Incorrect attribute value type", fmt.Sprintf("Inappropriate value for attribute %q: %s.", name, err)))
			continue
		}
		if a.Validate != nil && cv.IsWhollyKnown() {
			if err := a.Validate(cv); err != nil {
				diags = append(diags, attrDiag(ap, "Invalid value for "+name, fmt.Sprintf("The value of %q %s.", name, err)))
			}
		}
	}
	for _, name := range sortedKeys(b.blocks) {
		nb := b.blocks[name]
		bp := appendPath(path, cty.GetAttrStep{Name: name})
		if !v.Type().HasAttribute(name) {
			if nb.MinItems > 0 {
				diags = append(diags, attrDiag(bp, "Missing required block", fmt.Sprintf("At least %d %q block(s) are required.", nb.MinItems, name)))
			}
			continue
		}
		bv := v.GetAttr(name)
		if !bv.IsKnown() {
			continue
		}
		if nb.Nesting == providers.NestingSingle {
			if bv.IsNull() && nb.MinItems > 0 {
				diags = append(diags, attrDiag(bp, "Missing required block", fmt.Sprintf("A %q block is required.", name)))
			}
			diags = append(diags, nb.block().validate(bv, bp)...)
			continue
		}
		n := 0
		if !bv.IsNull() {
			n = bv.LengthInt()
		}
		if n < nb.MinItems {
			diags = append(diags, attrDiag(bp, "Insufficient "+name+" blocks", fmt.Sprintf("At least %d %q block(s) are required.", nb.MinItems, name)))
		}
		if nb.MaxItems > 0 && n > nb.MaxItems {
			diags = append(diags, attrDiag(bp, "Too many "+name+" blocks", fmt.Sprintf("No more than %d %q block(s) are allowed.", nb.MaxItems, name)))
		}
		if bv.IsNull() || !bv.CanIterateElements() {
			continue
		}
		for it := bv.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			ep := bp
			if nb.Nesting != providers.NestingSet {
				ep = appendPath(bp, cty.IndexStep{Key: k})
			}
			diags = append(diags, nb.block().validate(ev, ep)...)
		}
	}
	return diags
}
