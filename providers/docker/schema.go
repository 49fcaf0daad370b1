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

// str reads a known string attribute, "" otherwise.
func str(v cty.Value, name string) string { return app.Str(v, name) }
