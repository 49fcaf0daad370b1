package state

import (
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/zclconf/go-cty/cty"
)

// IntentAction is what an intent announces.
type IntentAction string

// Intent actions.
const (
	// IntentCreate announces the create of a new object (also the create
	// half of a replacement).
	IntentCreate IntentAction = "create"
	// IntentDelete announces the destroy of a recorded object.
	IntentDelete IntentAction = "delete"
)

// Intent is an entry of the write-ahead intent journal: an operation the
// core is about to ask a provider for, recorded durably before the call.
// An intent still in the journal when a run starts belongs to an apply
// that stopped (was killed) before it could record the outcome in the
// state; the core resolves it then, before planning (core.Recover).
type Intent struct {
	// Key is unique to the operation. For a create it is the idempotency
	// key passed to the provider, which stores it on the object it makes
	// and finds the object again by it.
	Key    string
	Action IntentAction
	// Addr is the instance the operation is for; Deposed, for the destroy
	// of a deposed object, its key.
	Addr    addrs.Instance
	Deposed string
	// Provider is the provider as recorded in the state; TypeName is the
	// resource type as the provider names it (the type of Addr).
	Provider string
	TypeName string
	// Planned (creates) is the planned state the create was called with:
	// where the provider looks for the object.
	Planned cty.Value
	// Time is when the intent was recorded.
	Time time.Time
}
