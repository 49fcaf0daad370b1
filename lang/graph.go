package lang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// metaNames are the top-level names of resource-like blocks that are not
// expressions over other objects' values (or are handled separately).
var metaNames = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true, "lifecycle": true}

// ResourceReferences returns the references of a resource-like block: its
// configuration body, count, for_each and depends_on (lifecycle and the
// provider argument hold no references).
func ResourceReferences(r *Resource) ([]*Reference, hcl.Diagnostics) {
	var trs []hcl.Traversal
	if r.Count != nil {
		trs = append(trs, r.Count.Variables()...)
	}
	if r.ForEach != nil {
		trs = append(trs, r.ForEach.Variables()...)
	}
	for _, e := range resourceBodyExprs(r.Config) {
		trs = append(trs, e.Variables()...)
	}
	trs = append(trs, r.DependsOn...)
	return referencesInTraversals(trs)
}

func resourceBodyExprs(body hcl.Body) []hcl.Expression {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return bodyExprs(body)
	}
	// The remaining body of PartialContent still holds the meta-arguments
	// in its syntax tree; skip them here.
	filtered := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: sb.SrcRange, EndRange: sb.EndRange}
	for n, a := range sb.Attributes {
		if !metaNames[n] {
			filtered.Attributes[n] = a
		}
	}
	for _, b := range sb.Blocks {
		if !metaNames[b.Type] {
			filtered.Blocks = append(filtered.Blocks, b)
		}
	}
	return bodyExprs(filtered)
}

// Node is a vertex of the configuration's dependency graph.
type Node struct {
	// Addr is "var.x", "local.y", "output.z", "cluster.c", "registry.r",
	// "probe.p", "provider.acmedns", or a resource address.
	Addr      string
	DeclRange hcl.Range
	// References are the node's outgoing edges, in source order, as
	// written (count.index, each.* and path.* excluded).
	References []*Reference
}

// Dependencies returns every node of the configuration with its
// references, sorted by address. References to undeclared objects are
// kept (Validate reports them); malformed references are reported in the
// diagnostics. The engine builds its graph from these edges, adding the
// implicit ones: a resource depends on its provider's configuration
// (an app on its cluster, which it references anyway).
func (c *Config) Dependencies() ([]*Node, hcl.Diagnostics) {
	var nodes []*Node
	var diags hcl.Diagnostics
	add := func(addr string, rng hcl.Range, refs []*Reference, d hcl.Diagnostics) {
		diags = diags.Extend(d)
		var kept []*Reference
		for _, r := range refs {
			switch r.Subject {
			case RefCount, RefEach, RefPath, RefSelf, RefBerth:
				continue
			}
			kept = append(kept, r)
		}
		nodes = append(nodes, &Node{Addr: addr, DeclRange: rng, References: kept})
	}
	for _, n := range sortedKeys(c.Variables) {
		add("var."+n, c.Variables[n].DeclRange, nil, nil)
	}
	for _, n := range sortedKeys(c.Locals) {
		refs, d := ReferencesInExpr(c.Locals[n].Expr)
		add("local."+n, c.Locals[n].DeclRange, refs, d)
	}
	for _, n := range sortedKeys(c.Outputs) {
		o := c.Outputs[n]
		refs, d := ReferencesInExpr(o.Expr)
		dr, d2 := referencesInTraversals(o.DependsOn)
		add("output."+n, o.DeclRange, append(refs, dr...), append(d, d2...))
	}
	for _, n := range sortedKeys(c.Clusters) {
		refs, d := ReferencesInBody(c.Clusters[n].Config)
		add("cluster."+n, c.Clusters[n].DeclRange, refs, d)
	}
	for _, n := range sortedKeys(c.Registries) {
		refs, d := ReferencesInBody(c.Registries[n].Config)
		add("registry."+n, c.Registries[n].DeclRange, refs, d)
	}
	for _, n := range sortedKeys(c.Probes) {
		refs, d := ReferencesInBody(c.Probes[n].Config)
		add("probe."+n, c.Probes[n].DeclRange, refs, d)
	}
	for _, n := range sortedKeys(c.Providers) {
		refs, d := ReferencesInBody(c.Providers[n].Config)
		add("provider."+n, c.Providers[n].DeclRange, refs, d)
	}
	for _, r := range c.SortedResources() {
		refs, d := ResourceReferences(r)
		add(r.Addr(), r.DeclRange, refs, d)
	}
	return nodes, diags
}

// cycles finds the strongly connected components with a cycle (Tarjan's
// algorithm, linear time). Each is returned as its nodes in a cycle order.
func cycles(nodes []*Node, exists map[string]*Node) [][]*Node {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []*Node
	var out [][]*Node
	next := 0
	var strong func(n *Node)
	strong = func(n *Node) {
		index[n.Addr], low[n.Addr] = next, next
		next++
		stack = append(stack, n)
		onStack[n.Addr] = true
		for _, r := range n.References {
			m := exists[r.Addr()]
			if m == nil {
				continue
			}
			if _, seen := index[m.Addr]; !seen {
				strong(m)
				low[n.Addr] = min(low[n.Addr], low[m.Addr])
			} else if onStack[m.Addr] {
				low[n.Addr] = min(low[n.Addr], index[m.Addr])
			}
		}
		if low[n.Addr] == index[n.Addr] {
			var comp []*Node
			for {
				m := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[m.Addr] = false
				comp = append(comp, m)
				if m == n {
					break
				}
			}
			selfLoop := false
			if len(comp) == 1 {
				for _, r := range n.References {
					if r.Addr() == n.Addr {
						selfLoop = true
					}
				}
			}
			if len(comp) > 1 || selfLoop {
				sort.Slice(comp, func(i, j int) bool { return comp[i].Addr < comp[j].Addr })
				out = append(out, comp)
			}
		}
	}
	for _, n := range nodes {
		if _, seen := index[n.Addr]; !seen {
			strong(n)
		}
	}
	return out
}

func cycleDiag(comp []*Node) *hcl.Diagnostic {
	if len(comp) == 1 {
		n := comp[0]
		var rng hcl.Range = n.DeclRange
		for _, r := range n.References {
			if r.Addr() == n.Addr {
				rng = r.SourceRange
				break
			}
		}
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Self-referential block",
			Detail:   fmt.Sprintf("%s refers to itself; a block cannot use its own values.", n.Addr),
			Subject:  rng.Ptr(),
			Context:  n.DeclRange.Ptr(),
		}
	}
	in := map[string]bool{}
	for _, n := range comp {
		in[n.Addr] = true
	}
	var parts []string
	var first hcl.Range
	for i, n := range comp {
		for _, r := range n.References {
			if in[r.Addr()] && r.Addr() != n.Addr {
				parts = append(parts, fmt.Sprintf("%s refers to %s at %s", n.Addr, r.Addr(), r.SourceRange))
				if i == 0 && first == (hcl.Range{}) {
					first = r.SourceRange
				}
				break
			}
		}
	}
	if first == (hcl.Range{}) {
		first = comp[0].DeclRange
	}
	addrs := make([]string, len(comp))
	for i, n := range comp {
		addrs[i] = n.Addr
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Cycle: " + strings.Join(addrs, ", "),
		Detail:   "These blocks refer to each other, so none can be evaluated first: " + strings.Join(parts, "; ") + ".",
		Subject:  first.Ptr(),
		Context:  comp[0].DeclRange.Ptr(),
	}
}
