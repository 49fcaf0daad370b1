// Package plans holds the plan model: what berth will change, per resource
// instance, and the changes found outside berth by the refresh. A Plan is
// produced by the engine's plan walk, rendered by the CLI, saved to a plan
// file with -out and applied exactly by the apply walk.
package plans

import (
	"slices"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

// Action is what the plan does with one resource instance.
type Action string

// Actions, with Terraform's meanings. A replacement is destroy-then-create
// unless lifecycle.create_before_destroy asks for create-then-destroy.
const (
	NoOp             Action = "no-op"
	Create           Action = "create"
	Read             Action = "read"
	Update           Action = "update"
	DeleteThenCreate Action = "delete-then-create"
	CreateThenDelete Action = "create-then-delete"
	Delete           Action = "delete"
)

// IsReplace reports whether the action replaces the object.
func (a Action) IsReplace() bool {
	return a == DeleteThenCreate || a == CreateThenDelete
}

// Reason explains why an action was chosen when the diff alone does not.
type Reason string

// Reasons shown in the rendered plan.
const (
	ReasonNone             Reason = ""
	ReasonReplaceRequested Reason = "replace_by_request"      // -replace
	ReasonTainted          Reason = "replace_because_tainted" // a failed create
	ReasonCannotUpdate     Reason = "replace_because_cannot_update"
	ReasonNoConfig         Reason = "delete_because_no_resource_config"
	ReasonCountIndex       Reason = "delete_because_count_index"
	ReasonEachKey          Reason = "delete_because_each_key"
	ReasonDestroyMode      Reason = "delete_because_destroy"
)

// ResourceChange is the planned change of one resource instance.
type ResourceChange struct {
	Addr addrs.Instance
	// Provider names the provider configuration that owns the object, as
	// recorded in state (e.g. "cluster.edge" or "provider.aws").
	Provider string
	Action   Action
	Reason   Reason
	// Deposed is set on the destroy of a deposed object of Addr (see
	// state.Deposed): its key.
	Deposed string
	// Before is the refreshed prior state (null for a create), After the
	// planned new state (null for a delete; may hold unknown values).
	// Sensitive values carry the sensitive mark.
	Before cty.Value
	After  cty.Value
	// RequiresReplace lists the attributes whose change forces the replacement.
	RequiresReplace []cty.Path
	// Private is the provider's opaque plan data, passed back on apply.
	Private []byte
	// Rollout is set when the provider carries the change out in waves.
	Rollout *providers.Rollout
	// Routers are the objects that route traffic to the app a rollout
	// changes (its load balancers): each wave drains the old instances
	// from them before they stop and admits the new ones once ready.
	Routers []addrs.Instance
	// Canary says which part of a canary rollout the change carries out
	// (CanaryNone for any other change).
	Canary CanaryPart
	// Dependencies are the addresses this object depends on, recorded in
	// state after apply so a later destroy can order itself without config.
	Dependencies []addrs.Resource

	// BeforeRedacted and AfterRedacted are set on a change read from a plan
	// file: the sensitive parts of Before and After that the file holds only
	// as digests (they read back as sensitive-marked nulls). Apply restores
	// them with Plan.Unredact; see planfile.go.
	BeforeRedacted, AfterRedacted []Redaction
}

// CanaryPart is the part of a canary rollout a change carries out.
type CanaryPart string

// Canary parts. See core/rollout (canary.go).
const (
	CanaryNone CanaryPart = ""
	// CanaryStart starts the canary (or confirms the one that runs) and
	// pauses the rollout.
	CanaryStart CanaryPart = "canary"
	// CanaryPromote carries the canary's spec out to every instance and
	// retires the canary (berth rollout promote, or a rolling update of
	// the canary's spec).
	CanaryPromote CanaryPart = "promote"
	// CanaryAbort retires the canary and goes back to the recorded spec
	// (berth rollout abort).
	CanaryAbort CanaryPart = "abort"
	// CanaryReplan retires a canary of a spec the configuration no
	// longer asks for, then carries out the change.
	CanaryReplan CanaryPart = "replan"
)

// ChangeKey identifies the object a change is about, as messages name it:
// its address, and the deposed key for a deposed object's destroy. A
// plan has at most one change per key.
func (c *ResourceChange) ChangeKey() string {
	if c.Deposed != "" {
		return c.Addr.String() + " (deposed object " + c.Deposed + ")"
	}
	return c.Addr.String()
}

// OutputChange is the planned change of one root output.
type OutputChange struct {
	Name      string
	Before    cty.Value
	After     cty.Value
	Sensitive bool
	Action    Action

	// BeforeRedacted and AfterRedacted: as in ResourceChange.
	BeforeRedacted, AfterRedacted []Redaction
}

// Mode says what kind of plan this is.
type Mode string

// Plan modes, as `plan`, `plan -destroy` / `destroy` and `plan -refresh-only` / `drift`.
const (
	NormalMode      Mode = "normal"
	DestroyMode     Mode = "destroy"
	RefreshOnlyMode Mode = "refresh-only"
)

// Plan is everything the engine decided, bound to the state it was made
// against so that a saved plan is never applied to a state that moved on.
type Plan struct {
	Mode Mode
	// Changes are sorted by address; no-op changes are included so apply
	// can record dependencies, but renderers skip them.
	Changes []*ResourceChange
	// Drift lists objects that changed outside berth, found by refresh:
	// Before is the recorded state, After the live state (null when gone).
	Drift   []*ResourceChange
	Outputs []*OutputChange

	// StateLineage and StateSerial identify the state the plan was made
	// against (empty lineage when there was no state yet).
	StateLineage string
	StateSerial  uint64
	// ConfigHash is a digest of the configuration files the plan was made from.
	ConfigHash string
	// ProviderHashes are the locked checksums of the providers used.
	ProviderHashes map[string]string
	// Variables are the input variable values the plan was made with.
	Variables map[string]cty.Value

	Targets []addrs.Instance
	Replace []addrs.Instance
	// Refresh records whether the plan read the objects' live state first
	// (PlanOptions.Refresh): apply of a saved plan plans again the same way.
	Refresh bool

	// Errored is true when planning stopped on an error: the plan is
	// partial, can be shown but never applied.
	Errored bool

	// BerthVersion is the version of berth that wrote the plan file the
	// plan was read from (empty for a plan made by this process).
	BerthVersion string
	// VariablesRedacted holds, by variable name, the sensitive parts of
	// Variables that a plan file held only as digests.
	VariablesRedacted map[string][]Redaction
	// RedactionKey keys the digests of redacted values (see planfile.go).
	// It is random per plan file; a plan made in this process has none
	// until written.
	RedactionKey []byte
	// Saved is set on a plan read from a plan file (DecodePlan), never
	// from the file's content: such a plan is the user's approval, not
	// what apply carries out. Apply plans again and refuses the saved plan
	// unless the two agree (core's replanSaved).
	Saved bool

	// Recovered lists what the run found of an interrupted apply's
	// creates and destroys before it planned (core.Recover), in address
	// order. A plan file keeps them, for show to tell them again; apply
	// ignores them (the state already records what was recovered).
	Recovered []Recovery
}

// HasChanges reports whether applying the plan would change anything:
// a resource change other than no-op, or an output change.
func (p *Plan) HasChanges() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp {
			return true
		}
	}
	for _, o := range p.Outputs {
		if o.Action != NoOp {
			return true
		}
	}
	return false
}

// HasDrift reports whether the refresh found objects changed outside
// berth.
func (p *Plan) HasDrift() bool {
	for _, c := range p.Drift {
		if c.Action != NoOp {
			return true
		}
	}
	return false
}

// Applicable reports whether applying p would change anything: the
// objects, the outputs, or, for a refresh-only plan, the recorded state
// (the drift it records). It decides plan -detailed-exitcode and whether
// apply asks for confirmation.
func (p *Plan) Applicable() bool {
	return p.HasChanges() || (p.Mode == RefreshOnlyMode && p.HasDrift())
}

// Summary counts changes as the plan's last line shows them: a
// replacement counts as one to add and one to destroy.
type Summary struct {
	Add, Change, Destroy, Read int
}

// Summarize counts the plan's changes.
func (p *Plan) Summarize() Summary {
	var s Summary
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			s.Add++
		case Update:
			s.Change++
		case Delete:
			s.Destroy++
		case Read:
			s.Read++
		case DeleteThenCreate, CreateThenDelete:
			s.Add++
			s.Destroy++
		}
	}
	return s
}

// ByAddress returns cs sorted by address, as every view lists changes. The
// sort is stable: a deposed object's destroy stays beside its instance's
// change.
func ByAddress(cs []*ResourceChange) []*ResourceChange {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b *ResourceChange) int { return a.Addr.Compare(b.Addr) })
	return out
}

// Visible returns the changes of cs that do something (all but no-ops),
// by address: what a view shows of a plan's changes or drift.
func Visible(cs []*ResourceChange) []*ResourceChange {
	var out []*ResourceChange
	for _, c := range cs {
		if c.Action != NoOp {
			out = append(out, c)
		}
	}
	return ByAddress(out)
}

// Recovery is what the core found of a create or a destroy that an apply
// was stopped in (killed) before it recorded the outcome, from the intent
// it left in the journal (state.Intent). The plan made after the recovery
// tells them first.
type Recovery struct {
	Addr addrs.Instance
	// Deposed is the key of the deposed object a destroy was for.
	Deposed string
	// Action is the operation stopped in: "create" or "delete".
	Action  string
	Outcome RecoveryOutcome
	// ID is the object's id attribute, when it has one.
	ID string
}

// RecoveryOutcome is what a Recovery found.
type RecoveryOutcome string

// Recovery outcomes.
const (
	// RecoveredCreated: the create made the object; the provider found it
	// by its idempotency key, and the state now records it.
	RecoveredCreated RecoveryOutcome = "created"
	// RecoveredNotCreated: nothing carries the create's key; the create
	// made nothing.
	RecoveredNotCreated RecoveryOutcome = "not_created"
	// RecoveredPossibleOrphan: the provider cannot look objects up by key
	// (its schema says so); the create may have made an object that the
	// state does not record.
	RecoveredPossibleOrphan RecoveryOutcome = "possible_orphan"
	// RecoveredDestroyed: the destroy finished; the state no longer
	// records the object.
	RecoveredDestroyed RecoveryOutcome = "destroyed"
	// RecoveredStillExists: the destroy did not finish; the object exists
	// and stays recorded.
	RecoveredStillExists RecoveryOutcome = "still_exists"
)
