package core

import (
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
)

// EventType says what happened. The set is part of berth's JSON output
// (docs/json-output.md): add to it, never rename.
type EventType string

// Event types emitted by the engine.
const (
	// EventRefreshStart is emitted once per provider with recorded
	// objects, before the refresh reads them (Provider, Objects);
	// EventRefreshComplete once they are all read.
	EventRefreshStart    EventType = "refresh_start"
	EventRefreshComplete EventType = "refresh_complete"
	EventApplyStart      EventType = "apply_start"
	// EventApplyProgress is emitted every ProgressInterval while a change
	// runs ("Still creating... [10s elapsed]").
	EventApplyProgress EventType = "apply_progress"
	EventApplyComplete EventType = "apply_complete"
	EventApplyErrored  EventType = "apply_errored"
	// EventProvider relays a provider's ApplyEvent (waves, instances, logs).
	EventProvider EventType = "provider_event"
	// EventWaveStart / EventWaveComplete frame each wave of a rollout;
	// EventRevert marks the start of an automatic revert.
	EventWaveStart    EventType = "wave_start"
	EventWaveComplete EventType = "wave_complete"
	EventRevert       EventType = "revert"
	// EventCanary marks the steps of a canary rollout (Message says which).
	EventCanary EventType = "canary"
	// EventStateWriteFailed reports, once, that a write of the state
	// failed: the apply stops starting changes (Message is the error).
	EventStateWriteFailed EventType = "state_write_failed"
)

// Event is one thing the engine reports while it works.
type Event struct {
	Type   EventType
	Addr   addrs.Instance
	Action plans.Action
	// Elapsed is the time since the object's operation started.
	Elapsed time.Duration
	// Message is a short human-readable detail (a provider's event text,
	// an error summary, "wave 2 of 3: 2 instances").
	Message string
	// Wave is the 1-based wave number of wave events, 0 otherwise.
	Wave int
	// Waves is the number of waves of the rollout, for wave events.
	Waves int
	// Instance names the platform instance of a provider event.
	Instance string
	// WaveInstances are the members of the wave of a wave event.
	WaveInstances []providers.WaveInstance
	// Kind is the provider's event kind for EventProvider.
	Kind string
	// ID is the object's identifier after apply, when it has one.
	ID string
	// Provider and Objects are, for refresh events, the provider whose
	// recorded objects are read and how many.
	Provider string
	Objects  int
	// Done and Total are set on the EventApplyComplete that ends a
	// planned change (the second call of a replacement, not the first):
	// the changes of the apply finished so far, this one included, and
	// all those it carries out. Views show them as "[Done/Total]".
	Done, Total int
}

// ProgressInterval is how often EventApplyProgress is emitted for an
// operation still running.
var ProgressInterval = 10 * time.Second
