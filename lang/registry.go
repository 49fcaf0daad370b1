package lang

import (
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// ImageRegistry returns the registry (an evaluated registry object) whose
// address is the host part of image, or a null value. The evaluator
// stores it in the app's computed "registry" attribute.
func ImageRegistry(image string, registries []cty.Value) cty.Value {
	host, _, ok := strings.Cut(image, "/")
	if !ok {
		return cty.NullVal(RegistryType())
	}
	for _, r := range registries {
		u, _ := r.Unmark()
		if !u.IsKnown() || u.IsNull() {
			continue
		}
		a := u.GetAttr("address")
		if a.IsKnown() && !a.IsNull() && strings.TrimSuffix(a.AsString(), "/") == host {
			return r
		}
	}
	return cty.NullVal(RegistryType())
}
