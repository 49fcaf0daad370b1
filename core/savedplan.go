package core

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
)

// OpenSavedPlan reads a saved plan to apply it from dir. What a saved
// plan forbids and what binds it are decided here, once for every caller:
//
//   - planningFlags names the options given that only planning takes
//     (-var, -target, -destroy...): a saved plan already fixes them, so any
//     is refused;
//   - the plan must have been made from dir's configuration files and
//     locked providers (CheckPlanBinding). This is checked before the
//     configuration is loaded, so that edited files are reported as such
//     rather than by whatever in them no longer loads; Operation.Apply
//     checks it again under the lock, with the state.
func OpenSavedPlan(path, dir string, planningFlags []string) (*plans.Plan, hcl.Diagnostics) {
	if len(planningFlags) > 0 {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Options not allowed with a saved plan",
			Detail: "A saved plan already fixes the variables, targets and mode it was made with; -var, -var-file, -target, -replace, -destroy, -refresh-only and -refresh apply only when planning."}}
	}
	p, err := plans.ReadPlanFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the saved plan", Detail: err.Error()}}
	}
	if d := CheckPlanBinding(dir, p); d.HasErrors() {
		return nil, d
	}
	return p, nil
}

// SavedPlanVariables are the variables to apply saved plan p with: the
// plan's own, and its sensitive ones, which the file holds only as
// digests, taken again from where they came from (var files and the
// environment env: a saved plan takes no -var) and checked against the
// digests.
func SavedPlanVariables(cfg *lang.Config, p *plans.Plan, env []string) (map[string]cty.Value, hcl.Diagnostics) {
	if len(p.VariablesRedacted) == 0 {
		return p.Variables, nil
	}
	fresh, freshDiags := lang.CollectVariables(cfg, cfg.Dir, nil, env)
	vars := make(map[string]cty.Value, len(p.Variables))
	for k, v := range p.Variables {
		vars[k] = v
	}
	for name, reds := range p.VariablesRedacted {
		fv, ok := fresh[name]
		if !ok || fv.IsNull() {
			// Reading the variables failed (its diagnostics say why), or the
			// value came from -var, which a saved plan cannot take.
			var diags hcl.Diagnostics
			for _, d := range freshDiags {
				if d.Severity == hcl.DiagError {
					diags = append(diags, d)
				}
			}
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No value for a sensitive variable of the plan",
				Detail: fmt.Sprintf("The plan holds var.%s only as a digest, and neither a var file nor BERTH_VAR_%s gives it now. Give it the way the plan was made (a saved plan takes no -var), or run berth plan again.", name, name)})
		}
		u, err := p.Unredact(p.Variables[name], reds, fv)
		if err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Sensitive variable changed since the plan",
				Detail: fmt.Sprintf("var.%s: %s. Run berth plan again.", name, err)}}
		}
		vars[name] = u
	}
	return vars, nil
}
