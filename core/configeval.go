package core

import (
	"strings"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// evalConfigObject evaluates a variable, local, cluster, registry or probe.
func evalConfigObject(cfg *lang.Config, vars map[string]cty.Value, addr string, data lang.Data) (cty.Value, hcl.Diagnostics) {
	kind, name, _ := strings.Cut(addr, ".")
	scope := &lang.Scope{Data: data, BaseDir: cfg.Dir}
	switch kind {
	case "var":
		if v, ok := vars[name]; ok {
			return v, nil
		}
		if vr := cfg.Variables[name]; vr != nil {
			return cty.UnknownVal(vr.Type), nil
		}
		return cty.DynamicVal, nil
	case "local":
		return scope.EvalExpr(cfg.Locals[name].Expr, cty.DynamicPseudoType)
	case "cluster":
		c := cfg.Clusters[name]
		v, diags := scope.EvalBody(c.Config, lang.ClusterSchema())
		return setAttrs(v, map[string]cty.Value{"name": cty.StringVal(name), "kind": cty.StringVal(c.Kind)}), diags
	case "registry":
		v, diags := scope.EvalBody(cfg.Registries[name].Config, lang.RegistrySchema())
		return setAttrs(v, map[string]cty.Value{"name": cty.StringVal(name)}), diags
	case "probe":
		return scope.EvalBody(cfg.Probes[name].Config, lang.ProbeSchema())
	}
	return cty.DynamicVal, nil
}

// providerConfigFunc evaluates the provider "NAME" block, if there is one.
func providerConfigFunc(cfg *lang.Config, name string, data lang.Data) configFunc {
	pc := cfg.Providers[name]
	if pc == nil {
		return nil
	}
	return func(schema *providers.Block) (cty.Value, hcl.Diagnostics) {
		s := lang.SchemaFromProvider(schema)
		if schema == nil {
			s = lang.SchemaFromProvider(&providers.Block{})
		}
		scope := &lang.Scope{Data: data, BaseDir: cfg.Dir}
		return scope.EvalBody(pc.Config, s)
	}
}

// finishDomainConfig fills in what the evaluator adds to a domain block's
// value: an app's "registry", the registry whose address prefixes its image.
func finishDomainConfig(r *lang.Resource, v cty.Value, registries []cty.Value) cty.Value {
	if r.Kind != lang.KindApp || !v.IsKnown() || v.IsNull() {
		return v
	}
	img := v.GetAttr("image")
	img, _ = img.Unmark()
	if !img.IsKnown() || img.IsNull() {
		return v
	}
	return setAttrs(v, map[string]cty.Value{"registry": lang.ImageRegistry(img.AsString(), registries)})
}

// setAttrs returns obj with attrs set, keeping obj's marks.
func setAttrs(obj cty.Value, attrs map[string]cty.Value) cty.Value {
	if !obj.IsKnown() || obj.IsNull() || !obj.Type().IsObjectType() {
		return obj
	}
	obj, marks := obj.Unmark()
	m := obj.AsValueMap()
	if m == nil {
		m = map[string]cty.Value{}
	}
	for k, v := range attrs {
		m[k] = v
	}
	return cty.ObjectVal(m).WithMarks(marks)
}
