package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// Resource declares a managed resource type whose configuration and state
// are held in Go values of type T: a struct with a `cty:"name"` tag on one
// field per attribute and nested block (see Decode). The SDK decodes
// planned and prior state into T before calling the functions, and encodes
// what they return.
//
// Create, Read and Delete are required; Update is required unless every
// configurable attribute is ForceNew (then every change is a replacement).
// The others are optional.
//
// Functions that return (*T, error) follow one convention: a non-nil *T is
// what exists now, even alongside an error (partial state: the object was
// created but a later step failed); a nil *T with an error means the call
// changed nothing.
type Resource[T any] struct {
	Schema Schema

	// Create creates the object described by planned, whose computed
	// attributes are zero (they are unknown until now), and returns its
	// full state.
	Create func(ctx context.Context, planned T) (*T, error)
	// Read returns the current state of the object, as found in the real
	// system: what berth compares against the recorded state to find
	// drift. It returns ErrNotFound (or an error wrapping it) when the
	// object no longer exists.
	Read func(ctx context.Context, current T) (*T, error)
	// Update changes the object from prior to planned in place.
	Update func(ctx context.Context, prior, planned T) (*T, error)
	// Delete deletes the object. Deleting an object that is already gone
	// should succeed.
	Delete func(ctx context.Context, current T) error

	// Import returns the state of an existing object given the ID the user
	// passed to `berth import`. Without it the type cannot be imported.
	Import func(ctx context.Context, id string) (*T, error)
	// ReadBatch, when set, replaces Read for refreshes: berth refreshes
	// many objects per call, and an API that can fetch many at once should
	// be asked once. It returns one result per object, in order.
	ReadBatch func(ctx context.Context, current []T) ([]ReadResult[T], error)
	// Plan, when set, adjusts the SDK's default plan: computed attributes
	// known in advance, replacements the schema cannot express, a rollout.
	// It is not called for deletions.
	Plan func(ctx context.Context, plan *Plan) error
	// Validate, when set, checks a configuration beyond what the schema
	// says (e.g. combinations of attributes). It is called only for wholly
	// known configurations, after the schema's own checks passed.
	Validate func(ctx context.Context, config T) hcl.Diagnostics
	// Resumable says a Create that fails part way, returning a partial
	// state, leaves an object that Update can finish (a deployment whose
	// ready replicas stay): berth then records it as is rather than
	// tainted, and the next plan updates it instead of replacing it.
	Resumable bool
	// ApplyStep performs one step of a change planned with a Rollout, which
	// berth's rollout driver sequences: start the new instances of a wave
	// (step.Kind == providers.StepStart) or stop the old ones
	// (providers.StepStop), towards planned (during a revert, planned is
	// the state from before the rollout). It returns the object as it is
	// afterwards, its "instances" in the app contract's shape
	// (platform/app); see providers.RolloutStep. Without it, a rollout
	// cannot be applied.
	ApplyStep func(ctx context.Context, step providers.RolloutStep, prior, planned T) (*T, error)
	// Lookup, when set, finds the object that a Create given the
	// idempotency key key made (Create reads its key with
	// IdempotencyKey(ctx) and stores it on the object: a label, an
	// annotation, a tag); planned is what that Create was given. It
	// returns ErrNotFound when nothing carries the key. With it the
	// schema says LookupByKey, and berth recovers an object whose create
	// was interrupted (a kill) instead of reporting a possible orphan.
	Lookup func(ctx context.Context, key string, planned T) (*T, error)
}

// ReadResult is the result of reading one object in a ReadBatch.
type ReadResult[T any] struct {
	// State is the object's current state; nil when Err is set.
	State *T
	// Err is ErrNotFound when the object no longer exists, or another
	// error when this object could not be read.
	Err error
}

// DataSource declares a data source whose configuration and state are held
// in Go values of type T (see Resource).
type DataSource[T any] struct {
	Schema Schema
	// Read returns the data source's state for config, whose computed
	// attributes are zero.
	Read func(ctx context.Context, config T) (*T, error)
}

// ResourceType is any *Resource[T]; it lets a Provider hold resource types
// with different model types in one map.
type ResourceType interface {
	schema() *Schema
	check(where string) []string
	validateModel(ctx context.Context, config cty.Value) hcl.Diagnostics
	planHook() func(context.Context, *Plan) error
	read(ctx context.Context, typeName string, states []cty.Value, parallelism int) ([]readOut, hcl.Diagnostics)
	apply(ctx context.Context, typeName string, req providers.ApplyResourceChangeRequest) (cty.Value, hcl.Diagnostics)
	importState(ctx context.Context, typeName, id string) (cty.Value, hcl.Diagnostics)
	resumable() bool
	canLookup() bool
	lookup(ctx context.Context, o providers.LookupObject) providers.LookupResult
}

func (r *Resource[T]) resumable() bool { return r.Resumable }

// DataSourceType is any *DataSource[T].
type DataSourceType interface {
	schema() *Schema
	check(where string) []string
	readData(ctx context.Context, typeName string, config cty.Value) (cty.Value, hcl.Diagnostics)
}

type readOut struct {
	state cty.Value
	gone  bool
	diags hcl.Diagnostics
}

func (r *Resource[T]) schema() *Schema { return &r.Schema }

func (r *Resource[T]) check(where string) []string {
	errs := r.Schema.check(where)
	errs = append(errs, checkModel[T](&r.Schema, where)...)
	if r.Create == nil || r.Read == nil || r.Delete == nil {
		errs = append(errs, where+": Create, Read and Delete are required")
	}
	if r.Update == nil {
		for _, name := range sortedKeys(r.Schema.Attributes) {
			a := r.Schema.Attributes[name]
			if a.settable() && !a.ForceNew {
				errs = append(errs, fmt.Sprintf("%s: no Update, so every configurable attribute must be ForceNew, and %q is not", where, name))
			}
		}
		if len(r.Schema.Blocks) > 0 {
			errs = append(errs, where+": no Update, but nested blocks could change in place")
		}
	}
	return errs
}

func (r *Resource[T]) validateModel(ctx context.Context, config cty.Value) hcl.Diagnostics {
	if r.Validate == nil || !config.IsWhollyKnown() {
		return nil
	}
	var t T
	if err := Decode(config, &t); err != nil {
		return toDiags(err, "Invalid configuration")
	}
	return r.Validate(ctx, t)
}

func (r *Resource[T]) planHook() func(context.Context, *Plan) error { return r.Plan }

func (r *Resource[T]) decode(v cty.Value) (T, hcl.Diagnostics) {
	var t T
	if err := Decode(v, &t); err != nil {
		return t, toDiags(err, "Cannot decode value for provider")
	}
	return t, nil
}

func (r *Resource[T]) encode(t *T, what string) (cty.Value, hcl.Diagnostics) {
	v, err := encode(&r.Schema, t)
	if err != nil {
		return cty.NullVal(r.Schema.ImpliedType()), toDiags(err, "Provider returned an invalid %s", what)
	}
	return v, nil
}

func (r *Resource[T]) read(ctx context.Context, typeName string, states []cty.Value, parallelism int) ([]readOut, hcl.Diagnostics) {
	models := make([]T, len(states))
	out := make([]readOut, len(states))
	for i, s := range states {
		var diags hcl.Diagnostics
		models[i], diags = r.decode(s)
		out[i].diags = diags
	}
	convert := func(i int, t *T, err error) {
		switch {
		case errors.Is(err, ErrNotFound):
			out[i].gone = true
			out[i].state = cty.NullVal(r.Schema.ImpliedType())
		case err != nil:
			out[i].diags = append(out[i].diags, toDiags(err, "Cannot read %s", typeName)...)
			out[i].state = states[i]
		case t == nil:
			out[i].diags = append(out[i].diags, errorDiag("Provider bug", "Read of %s returned neither a state nor an error; return sdk.ErrNotFound for an object that is gone.", typeName)...)
			out[i].state = states[i]
		default:
			var diags hcl.Diagnostics
			out[i].state, diags = r.encode(t, "state")
			out[i].diags = append(out[i].diags, diags...)
		}
	}
	if r.ReadBatch != nil {
		results, err := r.ReadBatch(ctx, models)
		if err != nil {
			return nil, toDiags(err, "Cannot read %s", typeName)
		}
		if len(results) != len(states) {
			return nil, errorDiag("Provider bug", "ReadBatch of %s returned %d results for %d objects.", typeName, len(results), len(states))
		}
		for i, res := range results {
			if out[i].diags.HasErrors() {
				continue
			}
			convert(i, res.State, res.Err)
		}
		return out, nil
	}
	// Objects are read concurrently, bounded: a refresh of hundreds of
	// records against a remote API is otherwise as slow as its round trips.
	sem := make(chan struct{}, max(parallelism, 1))
	var wg sync.WaitGroup
	for i := range states {
		if out[i].diags.HasErrors() {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t, err := r.Read(ctx, models[i])
			convert(i, t, err)
		})
	}
	wg.Wait()
	return out, nil
}

func (r *Resource[T]) apply(ctx context.Context, typeName string, req providers.ApplyResourceChangeRequest) (cty.Value, hcl.Diagnostics) {
	null := cty.NullVal(r.Schema.ImpliedType())
	prior, planned := req.PriorState, req.PlannedState
	if prior == cty.NilVal {
		prior = null
	}
	if planned == cty.NilVal {
		planned = null
	}
	if prior.IsNull() {
		// Only a create (a Create, or ApplyStep from nothing) has a key.
		ctx = withIdempotencyKey(ctx, req.IdempotencyKey)
	}
	priorT, diags := r.decode(prior)
	if diags.HasErrors() {
		return prior, diags
	}
	plannedT, diags := r.decode(planned)
	if diags.HasErrors() {
		return prior, diags
	}
	// result builds the response of a create/update: the returned state
	// (possibly partial) if any, else what existed before the call.
	result := func(t *T, err error, op string) (cty.Value, hcl.Diagnostics) {
		var diags hcl.Diagnostics
		v := prior
		if t != nil {
			v, diags = r.encode(t, "new state")
			if diags.HasErrors() {
				v = prior
			}
		}
		return v, append(diags, toDiags(err, "Cannot %s %s", op, typeName)...)
	}
	switch {
	case req.Step.Kind != providers.StepAll:
		if r.ApplyStep == nil {
			return prior, errorDiag("Rollout not supported", "Resource type %s planned a rollout but has no ApplyStep.", typeName)
		}
		t, err := r.ApplyStep(ctx, req.Step, priorT, plannedT)
		return result(t, err, "roll out")
	case planned.IsNull():
		if prior.IsNull() {
			return null, nil
		}
		if err := r.Delete(ctx, priorT); err != nil && !errors.Is(err, ErrNotFound) {
			return prior, toDiags(err, "Cannot delete %s", typeName)
		}
		return null, nil
	case prior.IsNull():
		t, err := r.Create(ctx, plannedT)
		return result(t, err, "create")
	default:
		if r.Update == nil {
			return prior, errorDiag("Update not supported", "Resource type %s cannot be updated in place; the change should have been planned as a replacement.", typeName)
		}
		t, err := r.Update(ctx, priorT, plannedT)
		return result(t, err, "update")
	}
}

func (r *Resource[T]) importState(ctx context.Context, typeName, id string) (cty.Value, hcl.Diagnostics) {
	null := cty.NullVal(r.Schema.ImpliedType())
	if r.Import == nil {
		return null, errorDiag("Resource cannot be imported", "Resource type %s does not support import.", typeName)
	}
	t, err := r.Import(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return null, errorDiag("Cannot import non-existent object", "No %s with ID %q exists.", typeName, id)
	}
	if err != nil {
		return null, toDiags(err, "Cannot import %s %q", typeName, id)
	}
	if t == nil {
		return null, errorDiag("Provider bug", "Import of %s returned neither a state nor an error.", typeName)
	}
	return r.encode(t, "imported state")
}

func (d *DataSource[T]) schema() *Schema { return &d.Schema }

func (d *DataSource[T]) check(where string) []string {
	errs := d.Schema.check(where)
	errs = append(errs, checkModel[T](&d.Schema, where)...)
	if d.Read == nil {
		errs = append(errs, where+": Read is required")
	}
	return errs
}

func (d *DataSource[T]) readData(ctx context.Context, typeName string, config cty.Value) (cty.Value, hcl.Diagnostics) {
	null := cty.NullVal(d.Schema.ImpliedType())
	var t T
	if err := Decode(config, &t); err != nil {
		return null, toDiags(err, "Cannot decode configuration of %s", typeName)
	}
	res, err := d.Read(ctx, t)
	if errors.Is(err, ErrNotFound) {
		return null, errorDiag("Not found", "The %s data source found nothing: %s.", typeName, err)
	}
	if err != nil {
		return null, toDiags(err, "Cannot read %s", typeName)
	}
	v, err := encode(&d.Schema, res)
	if err != nil {
		return null, toDiags(err, "Provider returned an invalid state for %s", typeName)
	}
	return v, nil
}
