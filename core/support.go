package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/dag"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/redact"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// errVertexFailed tells the walk a vertex failed; its diagnostics were
// recorded by the walker, so the error itself carries nothing.
var errVertexFailed = errors.New("failed")

// walkErrors turns the walk's errors into diagnostics: vertices skipped
// because something they depend on failed are not errors of their own,
// and failures already reported are not repeated.
func walkErrors(errs dag.Errors, gr *graph, reported hcl.Diagnostics) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, e := range errs.Failed() {
		if errors.Is(e.Err, errVertexFailed) {
			continue
		}
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Internal error in " + gr.g.Vertex(e.Vertex).addr,
			Detail:   e.Err.Error(),
		})
	}
	return diags
}

// sortChanges orders cs by address; stable, so that the destroy of a
// deposed object, added after the walk, follows its instance's change.
func sortChanges(cs []*plans.ResourceChange) {
	slices.SortStableFunc(cs, func(a, b *plans.ResourceChange) int { return a.Addr.Compare(b.Addr) })
}

func targetSet(ts []addrs.Instance) map[string]bool {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ts))
	for _, t := range ts {
		m[t.String()] = true
	}
	return m
}

// valuesEqual reports whether two values are the same, marks aside; an
// unknown part makes them different.
func valuesEqual(a, b cty.Value) bool {
	// Objects are compared attribute by attribute, unmarking each level
	// as it goes: UnmarkDeep would copy both whole values first, and this
	// runs for every instance of every plan.
	a, _ = a.Unmark()
	b, _ = b.Unmark()
	if ta, tb := a.Type(), b.Type(); ta.IsObjectType() && tb.IsObjectType() && a.IsKnown() && b.IsKnown() && ta.Equals(tb) {
		if a.IsNull() || b.IsNull() {
			return a.IsNull() && b.IsNull()
		}
		for name := range ta.AttributeTypes() {
			if !valuesEqual(a.GetAttr(name), b.GetAttr(name)) {
				return false
			}
		}
		return true
	}
	ua, _ := a.UnmarkDeep()
	ub, _ := b.UnmarkDeep()
	if !ua.IsWhollyKnown() || !ub.IsWhollyKnown() {
		return false
	}
	if !ua.Type().Equals(ub.Type()) {
		eq := ua.Equals(ub)
		return eq.IsKnown() && eq.True()
	}
	return ua.RawEquals(ub)
}

// withCallContext names the object a provider call was about in crash
// diagnostics ("provider docker crashed during ApplyResourceChange of app.web").
func withCallContext(diags hcl.Diagnostics, provider, call, addr string) hcl.Diagnostics {
	for _, d := range diags {
		if ci, ok := d.Extra.(providers.CrashInfo); ok && addr != "" && ci.Object == "" {
			ci.Object = addr
			d.Extra = ci
			d.Detail = ci.Detail()
		}
	}
	return diags
}

// configDiagnostics places a provider's diagnostics about one object in
// the configuration: an attribute diagnostic points at the block (the
// attribute's name is added to the detail), and every one names the object.
func configDiagnostics(diags hcl.Diagnostics, provider, call string, addr addrs.Instance, r *lang.Resource) hcl.Diagnostics {
	diags = withCallContext(diags, provider, call, addr.String())
	for _, d := range diags {
		if _, crash := d.Extra.(providers.CrashInfo); crash {
			continue
		}
		if d.Subject == nil && r != nil {
			rng := r.DeclRange
			if p := providers.DiagnosticPath(d); len(p) > 0 {
				// Point at the attribute the provider named, where it is
				// written; the block when it is not (a default, computed).
				if ar := attrRange(r.Config, p); ar != nil {
					rng = *ar
					d.Context = r.DeclRange.Ptr()
				}
			}
			d.Subject = &rng
		}
		if p := providers.DiagnosticPath(d); len(p) > 0 {
			d.Detail = strings.TrimSpace(d.Detail + fmt.Sprintf(" (attribute %s of %s)", plans.FormatPath(p), addr))
		} else if !strings.Contains(d.Summary, addr.String()) && !strings.Contains(d.Detail, addr.String()) {
			d.Detail = strings.TrimSpace(d.Detail + fmt.Sprintf(" (%s)", addr))
		}
	}
	return diags
}

// resourceAddr is the address of a configuration block.
func resourceAddr(r *lang.Resource) addrs.Resource {
	mode := addrs.Managed
	if r.Mode == lang.DataMode {
		mode = addrs.Data
	}
	return addrs.Resource{Mode: mode, Type: r.Type, Name: r.Name}
}

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

// blockSchema returns the schema a resource block's configuration is
// decoded with — the built-in one of a domain block, or the provider's —
// and the provider's name of the type.
func blockSchema(entry *providerEntry, r *lang.Resource) (*lang.BlockSchema, string, hcl.Diagnostics) {
	if s := lang.DomainSchema(r.Kind); s != nil {
		return s, r.Type, nil
	}
	ps, typeName, ok := entry.resourceSchema(r.Kind, r.Type)
	if !ok || ps.Block == nil {
		what := "resource type"
		if r.Mode == lang.DataMode {
			what = "data source"
		}
		return nil, typeName, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown " + what,
			Detail:   fmt.Sprintf("Provider %s has no %s %q (configuration type %q).", entry.name, what, typeName, r.Type),
			Subject:  r.TypeRange.Ptr(),
		}}
	}
	return lang.SchemaFromProvider(ps.Block), typeName, nil
}

// resourceDependencies lists the resources a block depends on, directly.
func resourceDependencies(gr *graph, r *lang.Resource) []addrs.Resource {
	id, ok := gr.index[r.Addr()]
	if !ok {
		return nil
	}
	var out []addrs.Resource
	for _, d := range gr.g.Dependencies(id) {
		v := gr.g.Vertex(d)
		if v.kind == vResource {
			out = append(out, resourceAddr(v.res))
		}
	}
	slices.SortFunc(out, addrs.Resource.Compare)
	return out
}

// instanceName is the name a platform gives an instance of a domain block:
// the block's name, with the instance key ("web", "web-0", "web-eu").
func instanceName(addr addrs.Instance) string {
	switch k := addr.Key.(type) {
	case addrs.IntKey:
		return fmt.Sprintf("%s-%d", addr.Resource.Name, int(k))
	case addrs.StringKey:
		return addr.Resource.Name + "-" + string(k)
	}
	return addr.Resource.Name
}

// redactDiags keeps every known secret (package redact) out of the
// diagnostics a provider returned, and out of the crash report one
// carries, from which its detail may be written again.
func redactDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		d.Summary = redact.String(d.Summary)
		d.Detail = redact.String(d.Detail)
		if ci, ok := d.Extra.(providers.CrashInfo); ok {
			ci.Output = redact.String(ci.Output)
			d.Extra = ci
		}
	}
	return diags
}

// attrRange finds where the attribute at path is written in body: the
// expression of an attribute (an element of a list written literally, for
// an index step), or a nested block. Nil when it is not written there.
func attrRange(body hcl.Body, path cty.Path) *hcl.Range {
	sb, ok := body.(*hclsyntax.Body)
	if !ok || len(path) == 0 {
		return nil
	}
	ga, ok := path[0].(cty.GetAttrStep)
	if !ok {
		return nil
	}
	if a, ok := sb.Attributes[ga.Name]; ok {
		expr := a.Expr
		if len(path) > 1 {
			if is, ok := path[1].(cty.IndexStep); ok && is.Key.Type() == cty.Number {
				if tc, ok := expr.(*hclsyntax.TupleConsExpr); ok {
					i, _ := is.Key.AsBigFloat().Int64()
					if i >= 0 && int(i) < len(tc.Exprs) {
						return tc.Exprs[i].Range().Ptr()
					}
				}
			}
		}
		return expr.Range().Ptr()
	}
	var blocks []*hclsyntax.Block
	for _, b := range sb.Blocks {
		if b.Type == ga.Name {
			blocks = append(blocks, b)
		}
	}
	if len(blocks) == 0 {
		return nil
	}
	rest := path[1:]
	b := blocks[0]
	if len(rest) > 0 {
		if is, ok := rest[0].(cty.IndexStep); ok {
			rest = rest[1:]
			if is.Key.Type() == cty.Number {
				i, _ := is.Key.AsBigFloat().Int64()
				if i < 0 || int(i) >= len(blocks) {
					return nil
				}
				b = blocks[i]
			}
		}
	}
	if inner := attrRange(b.Body, rest); inner != nil {
		return inner
	}
	return b.DefRange().Ptr()
}
