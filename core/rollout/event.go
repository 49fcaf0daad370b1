package rollout

import "github.com/berth-sh/berth/providers"

// EventKind says what happened to a rollout.
type EventKind int

// Event kinds.
const (
	// WaveStarted: a wave begins (before its first step).
	WaveStarted EventKind = iota
	// WaveCompleted: a wave's new instances are ready and its old ones
	// are gone.
	WaveCompleted
	// RevertStarted: a wave failed and the object goes back to the state
	// recorded before the rollout.
	RevertStarted
	// CanaryStarted: the canary phase of a canary rollout begins.
	CanaryStarted
	// CanaryReady: the canary instances are ready and take their share
	// of the traffic; the rollout pauses.
	CanaryReady
)

// Event is one thing the driver reports; the engine turns it into its
// own events, which the views render.
type Event struct {
	Kind EventKind
	// Wave is 1-based (for RevertStarted: the wave that failed); Waves
	// the number of waves.
	Wave, Waves int
	// Instances are the wave's members.
	Instances []providers.WaveInstance
	// Weight and Names are a canary's share of the traffic and its
	// instances (CanaryStarted, CanaryReady).
	Weight int
	Names  []string
}
