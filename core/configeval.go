package core

import (
	"strings"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// evalConfigObject evaluates a variable (from the collected values), or a
// local, cluster, registry or probe (through lang).
func evalConfigObject(cfg *lang.Config, vars map[string]cty.Value, addr string, data lang.Data) (cty.Value, hcl.Diagnostics) {
	kind, name, _ := strings.Cut(addr, ".")
	if kind == "var" {
		if v, ok := vars[name]; ok {
			return v, nil
		}
		if vr := cfg.Variables[name]; vr != nil {
			return cty.UnknownVal(vr.Type), nil
		}
		return cty.DynamicVal, nil
	}
	return cfg.EvalObject(addr, &lang.Scope{Data: data, BaseDir: cfg.Dir, Workspace: cfg.Workspace})
}

// providerConfigFunc evaluates the provider "NAME" block, if there is one.
func providerConfigFunc(cfg *lang.Config, name string, data lang.Data) configFunc {
	pc := cfg.Providers[name]
	if pc == nil {
		return nil
	}
	return func(schema *providers.Block) (cty.Value, hcl.Diagnostics) {
		if schema == nil {
			schema = &providers.Block{}
		}
		scope := &lang.Scope{Data: data, BaseDir: cfg.Dir, Workspace: cfg.Workspace}
		return scope.EvalBody(pc.Config, lang.SchemaFromProvider(schema))
	}
}

// evalOutput evaluates a root output. A value derived from sensitive
// values must be declared sensitive (as in Terraform), and a sensitive
// output's value is marked, so no renderer shows it.
func evalOutput(o *lang.Output, data lang.Data, cfg *lang.Config) (cty.Value, hcl.Diagnostics) {
	scope := &lang.Scope{Data: data, BaseDir: cfg.Dir, Workspace: cfg.Workspace}
	val, diags := scope.EvalExpr(o.Expr, cty.DynamicPseudoType)
	if diags.HasErrors() {
		return val, diags
	}
	if o.Sensitive {
		return val.Mark(providers.SensitiveMark), diags
	}
	if val.ContainsMarked() {
		return val, diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Output refers to sensitive values",
			Detail: "The value of output " + o.Name + " is derived from sensitive values (a sensitive variable, or a sensitive attribute of a provider's schema). " +
				"Set sensitive = true on the output to confirm it may be recorded, and shown redacted.",
			Subject: o.Expr.Range().Ptr(),
			Context: o.DeclRange.Ptr(),
		})
	}
	return val, diags
}
