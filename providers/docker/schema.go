package docker

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// Resource types of the provider.
const (
	TypeApp           = "app"
	TypeScalingPolicy = "scaling_policy"
)

// Instance statuses beyond the engine's container states.
const (
	statusRunning = "running"
	// statusNotReady: the container runs but never passed readiness
	// (apply failed on it); plan replaces it.
	statusNotReady = "not_ready"
	// statusUnhealthy: the container's HEALTHCHECK (liveness) fails.
	statusUnhealthy = "unhealthy"
)

// withAttrs is the object v with the attributes of override set (added
// when v's type lacks them). The engine sends values of the language's
// app type, computed attributes included; the provider only fills those.
func withAttrs(v cty.Value, override map[string]cty.Value) cty.Value {
	attrs := map[string]cty.Value{}
	if !v.IsNull() && v.IsKnown() && v.Type().IsObjectType() {
		attrs = v.AsValueMap()
		if attrs == nil {
			attrs = map[string]cty.Value{}
		}
	}
	for name, o := range override {
		attrs[name] = o
	}
	return cty.ObjectVal(attrs)
}

// str reads a known string attribute, "" otherwise.
func str(v cty.Value, name string) string { return app.Str(v, name) }
