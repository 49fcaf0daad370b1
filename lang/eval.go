package lang

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Data supplies the values references resolve to. The engine implements it
// over its state and plan; Validate implements it with unknown values.
type Data interface {
	// ReferenceValue returns the value of the object ref names (its
	// Subject, Type and Name; Remaining is applied by HCL): a variable, a
	// local, a cluster, registry or probe object, or a whole resource — for
	// a resource with count a list or tuple of its instances, with for_each
	// a map or object of them. Values may be unknown. A diagnostic reports
	// a reference to something that does not exist.
	ReferenceValue(ref *Reference) (cty.Value, hcl.Diagnostics)
}

// Scope evaluates expressions of one block (one instance of it, for
// count and for_each) with the language's functions.
type Scope struct {
	Data Data
	// Workspace is berth.workspace, the selected workspace ("default"
	// when empty).
	Workspace string
	// BaseDir is the configuration directory: path.module and path.root,
	// and the base of relative paths in file() and templatefile().
	BaseDir string
	// CountIndex is count.index for an instance of a block with count;
	// cty.NilVal elsewhere (count.index is then an error).
	CountIndex cty.Value
	// EachKey and EachValue are each.key and each.value for an instance of
	// a block with for_each; cty.NilVal elsewhere.
	EachKey, EachValue cty.Value

	funcs map[string]function.Function
}

// Functions returns the scope's function table, built once.
func (s *Scope) Functions() map[string]function.Function {
	if s.funcs == nil {
		s.funcs = Functions(s.BaseDir)
	}
	return s.funcs
}

// EvalContext builds the evaluation context holding exactly the values the
// given references need, so building it costs time linear in the number of
// references, not in the size of the configuration.
func (s *Scope) EvalContext(refs []*Reference) (*hcl.EvalContext, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vars := map[string]map[string]cty.Value{}
	data := map[string]map[string]cty.Value{}
	put := func(root, name string, v cty.Value) {
		if vars[root] == nil {
			vars[root] = map[string]cty.Value{}
		}
		vars[root][name] = v
	}
	for _, ref := range refs {
		switch ref.Subject {
		case RefCount:
			if s.CountIndex == cty.NilVal {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to count in a block without count",
					Detail:   "count.index is only available in a block that sets the count meta-argument.",
					Subject:  ref.SourceRange.Ptr(),
				})
				put(RefCount, ref.Name, cty.UnknownVal(cty.Number))
				continue
			}
			put(RefCount, "index", s.CountIndex)
		case RefEach:
			if s.EachKey == cty.NilVal {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to each in a block without for_each",
					Detail:   "each.key and each.value are only available in a block that sets the for_each meta-argument.",
					Subject:  ref.SourceRange.Ptr(),
				})
				put(RefEach, ref.Name, cty.DynamicVal)
				continue
			}
			put(RefEach, "key", s.EachKey)
			put(RefEach, "value", s.EachValue)
		case RefPath:
			dir := s.BaseDir
			if abs, err := filepath.Abs(dir); err == nil {
				dir = abs
			}
			cwd, _ := os.Getwd()
			put(RefPath, "module", cty.StringVal(dir))
			put(RefPath, "root", cty.StringVal(dir))
			put(RefPath, "cwd", cty.StringVal(cwd))
		case RefBerth:
			ws := s.Workspace
			if ws == "" {
				ws = "default"
			}
			put(RefBerth, "workspace", cty.StringVal(ws))
		case RefSelf:
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid reference to self",
				Detail:   "self is not available here; refer to the block by its address instead.",
				Subject:  ref.SourceRange.Ptr(),
			})
			vars[RefSelf] = nil
		default:
			if s.Data == nil {
				diags = diags.Append(errAt(ref.SourceRange, "Reference not available", fmt.Sprintf("%s cannot be used here.", ref.Addr())))
				continue
			}
			v, d := s.Data.ReferenceValue(ref)
			diags = diags.Extend(d)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			switch ref.Subject {
			case RefResource:
				put(ref.Type, ref.Name, v)
			case RefData:
				if data[ref.Type] == nil {
					data[ref.Type] = map[string]cty.Value{}
				}
				data[ref.Type][ref.Name] = v
			default:
				put(ref.Subject, ref.Name, v)
			}
		}
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: s.Functions()}
	for root, m := range vars {
		if root == RefSelf {
			ctx.Variables[root] = cty.DynamicVal
			continue
		}
		ctx.Variables[root] = cty.ObjectVal(m)
	}
	if len(data) > 0 {
		dm := map[string]cty.Value{}
		for t, m := range data {
			dm[t] = cty.ObjectVal(m)
		}
		ctx.Variables[RefData] = cty.ObjectVal(dm)
	}
	return ctx, diags
}

// EvalExpr evaluates expr and converts the result to want
// (cty.DynamicPseudoType for no conversion).
func (s *Scope) EvalExpr(expr hcl.Expression, want cty.Type) (cty.Value, hcl.Diagnostics) {
	refs, diags := ReferencesInExpr(expr)
	ctx, d := s.EvalContext(refs)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return cty.UnknownVal(want), diags
	}
	v, d := expr.Value(ctx)
	diags = diags.Extend(d)
	if d.HasErrors() {
		suggestAttributes(d)
		return cty.UnknownVal(want), diags
	}
	cv, err := convert.Convert(v, want)
	if err != nil {
		return cty.UnknownVal(want), diags.Append(&hcl.Diagnostic{
			Severity:    hcl.DiagError,
			Summary:     "Incorrect value type",
			Detail:      fmt.Sprintf("Invalid expression value: %s.", convertErrorString(err)),
			Subject:     expr.Range().Ptr(),
			Expression:  expr,
			EvalContext: ctx,
		})
	}
	return cv, diags
}

// EvalBody decodes body with schema, evaluating its expressions.
func (s *Scope) EvalBody(body hcl.Body, schema *BlockSchema) (cty.Value, hcl.Diagnostics) {
	refs, diags := ReferencesInBody(body)
	ctx, d := s.EvalContext(refs)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return cty.UnknownVal(schema.ImpliedType()), diags
	}
	v, d := schema.Decode(body, ctx)
	suggestAttributes(d)
	return v, diags.Extend(d)
}

// EvalResourceConfig evaluates a resource-like block's configuration body
// (without its meta-arguments) with schema: the built-in schema of a
// domain block (DomainSchema) or a provider's (SchemaFromProvider).
func (s *Scope) EvalResourceConfig(r *Resource, schema *BlockSchema) (cty.Value, hcl.Diagnostics) {
	refs, diags := ResourceReferences(r)
	ctx, d := s.EvalContext(refs)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return cty.UnknownVal(schema.ImpliedType()), diags
	}
	v, _, d := schema.decodeWithMeta(r.Config, ctx, r.DeclRange, metaSchema(r.Kind))
	suggestAttributes(d)
	return v, diags.Extend(d)
}

// EvalObject evaluates one of the configuration's non-resource objects,
// by address: "local.x", "cluster.c", "registry.r" or "probe.p". A
// cluster's value also holds its name and kind, a registry's its name.
// Validate and the engine evaluate these the same way through it.
func (c *Config) EvalObject(addr string, s *Scope) (cty.Value, hcl.Diagnostics) {
	kind, name := splitAddr(addr)
	switch kind {
	case "local":
		if l := c.Locals[name]; l != nil {
			return s.EvalExpr(l.Expr, cty.DynamicPseudoType)
		}
	case "cluster":
		if cl := c.Clusters[name]; cl != nil {
			val, diags := s.EvalBody(cl.Config, clusterSchema())
			explainClusterKinds(diags)
			return withAttrs(val, map[string]cty.Value{"name": cty.StringVal(name), "kind": cty.StringVal(cl.Kind)}), diags
		}
	case "registry":
		if r := c.Registries[name]; r != nil {
			val, diags := s.EvalBody(r.Config, registrySchema)
			return withAttrs(val, map[string]cty.Value{"name": cty.StringVal(name)}), diags
		}
	case "probe":
		if p := c.Probes[name]; p != nil {
			return s.EvalBody(p.Config, probeSchema)
		}
	}
	return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Reference to undeclared object",
		Detail: fmt.Sprintf("%s is not declared.", addr)}}
}

// CompleteDomainValue fills in what the evaluator computes for a domain
// block's value: an app's "name" (name: the block label, with the
// instance key for count/for_each, e.g. "web-0") and its "registry", the
// one of registries (evaluated registry objects) whose address prefixes
// the app's image; a load balancer's "name" when the block does not set
// one (the label, likewise).
func CompleteDomainValue(kind, name string, v cty.Value, registries []cty.Value) cty.Value {
	if kind == KindLoadBalancer && v.IsKnown() && !v.IsNull() && v.Type().IsObjectType() && v.Type().HasAttribute("name") {
		if n := v.GetAttr("name"); n.IsNull() {
			return withAttrs(v, map[string]cty.Value{"name": cty.StringVal(name)})
		}
		return v
	}
	if kind != KindApp || !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute("image") {
		return v
	}
	attrs := map[string]cty.Value{"name": cty.StringVal(name)}
	if img, _ := v.GetAttr("image").Unmark(); img.IsKnown() && !img.IsNull() {
		attrs["registry"] = ImageRegistry(img.AsString(), registries)
	}
	return withAttrs(v, attrs)
}
