package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// intend writes the intent of a create or a destroy to the intent journal
// before the change is made (statemgr.Persister.Intend), and gives a
// create its idempotency key in req. It returns the intent's key; "" for
// an update, which is not journaled: its object is recorded, and a
// refresh finds what it became.
func (a *applyWalker) intend(ctx context.Context, entry *providerEntry, change *plans.ResourceChange, req *providers.ApplyResourceChangeRequest) (string, hcl.Diagnostics) {
	in := state.Intent{Key: state.NewIntentKey(), Addr: change.Addr, Deposed: change.Deposed,
		Provider: entry.name, TypeName: req.TypeName, Time: time.Now()}
	switch {
	case req.PlannedState.IsNull():
		in.Action = state.IntentDelete
	case req.PriorState == cty.NilVal || req.PriorState.IsNull():
		in.Action, in.Planned = state.IntentCreate, unknownsAsNull(req.PlannedState)
		req.IdempotencyKey = in.Key
	default:
		return "", nil
	}
	if err := a.persist.Intend(ctx, in); err != nil {
		return "", errDiag("Cannot record what berth is about to do",
			fmt.Sprintf("%s: berth writes each create and destroy to the intent journal before it makes it, and that failed: %v. Nothing was changed for this object.", change.Addr, err), nil)
	}
	return in.Key, nil
}

// unsettledDiagnostic reports the creates and destroys whose outcome is
// unknown (the provider crashed during them): they stay in the intent
// journal, and the next plan or apply finds out what exists.
func unsettledDiagnostic(open []state.Intent, journal string) *hcl.Diagnostic {
	var b strings.Builder
	for i, in := range open {
		if i == 8 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(open)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s of %s", in.Action, in.Addr)
		if in.Deposed != "" {
			fmt.Fprintf(&b, " (deposed object %s)", in.Deposed)
		}
	}
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Outcome of some changes unknown",
		Detail: fmt.Sprintf("The provider stopped without saying what these changes made:%s\n\nThey stay in the intent journal %s: the next berth plan or apply looks them up and records what exists, so nothing is lost or made twice.", b.String(), journal)}
}
