// Package providers defines the one interface through which berth's core
// talks to every provider, and the request and response values that cross
// it. Its only production implementation is the gRPC client of a plugin
// process (package providers/plugin); the server side of that process wraps
// any value implementing Interface, usually one built with providers/sdk.
package providers

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// Interface is what the core needs from a provider. Every method takes a
// context: cancelling it abandons the call on the client side, while Stop
// asks the provider to wind down in-flight work gracefully.
//
// Diagnostics returned by a provider carry no source ranges; where a
// diagnostic is about one attribute, its Extra holds an AttributePath (see
// DiagnosticPath) so the core can point at the configuration.
type Interface interface {
	GetSchema(ctx context.Context) GetSchemaResponse
	ValidateProviderConfig(ctx context.Context, req ValidateProviderConfigRequest) ValidateResponse
	ValidateResourceConfig(ctx context.Context, req ValidateResourceConfigRequest) ValidateResponse
	ConfigureProvider(ctx context.Context, req ConfigureProviderRequest) ConfigureProviderResponse
	// ReadResources refreshes many objects in one call; each result says
	// whether the object still exists.
	ReadResources(ctx context.Context, req ReadResourcesRequest) ReadResourcesResponse
	PlanResourceChange(ctx context.Context, req PlanResourceChangeRequest) PlanResourceChangeResponse
	// ApplyResourceChange performs one planned change (or one step of a
	// rollout, see ApplyResourceChangeRequest.Step). Progress events are
	// delivered to events as they happen; events may be nil.
	ApplyResourceChange(ctx context.Context, req ApplyResourceChangeRequest, events func(ApplyEvent)) ApplyResourceChangeResponse
	ImportResource(ctx context.Context, req ImportResourceRequest) ImportResourceResponse
	// LookupResources finds objects by the idempotency key of the create
	// that made them (ApplyResourceChangeRequest.IdempotencyKey), many per
	// call: how the core recovers an object created by an apply that was
	// killed before it could record it. Only resource types whose schema
	// says LookupByKey are asked.
	LookupResources(ctx context.Context, req LookupResourcesRequest) LookupResourcesResponse
	ReadDataSource(ctx context.Context, req ReadDataSourceRequest) ReadDataSourceResponse
	// Stop asks the provider to cancel in-flight work gracefully: calls in
	// progress should return promptly with whatever partial state they have.
	Stop(ctx context.Context) error
	// Close releases the provider (for a plugin: kills the process).
	Close() error
}

// ProtocolVersion is the major version of the provider protocol that this
// build of berth speaks. A plugin speaking another major version is refused.
const ProtocolVersion = 2

// Schema describes the configuration and state of one resource type, data
// source, or of the provider's own configuration block.
type Schema struct {
	// Version of this resource type's schema, for state upgrades.
	Version int64
	Block   *Block
	// LookupByKey (resource types only) says the provider stores the
	// idempotency key of a create on the object it makes (a label, an
	// annotation, a tag) and finds it again by that key
	// (LookupResources). Without it the core cannot recover an object
	// whose create was interrupted, and reports it as a possible orphan.
	LookupByKey bool
}

// Block is a configuration block: attributes and nested blocks.
type Block struct {
	Attributes  map[string]*Attribute
	BlockTypes  map[string]*NestedBlock
	Description string
}

// Attribute describes one attribute of a Block.
type Attribute struct {
	Type        cty.Type
	Description string
	Required    bool
	Optional    bool
	Computed    bool
	Sensitive   bool
	// ForceNew: a change to this attribute replaces the object.
	ForceNew bool
	// Default is the value an absent optional attribute takes when berth
	// decodes a block with this schema itself: a platform's cluster kind
	// (see package platform). The plugin protocol does not carry it: a
	// provider applies its resources' defaults when it plans.
	Default cty.Value
}

// NestingMode says how many times a nested block may appear.
type NestingMode int

// Nesting modes of nested blocks, as in Terraform.
const (
	NestingSingle NestingMode = iota
	NestingList
	NestingSet
	NestingMap
)

// NestedBlock is a block type allowed inside a Block.
type NestedBlock struct {
	Block    *Block
	Nesting  NestingMode
	MinItems int
	MaxItems int
}

// GetSchemaResponse is the whole schema of a provider.
type GetSchemaResponse struct {
	Provider      Schema
	ResourceTypes map[string]Schema
	DataSources   map[string]Schema
	Diagnostics   hcl.Diagnostics
}

// ValidateProviderConfigRequest asks whether a provider configuration is valid.
type ValidateProviderConfigRequest struct {
	Config cty.Value
}

// ValidateResourceConfigRequest asks whether a resource's or a data
// source's configuration is valid.
type ValidateResourceConfigRequest struct {
	TypeName string
	Config   cty.Value
	// DataSource says TypeName names a data source: a provider may have a
	// resource type and a data source of the same name.
	DataSource bool
}

// ValidateResponse answers a validate call.
type ValidateResponse struct {
	Diagnostics hcl.Diagnostics
}

// ConfigureProviderRequest passes the provider its configuration.
type ConfigureProviderRequest struct {
	BerthVersion string
	Config       cty.Value
}

// ConfigureProviderResponse answers ConfigureProvider.
type ConfigureProviderResponse struct {
	Diagnostics hcl.Diagnostics
}

// ReadResourcesRequest refreshes a batch of objects.
type ReadResourcesRequest struct {
	Objects []ReadObject
}

// ReadObject is one object to refresh. ID is the caller's correlation key
// (the instance address); it is echoed in the result.
type ReadObject struct {
	ID       string
	TypeName string
	State    cty.Value
	Private  []byte
}

// ReadResourcesResponse holds one result per requested object, in order.
type ReadResourcesResponse struct {
	Results     []ReadResult
	Diagnostics hcl.Diagnostics
}

// ReadResult is the refreshed state of one object. Gone reports that the
// object no longer exists; NewState is then null.
type ReadResult struct {
	ID          string
	NewState    cty.Value
	Private     []byte
	Gone        bool
	Diagnostics hcl.Diagnostics
}

// PlanResourceChangeRequest asks the provider to plan one object. PriorState
// is null for a create; ProposedNewState is null for a destroy.
type PlanResourceChangeRequest struct {
	TypeName         string
	PriorState       cty.Value
	ProposedNewState cty.Value
	Config           cty.Value
	PriorPrivate     []byte
	// SavedPlannedState is set when the core plans again at apply time: the
	// planned state of the plan being applied (cty.NilVal otherwise). A
	// provider reuses what it resolved then, such as an image's digest, so
	// that apply carries out exactly what was planned even if a tag moved.
	SavedPlannedState cty.Value
}

// PlanResourceChangeResponse is the provider's plan for one object.
type PlanResourceChangeResponse struct {
	// PlannedState: unknown values where the provider will only know after apply.
	PlannedState cty.Value
	// RequiresReplace lists the attributes whose change forces replacement.
	RequiresReplace []cty.Path
	PlannedPrivate  []byte
	// Rollout, when set, says the change is carried out in waves; the core
	// then drives ApplyResourceChange one wave at a time (see RolloutStep).
	Rollout     *Rollout
	Diagnostics hcl.Diagnostics
}

// Rollout is a provider's plan of a change carried out in waves: the
// core's rollout driver (package core/rollout) sequences the waves, asking
// the provider for one step at a time (see RolloutStep), gates each wave
// on what the provider reports, runs the per-wave hooks (a load balancer
// drains and admits instances there) and reverts on failure.
type Rollout struct {
	// Waves lists the instances each wave replaces or starts, in order.
	Waves []Wave
	// MinHealthy is how long each new instance must stay ready before its
	// wave counts as healthy; HealthyDeadline bounds how long a new
	// instance may take to become ready. Zero: not set.
	MinHealthy      time.Duration
	HealthyDeadline time.Duration
	// AutoRevert: a failed wave rolls the object back to the state
	// recorded before the rollout.
	AutoRevert bool
	// MaxUnavailable is how many of a wave's old instances stop before
	// their replacements start; the others stop once the replacements are
	// ready.
	MaxUnavailable int
	// Canary, when set, makes the rollout a canary: see Canary.
	Canary *Canary
}

// Canary is the canary phase of a rollout: the first Instances instances
// of the waves start beside the old ones (StepStart), become the app's
// canary in its routers (StepCanary) with Weight percent of the traffic,
// and the rollout pauses there. Promoting it carries out the waves as a
// rolling update and then retires the canary (StepCanary with weight 0);
// aborting it retires the canary first, then reverts.
type Canary struct {
	Instances int
	Weight    int
}

// Wave is one batch of a rollout.
type Wave struct {
	Instances []WaveInstance
}

// WaveInstance is an instance a wave replaces or starts, by name (an
// instance of the app contract, platform/app.Instance), with the host it
// is planned on.
type WaveInstance struct {
	Name string
	Host string
}

// StepKind says which part of a change an ApplyResourceChange call performs.
type StepKind int

// Step kinds. A change without a Rollout is applied with StepAll; a
// rollout is applied as StepStart and StepStop calls, which the core's
// rollout driver sequences (docs/providers.md, "Rollouts"):
//
//	for each wave:  StepStop  (the first MaxUnavailable old instances, if any)
//	                StepStart (the wave's instances)   then the core admits them
//	                StepStop  (the wave's instances)   after the core drained them
//	revert:         StepStart, StepStop towards the state recorded before
//	                the rollout (PlannedState = that state)
//
// In every step PriorState is what the previous step reported, and the
// provider returns in NewState what truly exists afterwards, also when it
// fails or is stopped: "instances" lists every instance that exists, in
// the app contract's shape, and the object's other attributes are
// PlannedState's once every instance it lists runs as planned and no
// other instance remains, PriorState's until then.
const (
	StepAll StepKind = iota
	// StepStart makes sure each instance named in RolloutStep.Instances
	// has an instance that PlannedState keeps (platform/app.Keeps, against
	// the instances platform/app.DecodeTarget reads from PlannedState):
	// where none exists, the provider starts one on the planned host and
	// returns once it is ready (within the rollout's healthy deadline)
	// and has stayed ready for RolloutStep.HoldFor, or has failed. Other
	// instances of those names (the old ones) keep running.
	StepStart
	// StepStop stops and removes every instance of the names in
	// RolloutStep.Instances that PlannedState does not keep. The core has
	// drained them first.
	StepStop
	// StepDrain is applied to an object that routes traffic to an app (a
	// load balancer with a target of that app) around a wave of the app's
	// rollout, before the instances of RolloutStep.Traffic stop: they
	// leave traffic (deregistered), and the call returns once they are
	// drained, so no request goes to them any more. PriorState and
	// PlannedState are the object's state as recorded; NewState says
	// which targets it now has.
	StepDrain
	// StepAdmit is applied likewise once new instances are ready: they
	// join traffic (registered), and the call returns once the router
	// reports each of them healthy, or fails when one is not within
	// RolloutStep.Traffic.Deadline.
	StepAdmit
	// StepCanary is applied to a router of an app with a canary rollout.
	// With Traffic.Weight > 0, Traffic.Instances become the app's canary:
	// they join traffic apart from the stable instances (a target group
	// of their own), and once the router reports each healthy it gives
	// them Weight percent of the traffic that goes to the app, reads the
	// weights back, and returns; instances of an earlier canary that are
	// not named leave (drained). With Weight 0 the canary is retired: all
	// of the app's traffic goes back to its stable instances (verified),
	// then the canary's instances leave (drained) and what held them is
	// removed. Either way the call is idempotent.
	StepCanary
)

// TrafficChange is what a StepDrain or StepAdmit acts on: instances of
// one app that leave or join the traffic of the objects routing to it.
type TrafficChange struct {
	// AppID is the app's deployment_id, which a router matches against
	// the apps it targets.
	AppID string
	// Instances leave (StepDrain) or join (StepAdmit), in the app
	// contract's shape, addresses included.
	Instances []app.Instance
	// Deadline bounds how long, with StepAdmit, an instance may take to be
	// reported healthy (the rollout's healthy_deadline); zero: the
	// router's own default.
	Deadline time.Duration
	// Weight is, with StepCanary, the canary's share of the traffic in
	// percent (0: retire the canary).
	Weight int
}

// RolloutStep selects the part of the change to apply.
type RolloutStep struct {
	Kind StepKind
	// Wave is the 1-based number of the wave the step belongs to, as the
	// plan shows it; 0 for the steps of a revert.
	Wave int
	// Instances names the instances the step acts on.
	Instances []string
	// HoldFor is how long, with StepStart, each new instance must stay
	// ready before the call returns (the rollout's min_healthy).
	HoldFor time.Duration
	// Traffic is set with StepDrain, StepAdmit and StepCanary.
	Traffic *TrafficChange
}

// ApplyResourceChangeRequest carries out a planned change.
type ApplyResourceChangeRequest struct {
	TypeName       string
	PriorState     cty.Value
	PlannedState   cty.Value
	Config         cty.Value
	PlannedPrivate []byte
	Step           RolloutStep
	// IdempotencyKey is set on a create (and the create of a
	// replacement): a key unique to this operation, which the core wrote
	// to its intent journal before the call. A provider whose schema says
	// LookupByKey stores it on the object it creates, so that
	// LookupResources finds the object if the core never learns of it.
	IdempotencyKey string
}

// ApplyEvent is a progress event streamed during ApplyResourceChange.
type ApplyEvent struct {
	// Kind is a short machine-readable word: "progress",
	// "instance_started", "instance_healthy", "instance_unhealthy",
	// "instance_stopped", "log".
	Kind    string
	Message string
	// Wave is the step's RolloutStep.Wave (1-based; 0 outside a wave).
	Wave     int
	Instance string
}

// ApplyResourceChangeResponse is the object's new state. On failure NewState
// is the partial state: what actually exists now.
type ApplyResourceChangeResponse struct {
	NewState    cty.Value
	Private     []byte
	Diagnostics hcl.Diagnostics
	// Resumable, on a failed create, says NewState is an object a later
	// plan can update in place to finish the change (an app keeps its
	// ready instances and re-creates the failed ones): the core records it
	// as is. Otherwise a failed create is recorded tainted and the next
	// plan replaces the whole object, as in Terraform.
	Resumable bool
}

// ImportResourceRequest brings an existing object under management.
type ImportResourceRequest struct {
	TypeName string
	ID       string
	// Config is the configuration of the instance imported into, evaluated
	// as plan would (cty.NilVal when the core has none to give). A provider
	// whose objects live where the configuration says, as an app on its
	// cluster's hosts, finds the object with it.
	Config cty.Value
}

// ImportResourceResponse holds the imported object's state.
type ImportResourceResponse struct {
	State       cty.Value
	Private     []byte
	Diagnostics hcl.Diagnostics
}

// LookupResourcesRequest looks up a batch of objects by idempotency key.
type LookupResourcesRequest struct {
	Objects []LookupObject
}

// LookupObject is one object to find. ID is the caller's correlation key,
// echoed in the result. Planned is the planned state the create was
// called with: where the object would be (an app's cluster and hosts).
type LookupObject struct {
	ID             string
	TypeName       string
	IdempotencyKey string
	Planned        cty.Value
}

// NotFound is the result of o when nothing carries its key: a null state
// of its planned type.
func (o LookupObject) NotFound() LookupResult {
	t := cty.DynamicPseudoType
	if o.Planned != cty.NilVal {
		t = o.Planned.Type()
	}
	return LookupResult{ID: o.ID, State: cty.NullVal(t)}
}

// LookupResourcesResponse holds one result per requested object, in order.
type LookupResourcesResponse struct {
	Results     []LookupResult
	Diagnostics hcl.Diagnostics
}

// LookupResult is what exists of one object looked up. Found is false
// (and State null) when nothing carries the key: the create never made
// anything, or what it made is gone. A found object's State is its
// current state, as ReadResources would return it.
type LookupResult struct {
	ID          string
	Found       bool
	State       cty.Value
	Private     []byte
	Diagnostics hcl.Diagnostics
}

// ReadDataSourceRequest reads a data source.
type ReadDataSourceRequest struct {
	TypeName string
	Config   cty.Value
}

// ReadDataSourceResponse holds a data source's state.
type ReadDataSourceResponse struct {
	State       cty.Value
	Diagnostics hcl.Diagnostics
}

// NoDataSource is the answer of a provider that has no data sources to a
// ReadDataSource of typeName.
func NoDataSource(provider, typeName string) ReadDataSourceResponse {
	return ReadDataSourceResponse{Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagError,
		Summary: "Unknown data source", Detail: fmt.Sprintf("The %s provider has no data source %q.", provider, typeName)}}}
}

// AttributePath is placed in hcl.Diagnostic.Extra by providers to say which
// attribute a diagnostic concerns.
type AttributePath struct {
	Path cty.Path
}

// AttributeError is an error diagnostic about the attribute at path (of
// the value a provider checked), so that berth can point at the
// configuration.
func AttributeError(summary, detail string, path cty.Path) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Extra: AttributePath{Path: path}}
}

// DiagnosticPath returns the attribute path a provider attached to diag, or nil.
func DiagnosticPath(diag *hcl.Diagnostic) cty.Path {
	if ap, ok := diag.Extra.(AttributePath); ok {
		return ap.Path
	}
	return nil
}

// ValueMark is the type of the cty marks defined by this package.
type ValueMark string

// GoString makes marks readable in test failures and debug output.
func (m ValueMark) GoString() string { return "providers.ValueMark(" + string(m) + ")" }

// SensitiveMark is the cty mark of a sensitive value. It is the one
// definition of "sensitive" in berth: package lang marks sensitive variables
// and attributes with it (and re-exports it as lang.Sensitive), renderers
// redact values carrying it, and the plugin protocol carries it across the
// process boundary as attribute paths, so a value marked here arrives marked
// in the provider and back. Other marks do not cross the boundary.
const SensitiveMark = ValueMark("sensitive")

// IsSensitiveMark reports whether a cty mark flags a sensitive value:
// SensitiveMark, or any other mark whose underlying type is a string
// "sensitive" (a layer's own constant), so that a value marked by any
// layer is redacted and recorded as sensitive.
func IsSensitiveMark(m any) bool {
	if m == any(SensitiveMark) {
		return true
	}
	rv := reflect.ValueOf(m)
	return rv.Kind() == reflect.String && rv.String() == "sensitive"
}

// HasSensitiveMark reports whether marks hold a sensitive mark.
func HasSensitiveMark(marks cty.ValueMarks) bool {
	for m := range marks {
		if IsSensitiveMark(m) {
			return true
		}
	}
	return false
}

// CrashInfo is placed in hcl.Diagnostic.Extra of the diagnostic reporting
// that a provider's plugin process died. The plugin client fills in
// Provider, Call and Output; the core, which knows which object a call was
// about, may set Object and rewrite the diagnostic's Detail with Detail().
type CrashInfo struct {
	// Provider is the provider's name as the user knows it: "docker", "acme/dns".
	Provider string
	// Call is the protocol call that was in flight when the process died,
	// e.g. "ApplyResourceChange".
	Call string
	// Object is the address of the object the call was about ("app.web"),
	// when known.
	Object string
	// Output is what the plugin process wrote last before dying, usually
	// its panic message and stack.
	Output string
}

// Summary is the one-line summary of a crash diagnostic.
func (c CrashInfo) Summary() string {
	return "Provider " + c.Provider + " crashed"
}

// Detail is the full text of a crash diagnostic:
// "provider docker crashed during ApplyResourceChange of app.web: <output>".
func (c CrashInfo) Detail() string {
	s := "provider " + c.Provider + " crashed during " + c.Call
	if c.Object != "" {
		s += " of " + c.Object
	}
	if c.Output != "" {
		s += ":\n" + c.Output
	}
	return s
}

// Diagnostic returns the error diagnostic reporting the crash.
func (c CrashInfo) Diagnostic() *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  c.Summary(),
		Detail:   c.Detail(),
		Extra:    c,
	}
}

// DiagnosticCrash returns the crash a diagnostic reports, if it reports one.
func DiagnosticCrash(diag *hcl.Diagnostic) (CrashInfo, bool) {
	ci, ok := diag.Extra.(CrashInfo)
	return ci, ok
}
