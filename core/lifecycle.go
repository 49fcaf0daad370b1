package core

import (
	"fmt"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// replaceAction is how a block's replacement goes: destroy first, unless
// its lifecycle says create_before_destroy.
func replaceAction(r *lang.Resource) plans.Action {
	if r.Lifecycle.CreateBeforeDestroy {
		return plans.CreateThenDelete
	}
	return plans.DeleteThenCreate
}

// preventDestroy refuses a plan that destroys an object whose lifecycle
// has prevent_destroy.
func preventDestroy(addr addrs.Instance, lc *lang.Lifecycle, rng hcl.Range) hcl.Diagnostics {
	if lc == nil || !lc.PreventDestroy {
		return nil
	}
	subject := rng
	if lc.DeclRange.Filename != "" {
		subject = lc.DeclRange
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Instance cannot be destroyed",
		Detail: fmt.Sprintf("%s has lifecycle.prevent_destroy set, but the plan calls for this object to be destroyed. "+
			"To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan with -target.", addr),
		Subject: &subject,
	}}
}

// ignoreChanges keeps the prior values of the attributes listed in
// lifecycle.ignore_changes.
func ignoreChanges(config, prior cty.Value, lc *lang.Lifecycle) cty.Value {
	if len(lc.IgnoreChanges) == 0 || prior.IsNull() || !prior.IsKnown() {
		return config
	}
	paths := make([]cty.Path, 0, len(lc.IgnoreChanges))
	for _, tr := range lc.IgnoreChanges {
		paths = append(paths, traversalPath(tr))
	}
	out, _ := cty.Transform(config, func(p cty.Path, v cty.Value) (cty.Value, error) {
		for _, ip := range paths {
			if p.Equals(ip) {
				if pv, err := ip.Apply(prior); err == nil {
					return pv, nil
				}
			}
		}
		return v, nil
	})
	return out
}

func traversalPath(tr hcl.Traversal) cty.Path {
	var p cty.Path
	for _, s := range tr {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			p = p.GetAttr(s.Name)
		case hcl.TraverseAttr:
			p = p.GetAttr(s.Name)
		case hcl.TraverseIndex:
			p = p.Index(s.Key)
		}
	}
	return p
}
