package lang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Reference subjects: what the first name of a reference means.
const (
	RefVar           = "var"
	RefLocal         = "local"
	RefApp           = KindApp
	RefScalingPolicy = KindScalingPolicy
	RefLoadBalancer  = KindLoadBalancer
	RefResource      = KindResource // TYPE.NAME
	RefData          = KindData     // data.TYPE.NAME
	RefCluster       = "cluster"
	RefRegistry      = "registry"
	RefProbe         = "probe"
	RefCount         = "count"
	RefEach          = "each"
	RefPath          = "path"
	RefSelf          = "self"
	// RefBerth is berth.workspace, the selected workspace's name (as
	// Terraform's terraform.workspace).
	RefBerth = "berth"
)

// keywordRoots are the reference roots that are not resource types.
var keywordRoots = []string{
	RefVar, RefLocal, RefApp, RefScalingPolicy, RefLoadBalancer, RefData,
	RefCluster, RefRegistry, RefProbe, RefCount, RefEach, RefPath, RefSelf, RefBerth,
}

// Reference is one reference found in an expression: the edge of the
// dependency graph from the block holding the expression to Addr().
type Reference struct {
	// Subject is one of the Ref* constants.
	Subject string
	// Type is the resource type of RefResource and RefData references.
	Type string
	// Name is the referenced name: the variable, local or block name,
	// "index" for count, "key"/"value" for each, "module"/"root"/"cwd" for
	// path; empty for self.
	Name string
	// Remaining is the rest of the traversal after the address (attribute
	// accesses and indexes, including a count/for_each instance key).
	Remaining hcl.Traversal
	// Traversal is the whole traversal as written.
	Traversal   hcl.Traversal
	SourceRange hcl.Range
}

// Addr is the address of the referenced object: "var.x", "local.y",
// "app.web", "cluster.prod", "acmedns_record.www", "data.T.N",
// "count.index", "each.key", "path.module" or "self".
func (r *Reference) Addr() string {
	switch r.Subject {
	case RefResource:
		return r.Type + "." + r.Name
	case RefData:
		return "data." + r.Type + "." + r.Name
	case RefSelf:
		return "self"
	}
	return r.Subject + "." + r.Name
}

// String is Addr.
func (r *Reference) String() string { return r.Addr() }

// ReferencesInExpr parses the references of an expression. Diagnostics
// report malformed references (var without a name, an unknown root, ...);
// whether the referenced object exists is checked by Validate.
func ReferencesInExpr(expr hcl.Expression) ([]*Reference, hcl.Diagnostics) {
	if expr == nil {
		return nil, nil
	}
	return referencesInTraversals(expr.Variables())
}

// ReferencesInBody returns the references of every expression in body,
// including nested blocks, in source order. For native syntax it walks the
// syntax tree, so no schema is needed; for JSON it reads the body's
// attributes (nested objects included).
func ReferencesInBody(body hcl.Body) ([]*Reference, hcl.Diagnostics) {
	var trs []hcl.Traversal
	for _, e := range bodyExprs(body) {
		trs = append(trs, e.Variables()...)
	}
	return referencesInTraversals(trs)
}

// bodyExprs lists the expressions of a body in source order. JSON bodies
// that cannot be read as attributes yield no expressions: the schema-based
// decode reports them.
func bodyExprs(body hcl.Body) []hcl.Expression {
	if body == nil {
		return nil
	}
	if sb, ok := body.(*hclsyntax.Body); ok {
		var out []hcl.Expression
		var walk func(b *hclsyntax.Body)
		walk = func(b *hclsyntax.Body) {
			attrs := make([]*hclsyntax.Attribute, 0, len(b.Attributes))
			for _, a := range b.Attributes {
				attrs = append(attrs, a)
			}
			sort.Slice(attrs, func(i, j int) bool { return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte })
			for _, a := range attrs {
				out = append(out, a.Expr)
			}
			for _, blk := range b.Blocks {
				walk(blk.Body)
			}
		}
		walk(sb)
		return out
	}
	attrs, diags := body.JustAttributes()
	if diags.HasErrors() && len(attrs) == 0 {
		return nil
	}
	var out []hcl.Expression
	for _, n := range sortedAttrs(attrs) {
		out = append(out, attrs[n].Expr)
	}
	return out
}

func referencesInTraversals(trs []hcl.Traversal) ([]*Reference, hcl.Diagnostics) {
	var refs []*Reference
	var diags hcl.Diagnostics
	for _, tr := range trs {
		ref, d := parseRef(tr)
		diags = diags.Extend(d)
		if ref != nil {
			refs = append(refs, ref)
		}
	}
	return refs, diags
}

// mustRefs returns the well-formed references of expr, ignoring errors
// (reported elsewhere).
func mustRefs(expr hcl.Expression) []*Reference {
	refs, _ := ReferencesInExpr(expr)
	return refs
}

func parseRef(tr hcl.Traversal) (*Reference, hcl.Diagnostics) {
	root := tr.RootName()
	rng := tr.SourceRange()
	ref := &Reference{Traversal: tr, SourceRange: rng}
	// name reads the attribute step at i, reporting what it should be.
	name := func(i int, what string) (string, hcl.Diagnostics) {
		if len(tr) > i {
			if s, ok := tr[i].(hcl.TraverseAttr); ok {
				return s.Name, nil
			}
		}
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail:   fmt.Sprintf("A reference to %s must be followed by %s.", root, what),
			Subject:  rng.Ptr(),
		}}
	}
	var diags hcl.Diagnostics
	switch root {
	case RefSelf:
		ref.Subject, ref.Remaining = RefSelf, tr[1:]
		return ref, nil
	case RefData:
		typ, d := name(1, "a data source type and name, such as data.acmedns_zone.main")
		if d.HasErrors() {
			return nil, d
		}
		n, d := name(2, "a data source type and name, such as data.acmedns_zone.main")
		if d.HasErrors() {
			return nil, d
		}
		ref.Subject, ref.Type, ref.Name, ref.Remaining = RefData, typ, n, tr[3:]
		return ref, nil
	case RefVar, RefLocal, RefApp, RefScalingPolicy, RefLoadBalancer, RefCluster, RefRegistry, RefProbe, RefCount, RefEach, RefPath, RefBerth:
		what := map[string]string{
			RefVar: "a variable name, such as var.tag", RefLocal: "a local value name, such as local.env",
			RefCount: "an attribute: count.index", RefEach: "an attribute: each.key or each.value",
			RefPath: "an attribute: path.module, path.root or path.cwd", RefBerth: "an attribute: berth.workspace",
		}[root]
		if what == "" {
			what = fmt.Sprintf("%s name, such as %s.NAME", withArticle(root), root)
		}
		n, d := name(1, what)
		if d.HasErrors() {
			return nil, d
		}
		ref.Subject, ref.Name, ref.Remaining = root, n, tr[2:]
		var valid []string
		switch root {
		case RefCount:
			valid = []string{"index"}
		case RefEach:
			valid = []string{"key", "value"}
		case RefPath:
			valid = []string{"module", "root", "cwd"}
		case RefBerth:
			valid = []string{"workspace"}
		}
		if valid != nil && !contains(valid, n) {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid reference",
				Detail:   fmt.Sprintf("%s.%s is not defined; %s has only %s.%s", root, n, root, quoteList(valid), didYouMean(n, valid)),
				Subject:  rng.Ptr(),
			}}
		}
		return ref, nil
	}
	if strings.Contains(root, "_") {
		n, d := name(1, "a resource name, such as "+root+".NAME")
		if d.HasErrors() {
			return nil, d
		}
		ref.Subject, ref.Type, ref.Name, ref.Remaining = RefResource, root, n, tr[2:]
		return ref, nil
	}
	detail := fmt.Sprintf("%q is not something a reference can start with. References start with %s, or a resource type (<provider>_<type>).%s",
		root, quoteList(keywordRoots), didYouMean(root, keywordRoots))
	diags = diags.Append(&hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unknown reference",
		Detail:   detail,
		Subject:  rng.Ptr(),
	})
	return nil, diags
}
