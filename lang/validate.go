package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/providers/builtin"
)

// Validate checks everything that can be checked without variable values,
// providers or network, like `terraform validate`: every reference
// resolves, there are no cycles, every expression evaluates (variables are
// unknown values of their declared type, and so is whatever is only known
// after apply), values convert to the types of the domain schemas, and the
// domain rules hold. Diagnostics are sorted by file, line and column.
func Validate(cfg *Config) hcl.Diagnostics {
	v := &validator{cfg: cfg, values: map[string]cty.Value{}, missing: map[string]bool{}}
	diags := v.run()
	sortDiagnostics(diags)
	return diags
}

type validator struct {
	cfg     *Config
	nodes   map[string]*Node
	values  map[string]cty.Value
	missing map[string]bool
}

func (v *validator) run() hcl.Diagnostics {
	nodes, diags := v.cfg.Dependencies()
	v.nodes = map[string]*Node{}
	for _, n := range nodes {
		v.nodes[n.Addr] = n
	}
	// Ranges of references that lack an instance key: HCL's own error
	// about them ("Can't access attributes on a list of objects") says
	// less than ours, so ours replaces it.
	var keyless []hcl.Range
	for _, n := range nodes {
		for _, r := range n.References {
			if d := v.checkExists(r); d != nil {
				diags = diags.Append(d)
				v.missing[r.Addr()] = true
			} else if d := v.checkInstanceKey(r); d != nil {
				diags = diags.Append(d)
				keyless = append(keyless, r.SourceRange)
			}
		}
	}
	for _, comp := range cycles(nodes, v.nodes) {
		diags = diags.Append(cycleDiag(comp))
		for _, n := range comp {
			v.values[n.Addr] = cty.DynamicVal
		}
	}
	diags = diags.Extend(v.checkProviders())
	for _, n := range v.order(nodes) {
		if _, done := v.values[n.Addr]; done {
			continue
		}
		val, d := v.eval(n)
		diags = diags.Extend(d)
		v.values[n.Addr] = val
	}
	refDiags := v.checkDomainRefs()
	// A non-reference where a reference is required also fails the type
	// conversion; the reference diagnostic says what to write, so it wins.
	bad := map[hcl.Range]bool{}
	for _, d := range refDiags {
		bad[*d.Subject] = true
	}
	kept := diags[:0]
	for _, d := range diags {
		if d.Subject != nil && bad[*d.Subject] && d.Summary == "Incorrect attribute value type" {
			continue
		}
		if d.Subject != nil && d.Summary != missingKeySummary && withinAny(*d.Subject, keyless) {
			continue
		}
		kept = append(kept, d)
	}
	kept = append(kept, refDiags...)
	for _, r := range v.cfg.SortedResources() {
		kept = kept.Extend(checkIgnoreChanges(r))
	}
	suggestAttributes(kept)
	return dedupDiagnostics(kept)
}

// withinAny reports whether rng lies inside one of ranges.
func withinAny(rng hcl.Range, ranges []hcl.Range) bool {
	for _, r := range ranges {
		if rng.Filename == r.Filename && rng.Start.Byte >= r.Start.Byte && rng.End.Byte <= r.End.Byte {
			return true
		}
	}
	return false
}

const missingKeySummary = "Missing resource instance key"

// checkInstanceKey reports a reference to an attribute of a block with
// count or for_each that does not say which instance it means
// (app.web.image rather than app.web[0].image), as Terraform does. The
// whole block (app.web, app.web[*].image, length(app.web)) is fine.
func (v *validator) checkInstanceKey(r *Reference) *hcl.Diagnostic {
	switch r.Subject {
	case RefApp, RefScalingPolicy, RefLoadBalancer, RefResource, RefData:
	default:
		return nil
	}
	res := v.cfg.Resources[r.Addr()]
	if res == nil || (res.Count == nil && res.ForEach == nil) || len(r.Remaining) == 0 {
		return nil
	}
	if _, ok := r.Remaining[0].(hcl.TraverseAttr); !ok {
		return nil
	}
	meta, key := "count", "count.index"
	if res.ForEach != nil {
		meta, key = "for_each", "each.key"
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  missingKeySummary,
		Detail: fmt.Sprintf("Because %s has %q set, its attributes must be accessed on specific instances.\n\nFor example, to correlate with indices of a referring resource, use:\n    %s[%s]",
			r.Addr(), meta, r.Addr(), key),
		Subject: r.SourceRange.Ptr(),
	}
}

// checkIgnoreChanges checks that the ignore_changes entries of a domain
// block name its attributes or nested blocks. Resource and data blocks
// are left to the engine: their schemas belong to providers, which
// validate does not start.
func checkIgnoreChanges(r *Resource) hcl.Diagnostics {
	schema := DomainSchema(r.Kind)
	if schema == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, tr := range r.Lifecycle.IgnoreChanges {
		if d := ignorePathProblem(schema, tr, r.Kind); d != nil {
			d.Subject = tr.SourceRange().Ptr()
			d.Context = r.Lifecycle.DeclRange.Ptr()
			diags = diags.Append(d)
		}
	}
	return diags
}

// ignorePathProblem walks the attribute steps of an ignore_changes path
// through schema, as far as the schema describes it: into single nested
// blocks, and into list blocks after an index. Attribute values (maps,
// objects of any type) are not followed.
func ignorePathProblem(schema *BlockSchema, tr hcl.Traversal, what string) *hcl.Diagnostic {
	for i := 0; i < len(tr); i++ {
		step, ok := tr[i].(hcl.TraverseAttr)
		if !ok {
			return nil
		}
		var names []string
		for _, a := range schema.Attributes {
			if a.Name == step.Name {
				return nil
			}
			if !a.Computed {
				names = append(names, a.Name)
			}
		}
		var nested *NestedSchema
		for _, b := range schema.Blocks {
			names = append(names, b.Name)
			if b.Name == step.Name {
				nested = b
			}
		}
		if nested == nil {
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported attribute",
				Detail:   fmt.Sprintf("ignore_changes names %q, but %s has no argument or block of that name.%s", step.Name, what, didYouMean(step.Name, names)),
			}
		}
		schema, what = nested.Block, withArticle(nested.Name)+" block"
		if nested.List {
			// The next step picks one block; the one after is inside it.
			if i+1 < len(tr) {
				if _, ok := tr[i+1].(hcl.TraverseIndex); !ok {
					return nil
				}
				i++
			}
		}
	}
	return nil
}

// order returns the nodes in dependency order (dependencies first),
// ignoring edges that close a cycle.
func (v *validator) order(nodes []*Node) []*Node {
	state := map[string]int{} // 1 visiting, 2 done
	var out []*Node
	var visit func(n *Node)
	visit = func(n *Node) {
		if state[n.Addr] != 0 {
			return
		}
		state[n.Addr] = 1
		for _, r := range n.References {
			if m := v.nodes[r.Addr()]; m != nil {
				visit(m)
			}
		}
		state[n.Addr] = 2
		out = append(out, n)
	}
	for _, n := range nodes {
		visit(n)
	}
	return out
}

func (v *validator) checkExists(r *Reference) *hcl.Diagnostic {
	if v.nodes[r.Addr()] != nil {
		return nil
	}
	var what string
	var options []string
	switch r.Subject {
	case RefVar:
		what, options = "input variable", sortedKeys(v.cfg.Variables)
	case RefLocal:
		what, options = "local value", sortedKeys(v.cfg.Locals)
	case RefCluster:
		what, options = "cluster", sortedKeys(v.cfg.Clusters)
	case RefRegistry:
		what, options = "registry", sortedKeys(v.cfg.Registries)
	case RefProbe:
		what, options = "probe", sortedKeys(v.cfg.Probes)
	case RefApp, RefScalingPolicy, RefLoadBalancer:
		what = r.Subject
		for _, res := range v.cfg.Resources {
			if res.Kind == r.Subject {
				options = append(options, res.Name)
			}
		}
	case RefResource, RefData:
		what = "resource"
		if r.Subject == RefData {
			what = "data source"
		}
		for _, res := range v.cfg.Resources {
			if res.Kind == r.Subject && res.Type == r.Type {
				options = append(options, res.Name)
			}
		}
		if len(options) == 0 {
			// Perhaps the type is misspelled.
			var types []string
			for _, res := range v.cfg.Resources {
				if res.Kind == r.Subject {
					types = append(types, res.Type)
				}
			}
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Reference to undeclared " + what,
				Detail:   fmt.Sprintf("No %s of type %q is declared.%s", what, r.Type, didYouMean(r.Type, types)),
				Subject:  r.SourceRange.Ptr(),
			}
		}
	default:
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared " + what,
		Detail:   fmt.Sprintf("No %s named %q is declared.%s", what, r.Name, didYouMean(r.Name, options)),
		Subject:  r.SourceRange.Ptr(),
	}
}

// ReferenceValue implements Data for validation: unknown values of the
// right type wherever the real value needs variables or apply.
func (v *validator) ReferenceValue(r *Reference) (cty.Value, hcl.Diagnostics) {
	if val, ok := v.values[r.Addr()]; ok {
		return val, nil
	}
	return cty.DynamicVal, nil
}

func (v *validator) scope(r *Resource) *Scope {
	s := &Scope{Data: v, BaseDir: v.cfg.Dir, Workspace: v.cfg.Workspace}
	if r != nil && r.Count != nil {
		s.CountIndex = cty.UnknownVal(cty.Number)
	}
	if r != nil && r.ForEach != nil {
		s.EachKey, s.EachValue = cty.UnknownVal(cty.String), cty.DynamicVal
	}
	return s
}

func (v *validator) eval(n *Node) (cty.Value, hcl.Diagnostics) {
	cfg := v.cfg
	switch kind, name := splitAddr(n.Addr); kind {
	case "var":
		vr := cfg.Variables[name]
		var diags hcl.Diagnostics
		if vr.Default != cty.NilVal && vr.Default.IsWhollyKnown() {
			// A default that fails its own validation is always wrong. It
			// is marked like the variable's value, so that an error
			// message interpolating a sensitive default is not shown.
			diags = checkVariableValue(vr, markVar(vr, vr.Default), vr.DeclRange, Functions(cfg.Dir), false)
		}
		val := cty.UnknownVal(vr.Type)
		if vr.Sensitive {
			val = val.Mark(Sensitive)
		}
		return val, diags
	case "local", "cluster", "registry", "probe":
		return cfg.EvalObject(n.Addr, v.scope(nil))
	case "output":
		o := cfg.Outputs[name]
		val, diags := v.scope(nil).EvalExpr(o.Expr, cty.DynamicPseudoType)
		if !o.Sensitive && val.ContainsMarked() {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Output refers to sensitive values",
				Detail:   "The value of this output is derived from sensitive values; set sensitive = true on the output to confirm it may be stored and shown redacted.",
				Subject:  o.Expr.Range().Ptr(),
				Context:  o.DeclRange.Ptr(),
			})
		}
		return val, diags
	case "provider":
		var diags hcl.Diagnostics
		s := v.scope(nil)
		for _, e := range bodyExprs(cfg.Providers[name].Config) {
			_, d := s.EvalExpr(e, cty.DynamicPseudoType)
			diags = diags.Extend(d)
		}
		return cty.DynamicVal, diags
	}
	r := cfg.Resources[n.Addr]
	if r == nil {
		return cty.DynamicVal, nil
	}
	return v.evalResource(r)
}

func splitAddr(addr string) (string, string) {
	for i := 0; i < len(addr); i++ {
		if addr[i] == '.' {
			return addr[:i], addr[i+1:]
		}
	}
	return addr, ""
}

func withAttrs(obj cty.Value, attrs map[string]cty.Value) cty.Value {
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

func (v *validator) evalResource(r *Resource) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := v.scope(r)
	meta := v.scope(nil)
	if r.Count != nil {
		c, d := meta.EvalExpr(r.Count, cty.Number)
		diags = diags.Extend(d)
		c, _ = c.Unmark()
		if !d.HasErrors() && c.IsKnown() {
			if err := CheckCount(c); err != nil {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid count argument",
					Detail:   capitalize(err.Error()) + ".",
					Subject:  r.Count.Range().Ptr(),
				})
			}
		}
	}
	if r.ForEach != nil {
		fe, d := meta.EvalExpr(r.ForEach, cty.DynamicPseudoType)
		diags = diags.Extend(d)
		fe, _ = fe.Unmark()
		if !d.HasErrors() && fe.Type() != cty.DynamicPseudoType {
			t := fe.Type()
			ok := t.IsMapType() || t.IsObjectType() || (t.IsSetType() && (t.ElementType() == cty.String || t.ElementType() == cty.DynamicPseudoType))
			if !ok || (fe.IsKnown() && fe.IsNull()) {
				detail := "for_each takes a map, or a set of strings."
				if t.IsListType() || t.IsTupleType() {
					detail += " Convert a list with toset()."
				}
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid for_each argument",
					Detail:   detail,
					Subject:  r.ForEach.Range().Ptr(),
				})
			}
		}
	}
	schema := DomainSchema(r.Kind)
	if schema == nil {
		// Resource types belong to providers: check that every expression
		// evaluates; the provider's schema is checked by the engine.
		refs, d := ResourceReferences(r)
		diags = diags.Extend(d)
		ctx, d := s.EvalContext(refs)
		diags = diags.Extend(d)
		if !d.HasErrors() {
			for _, e := range resourceBodyExprs(r.Config) {
				_, d := e.Value(ctx)
				diags = diags.Extend(d)
			}
		}
		return cty.DynamicVal, diags
	}
	val, d := s.EvalResourceConfig(r, schema)
	diags = diags.Extend(d)
	// A block with count is a list of instances, one with for_each a map
	// of them; how many is unknown here, but their type is not, so that
	// references into an instance (app.web[0].imgae) are still checked.
	switch {
	case r.Count != nil:
		return cty.UnknownVal(cty.List(schema.ImpliedType())), diags
	case r.ForEach != nil:
		return cty.UnknownVal(cty.Map(schema.ImpliedType())), diags
	}
	return knownAfterApply(val, schema), diags
}

// knownAfterApply replaces the computed attributes of a configuration
// value with unknowns, which is what references to them see before apply.
func knownAfterApply(val cty.Value, schema *BlockSchema) cty.Value {
	attrs := map[string]cty.Value{}
	for _, a := range schema.Attributes {
		if a.Computed {
			attrs[a.Name] = cty.UnknownVal(a.Type)
		}
	}
	if len(attrs) == 0 {
		return val
	}
	return withAttrs(val, attrs)
}

// checkProviders checks that every provider named by a block is one berth
// knows: built in, or in required_providers.
func (v *validator) checkProviders() hcl.Diagnostics {
	// Built-in providers need no required_providers entry.
	builtins := builtin.Names()
	known := append([]string{}, builtins...)
	if v.cfg.Berth != nil {
		known = append(known, sortedKeys(v.cfg.Berth.RequiredProviders)...)
	}
	var diags hcl.Diagnostics
	unknown := func(name string, rng hcl.Range) {
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown provider",
			Detail: fmt.Sprintf("Provider %q is neither built in (%s) nor declared in the berth block's required_providers.%s",
				name, quoteList(builtins), didYouMean(name, known)),
			Subject: rng.Ptr(),
		})
	}
	for _, n := range sortedKeys(v.cfg.Providers) {
		if !contains(known, n) {
			p := v.cfg.Providers[n]
			unknown(n, p.DeclRange)
		}
	}
	for _, r := range v.cfg.SortedResources() {
		switch r.Kind {
		case KindResource, KindData, KindLoadBalancer:
			if r.ProviderName != "" && !contains(known, r.ProviderName) {
				unknown(r.ProviderName, r.ProviderRange)
			}
			if r.ProviderName == "" && r.Kind == KindLoadBalancer {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "No provider for the load balancer",
					Detail:   "No built-in provider of this build of berth serves load balancers by default; name the provider that does with the provider argument, such as provider = acmelb.",
					Subject:  r.DeclRange.Ptr(),
				})
			}
		}
	}
	return diags
}

// checkDomainRefs checks the rules about which blocks domain blocks refer
// to; they are static, so they hold whatever the variables are.
func (v *validator) checkDomainRefs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, r := range v.cfg.SortedResources() {
		switch r.Kind {
		case KindApp:
			diags = diags.Extend(v.mustRefer(r, "cluster", RefCluster, "An app runs on exactly one cluster: cluster = cluster.NAME."))
		case KindScalingPolicy:
			diags = diags.Extend(v.mustRefer(r, "app", RefApp, "A scaling policy scales exactly one app: app = app.NAME."))
		case KindLoadBalancer:
			diags = diags.Extend(v.checkTargets(r))
		}
	}
	return diags.Extend(v.checkOnePolicyPerApp())
}

// checkOnePolicyPerApp reports two scaling policies for the same app (or
// the same instance of it): the autoscalers would fight over its replicas.
func (v *validator) checkOnePolicyPerApp() hcl.Diagnostics {
	var diags hcl.Diagnostics
	type first struct {
		addr string
		rng  hcl.Range
	}
	seen := map[string]first{}
	for _, r := range v.cfg.SortedResources() {
		if r.Kind != KindScalingPolicy || r.Count != nil || r.ForEach != nil {
			continue
		}
		content, _, _ := r.Config.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "app"}}})
		if content == nil || content.Attributes["app"] == nil {
			continue
		}
		a := content.Attributes["app"]
		tr, d := hcl.AbsTraversalForExpr(a.Expr)
		if d.HasErrors() || tr.RootName() != RefApp {
			continue
		}
		target := traversalString(tr)
		if f, dup := seen[target]; dup {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Two scaling policies for one app",
				Detail: fmt.Sprintf("Both %s (at %s) and %s.%s scale %s; an app takes at most one scaling policy. Merge their metrics into one block.",
					f.addr, f.rng, KindScalingPolicy, r.Name, target),
				Subject: a.Expr.Range().Ptr(),
				Context: a.Range.Ptr(),
			})
			continue
		}
		seen[target] = first{addr: KindScalingPolicy + "." + r.Name, rng: a.Expr.Range()}
	}
	return diags
}

// mustRefer checks that attribute attr of r, when set, refers to exactly
// one block of kind root, directly or through each.value of a for_each
// over such blocks.
func (v *validator) mustRefer(r *Resource, attr, root, detail string) hcl.Diagnostics {
	content, _, _ := r.Config.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: attr}}})
	if content == nil || content.Attributes[attr] == nil {
		return nil
	}
	a := content.Attributes[attr]
	if name, _, ok := refName(a.Expr, root); ok {
		return v.mustBeInstance(a.Expr, root, name, detail, a.Range.Ptr())
	}
	if r.ForEach != nil {
		if _, _, ok := refName(r.ForEach, root); ok && usesEach(a.Expr) {
			return nil
		}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s reference", root),
		Detail:   detail,
		Subject:  a.Expr.Range().Ptr(),
		Context:  a.Range.Ptr(),
	}}
}

// mustBeInstance reports expr when it is a whole block root.name with
// count or for_each, which is several blocks where one is required.
func (v *validator) mustBeInstance(expr hcl.Expression, root, name, detail string, context *hcl.Range) hcl.Diagnostics {
	res := v.cfg.Resources[root+"."+name]
	if res == nil || (res.Count == nil && res.ForEach == nil) || !wholeRef(expr) {
		return nil
	}
	meta, key := "count", "count.index"
	if res.ForEach != nil {
		meta, key = "for_each", "each.key"
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s reference", root),
		Detail: fmt.Sprintf("%s %s.%s has %q set, so it is several blocks; refer to one instance, such as %s.%s[%s].",
			detail, root, name, meta, root, name, key),
		Subject: expr.Range().Ptr(),
		Context: context,
	}}
}

// wholeRef reports whether expr is a bare reference to a block, such as
// app.web (also written "${app.web}"), with no instance key.
func wholeRef(expr hcl.Expression) bool {
	for {
		switch e := expr.(type) {
		case *hclsyntax.TemplateWrapExpr:
			expr = e.Wrapped
			continue
		case *hclsyntax.ParenthesesExpr:
			expr = e.Expression
			continue
		case *hclsyntax.ScopeTraversalExpr:
			return len(e.Traversal) == 2
		}
		break
	}
	if _, native := expr.(hclsyntax.Expression); native {
		return false
	}
	// JSON: a string "${app.web}" has that traversal as its only variable;
	// "${app.web[count.index]}" has two, "${app.web[0]}" a longer one.
	vars := expr.Variables()
	return len(vars) == 1 && len(vars[0]) == 2
}

func usesEach(expr hcl.Expression) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() == RefEach {
			return true
		}
	}
	return false
}

// appPorts returns the port names an app declares, statically.
func appPorts(app *Resource) []string {
	content, _, _ := app.Config.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "port", LabelNames: []string{"name"}}}})
	if content == nil {
		return nil
	}
	var out []string
	for _, b := range content.Blocks {
		out = append(out, b.Labels[0])
	}
	return out
}

func (v *validator) checkTargets(lb *Resource) hcl.Diagnostics {
	var diags hcl.Diagnostics
	content, _, _ := lb.Config.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "target"}}})
	if content == nil {
		return nil
	}
	for _, t := range content.Blocks {
		tc, _, _ := t.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "app"}, {Name: "port"}}})
		if tc == nil || tc.Attributes["app"] == nil {
			continue
		}
		appAttr := tc.Attributes["app"]
		name, _, ok := refName(appAttr.Expr, RefApp)
		if !ok {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid app reference",
				Detail:   "A load balancer target sends traffic to one app: app = app.NAME.",
				Subject:  appAttr.Expr.Range().Ptr(),
			})
			continue
		}
		if d := v.mustBeInstance(appAttr.Expr, RefApp, name, "A load balancer target sends traffic to one app.", nil); d != nil {
			diags = diags.Extend(d)
			continue
		}
		app := v.cfg.Resources["app."+name]
		portAttr := tc.Attributes["port"]
		if app == nil || portAttr == nil {
			continue
		}
		pv, d := portAttr.Expr.Value(nil)
		if d.HasErrors() {
			continue // not a literal; the type is checked by the schema
		}
		pv, err := convert.Convert(pv, cty.String)
		if err != nil || !pv.IsKnown() || pv.IsNull() {
			continue
		}
		ports := appPorts(app)
		if contains(ports, pv.AsString()) {
			continue
		}
		detail := fmt.Sprintf("The target's port must be a named port of app.%s (a port block), but it has no port %q.", name, pv.AsString())
		if len(ports) > 0 {
			detail += fmt.Sprintf(" Its ports are %s.%s", quoteList(ports), didYouMean(pv.AsString(), ports))
		}
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unknown port of the target app",
			Detail:   detail,
			Subject:  portAttr.Expr.Range().Ptr(),
			Context:  t.DefRange.Ptr(),
		})
	}
	return diags
}

// dedupDiagnostics drops exact repeats (same severity, summary, detail and
// subject), which arise when one bad expression is evaluated twice.
func dedupDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	seen := map[key]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}
