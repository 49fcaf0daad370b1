package jsondoc

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/hashicorp/hcl/v2"
)

// relevantAttribute is Terraform's: an attribute of an object that the
// configuration of something the plan changes refers to, so that a
// consumer can tell the drift that matters to the plan from the rest.
type relevantAttribute struct {
	// Resource is the referenced object: an instance address when the
	// reference names the instance, else the resource's.
	Resource string `json:"resource"`
	// Attribute is the path of the referenced attribute: names and map
	// keys as strings, list indexes as numbers; [] for the whole object.
	Attribute []any `json:"attribute"`
}

// relevantAttributes lists the attributes of resources, data sources
// and domain blocks that the resources and outputs the plan changes refer
// to, directly or through locals (Terraform follows every path; berth
// stops at the referenced object).
func relevantAttributes(cfg *lang.Config, p *plans.Plan) []relevantAttribute {
	var exprs []hcl.Expression
	var refs []*lang.Reference
	changed := map[string]bool{}
	for _, c := range p.Changes {
		if c.Action != plans.NoOp {
			changed[c.Addr.Resource.String()] = true
		}
	}
	for _, r := range cfg.SortedResources() {
		if !changed[r.Addr()] {
			continue
		}
		rs, _ := lang.ReferencesInBody(r.Config)
		refs = append(refs, rs...)
		exprs = append(exprs, r.Count, r.ForEach)
	}
	for _, o := range p.Outputs {
		if out := cfg.Outputs[o.Name]; out != nil && o.Action != plans.NoOp {
			exprs = append(exprs, out.Expr)
		}
	}
	for _, e := range exprs {
		rs, _ := lang.ReferencesInExpr(e)
		refs = append(refs, rs...)
	}

	seen := map[string]bool{}
	var out []relevantAttribute
	visitedLocals := map[string]bool{}
	for len(refs) > 0 {
		r := refs[0]
		refs = refs[1:]
		switch r.Subject {
		case lang.RefLocal:
			if l := cfg.Locals[r.Name]; l != nil && !visitedLocals[r.Name] {
				visitedLocals[r.Name] = true
				rs, _ := lang.ReferencesInExpr(l.Expr)
				refs = append(refs, rs...)
			}
			continue
		case lang.RefApp, lang.RefScalingPolicy, lang.RefLoadBalancer, lang.RefResource, lang.RefData:
		default:
			continue
		}
		res, rem := r.Addr(), r.Remaining
		if len(rem) > 0 {
			if ix, ok := rem[0].(hcl.TraverseIndex); ok {
				res += traversalSuffix(hcl.Traversal{ix})
				rem = rem[1:]
			}
		}
		ra := relevantAttribute{Resource: res, Attribute: attributePath(rem)}
		key := ra.Resource + string(mustJSON(ra.Attribute))
		if !seen[key] {
			seen[key] = true
			out = append(out, ra)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Resource != out[j].Resource {
			return out[i].Resource < out[j].Resource
		}
		return string(mustJSON(out[i].Attribute)) < string(mustJSON(out[j].Attribute))
	})
	return out
}

// attributePath writes the attribute and index steps of a traversal as
// a path: names and string keys as strings, numbers as numbers. It stops
// at a step it cannot write (an unknown key).
func attributePath(tr hcl.Traversal) []any {
	path := []any{}
	for _, step := range tr {
		switch st := step.(type) {
		case hcl.TraverseAttr:
			path = append(path, st.Name)
		case hcl.TraverseIndex:
			seg := traversalSuffix(hcl.Traversal{st})
			switch {
			case strings.HasPrefix(seg, `["`):
				k, _ := st.Key.Unmark()
				path = append(path, k.AsString())
			case seg != "[*]":
				path = append(path, json.Number(strings.Trim(seg, "[]")))
			default:
				return path
			}
		default:
			return path
		}
	}
	return path
}
