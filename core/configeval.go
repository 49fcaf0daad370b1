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
	return cfg.EvalObject(addr, &lang.Scope{Data: data, BaseDir: cfg.Dir})
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
		scope := &lang.Scope{Data: data, BaseDir: cfg.Dir}
		return scope.EvalBody(pc.Config, lang.SchemaFromProvider(schema))
	}
}
