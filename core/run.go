package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/hashicorp/hcl/v2"
)

// Operation runs plan and apply against a stored state: it takes the
// lock, reads the state, checks a saved plan is still current, and keeps
// the state persisted while applying.
type Operation struct {
	Engine *Engine
	// State is the manager of the state in its backend.
	State *statemgr.Manager
	// LockTimeout is how long to wait for the state lock (-lock-timeout).
	LockTimeout time.Duration
	// NoLock skips locking (-lock=false).
	NoLock bool

	// held is set while Hold's lock is taken: the operations run under it.
	held bool
	// warnedBackup: the warning about a backup of another state was given
	// (once per command, which may read the state twice).
	warnedBackup bool
}

// Hold takes the state lock for operation and keeps it until release is
// called, so that a plan, its confirmation and its apply run under one
// lock and nobody changes the state in between. Plan, Apply and Import
// called meanwhile do not lock again.
func (o *Operation) Hold(ctx context.Context, operation string) (release func() hcl.Diagnostics, diags hcl.Diagnostics) {
	unlock, diags := o.lock(ctx, operation)
	if diags.HasErrors() {
		return func() hcl.Diagnostics { return nil }, diags
	}
	o.held = true
	return func() hcl.Diagnostics {
		o.held = false
		return unlock()
	}, nil
}

// lock takes the state lock for operation and returns its release, which
// reports a lock it could not release: left behind, it would block every
// later run until someone forces it.
func (o *Operation) lock(ctx context.Context, operation string) (func() hcl.Diagnostics, hcl.Diagnostics) {
	if o.NoLock || o.held {
		return func() hcl.Diagnostics { return nil }, nil
	}
	id, err := o.State.Lock(ctx, statemgr.NewLockInfo(operation), o.LockTimeout)
	if err != nil {
		var le *backend.LockError
		summary := "Error acquiring the state lock"
		if !errors.As(err, &le) {
			summary = "Failed to lock the state"
		}
		return nil, errDiag(summary, err.Error(), nil)
	}
	return func() hcl.Diagnostics {
		if err := o.State.Unlock(context.WithoutCancel(ctx), id); err != nil {
			return errDiag("Error releasing the state lock",
				fmt.Sprintf("%s. The lock may still be held: once no berth runs against this state, release it with berth force-unlock %s.", err, id), nil)
		}
		return nil
	}, nil
}

func (o *Operation) read(ctx context.Context) (*state.State, hcl.Diagnostics) {
	st, err := o.State.Read(ctx)
	if err != nil {
		return nil, errDiag("Failed to read the state", err.Error(), nil)
	}
	var diags hcl.Diagnostics
	if fb := o.State.ForeignBackup(); fb != nil && !o.warnedBackup {
		o.warnedBackup = true
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: fb.Summary(), Detail: fb.Detail()})
	}
	return st, diags
}

// Plan reads the state under the lock and plans.
func (o *Operation) Plan(ctx context.Context, opts PlanOptions) (p *plans.Plan, refreshed *state.State, diags hcl.Diagnostics) {
	diags = o.withState(ctx, "plan", func(st *state.State) hcl.Diagnostics {
		st, recovered, d := o.recover(ctx, st)
		if d.HasErrors() {
			return d
		}
		var pd hcl.Diagnostics
		p, refreshed, pd = o.Engine.Plan(ctx, st, opts)
		if p != nil {
			p.Recovered = recovered
		}
		return d.Extend(pd)
	})
	return p, refreshed, diags
}

// recover resolves the intents an interrupted apply left in the journal
// (Engine.Recover), before anything is planned: the state that records
// what they made is written, and the journal cleared. It refuses while an
// errored state waits to be put back (CheckErroredState): that state may
// record what the intents made.
func (o *Operation) recover(ctx context.Context, st *state.State) (*state.State, []plans.Recovery, hcl.Diagnostics) {
	j := o.State.Journal()
	intents, err := j.Open(ctx)
	if err != nil {
		return st, nil, errDiag("Cannot read the intent journal", err.Error(), nil)
	}
	if len(intents) == 0 {
		return st, nil, nil
	}
	if d := o.CheckErroredState(); d.HasErrors() {
		return st, nil, d
	}
	recovered, found, diags := o.Engine.Recover(ctx, st, intents)
	if diags.HasErrors() {
		return st, nil, diags
	}
	if err := o.State.Write(ctx, recovered); err != nil {
		return st, nil, diags.Extend(errDiag("Cannot record what an interrupted apply made",
			fmt.Sprintf("berth found what the interrupted apply made but could not write the state: %v. The intent journal %s is kept; nothing was planned.", err, j.Location()), nil))
	}
	if err := j.Rewrite(ctx, func() []state.Intent { return nil }); err != nil {
		// The state records the outcomes: the next run finds them there.
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Intent journal not cleared", Detail: err.Error()})
	}
	return recovered, found, diags
}

// checkJournalEmpty refuses to apply a plan while the intent journal holds
// intents: an apply was killed since the plan was made (without writing
// the state, or the plan would be stale), and the plan may create again
// what it made. Plan resolves them (recover).
func (o *Operation) checkJournalEmpty(ctx context.Context) hcl.Diagnostics {
	j := o.State.Journal()
	intents, err := j.Open(ctx)
	if err != nil {
		return errDiag("Cannot read the intent journal", err.Error(), nil)
	}
	if len(intents) > 0 {
		return errDiag("An interrupted apply must be recovered first",
			fmt.Sprintf("%s holds %d creates or destroys of an apply that stopped before it recorded them (first: %s of %s), made after this plan. Run berth plan again: it finds what they made and records it first.",
				j.Location(), len(intents), intents[0].Action, intents[0].Addr), nil)
	}
	return nil
}

// withState runs fn with the stored state (nil when none is stored yet),
// under the state lock for operation; a lock it cannot release is
// reported with fn's diagnostics.
func (o *Operation) withState(ctx context.Context, operation string, fn func(st *state.State) hcl.Diagnostics) (diags hcl.Diagnostics) {
	unlock, diags := o.lock(ctx, operation)
	if diags.HasErrors() {
		return diags
	}
	defer func() { diags = diags.Extend(unlock()) }()
	st, diags := o.read(ctx)
	if diags.HasErrors() {
		return diags
	}
	return diags.Extend(fn(st))
}

// Apply applies p under the lock. A saved plan made against another state
// (another lineage, or a serial that has moved on), other configuration
// files or other locked providers is refused; one that is current is
// still carried out only as planned (Engine.Apply, replanSaved). Any
// apply is refused while an errored state waits to be put back
// (CheckErroredState).
func (o *Operation) Apply(ctx context.Context, p *plans.Plan, opts ApplyOptions) (applied *state.State, diags hcl.Diagnostics) {
	diags = o.withState(ctx, "apply", func(st *state.State) hcl.Diagnostics {
		applied = st
		if d := o.CheckErroredState(); d.HasErrors() {
			return d
		}
		if d := o.checkJournalEmpty(ctx); d.HasErrors() {
			return d
		}
		if d := CheckPlanCurrent(p, st); d.HasErrors() {
			return d
		}
		if p.Saved || p.ConfigHash != "" {
			// Also bound to the configuration and the providers.
			if o.Engine.Config == nil {
				return errDiag("Cannot apply a saved plan without its configuration", "apply plans again from the configuration to check the saved plan.", nil)
			}
			if d := CheckPlanBinding(o.Engine.Config.Dir, p); d.HasErrors() {
				return d
			}
		}
		ss := state.NewSyncState(priorState(st))
		persist := statemgr.NewPersister(context.WithoutCancel(ctx), o.State, ss)
		d := o.Engine.Apply(ctx, p, ss, persist, opts)
		applied = ss.Snapshot()
		return d
	})
	return applied, diags
}

// CheckPlanCurrent refuses a plan made against a state other than st (nil
// when no state was stored yet).
func CheckPlanCurrent(p *plans.Plan, st *state.State) hcl.Diagnostics {
	var lineage string
	var serial uint64
	if st != nil {
		lineage, serial = st.Lineage, st.Serial
	}
	if p.StateLineage != lineage && p.StateLineage != "" {
		return errDiag("Saved plan is for a different state",
			fmt.Sprintf("The plan was made against state lineage %s, but the current state has lineage %q.", p.StateLineage, lineage), nil)
	}
	if p.StateSerial != serial || (p.StateLineage == "" && lineage != "") {
		return errDiag("Saved plan is stale",
			fmt.Sprintf("the state changed since this plan was made: serial %d, plan made at %d. Run berth plan again.", serial, p.StateSerial), nil)
	}
	return nil
}
