package berth

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/providers/sdk"
	"github.com/berth-sh/berth/state/backend"
)

// backendConfig turns the config attribute (an object or a map of the
// backend's settings) into what a backend block's body decodes to: an
// object of the backend schema's attributes, each converted to its type,
// the unset ones at their default or null. A setting the backend does not
// have, a value of the wrong type and a missing required setting are each
// an error at the config attribute's path.
func backendConfig(spec backend.Spec, config cty.Value) (cty.Value, error) {
	configPath := cty.GetAttrPath("config")
	if config == cty.NilVal || config.IsNull() {
		config = cty.EmptyObjectVal
	}
	ty := config.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		return cty.NilVal, sdk.AttributeError(configPath, "Invalid backend settings",
			fmt.Sprintf("config must be an object of the %s backend's settings, as in its backend block, not %s.", spec.Name, ty.FriendlyName()))
	}
	names := make([]string, 0, len(spec.Schema.Attributes))
	for n := range spec.Schema.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)

	var diags hcl.Diagnostics
	given := map[string]cty.Value{}
	for it := config.ElementIterator(); it.Next(); {
		k, v := it.Element()
		name := k.AsString()
		path := configPath.GetAttr(name)
		a := spec.Schema.Attributes[name]
		if a == nil {
			detail := fmt.Sprintf("The %s backend has no setting %q; its settings are %s.", spec.Name, name, quotedList(names))
			if _, block := spec.Schema.BlockTypes[name]; block {
				detail = fmt.Sprintf("%q is a nested block of the %s backend's settings, which berth_remote_state cannot set.", name, spec.Name)
			}
			diags = append(diags, sdk.AttributeError(path, "Unsupported backend setting", detail))
			continue
		}
		cv, err := convert.Convert(v, a.Type)
		if err != nil {
			diags = append(diags, sdk.AttributeError(path, "Invalid backend setting",
				fmt.Sprintf("The %s backend's setting %q: %s.", spec.Name, name, err)))
			continue
		}
		given[name] = cv
	}
	attrs := make(map[string]cty.Value, len(spec.Schema.Attributes))
	for _, name := range names {
		a := spec.Schema.Attributes[name]
		v, ok := given[name]
		switch {
		case ok && !v.IsNull():
		case a.Required:
			diags = append(diags, sdk.AttributeError(configPath, "Missing backend setting",
				fmt.Sprintf("The %s backend's setting %q is required.", spec.Name, name)))
		case a.Default != cty.NilVal:
			v = a.Default
		default:
			v = cty.NullVal(a.Type)
		}
		attrs[name] = v
	}
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	if len(attrs) == 0 {
		return cty.EmptyObjectVal, nil
	}
	return cty.ObjectVal(attrs), nil
}
