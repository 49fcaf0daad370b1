package core

import (
	"fmt"
	"sort"
	"strings"

	"github.com/berth-sh/berth/state"
	"github.com/hashicorp/hcl/v2"
)

// Graph returns the engine's dependency graph of its configuration and st
// (nil: no state) in Graphviz's DOT language, for `berth graph`. Vertices
// are the graph's own: resources (by block, before count/for_each
// expansion), providers, variables, locals, outputs and resources found
// only in state; an edge goes from an object to what it depends on.
// Vertices and edges are sorted so that the output is stable.
func (e *Engine) Graph(st *state.State) (string, hcl.Diagnostics) {
	gr, diags := buildGraph(e.Config, st)
	if gr == nil {
		return "", diags
	}
	n := gr.g.Len()
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	addr := func(id int) string { return gr.g.Vertex(id).addr }
	sort.Slice(ids, func(i, j int) bool { return addr(ids[i]) < addr(ids[j]) })

	var b strings.Builder
	b.WriteString("digraph {\n\tcompound = \"true\"\n\tnewrank = \"true\"\n\tsubgraph \"root\" {\n")
	for _, id := range ids {
		v := gr.g.Vertex(id)
		shape := "box"
		switch v.kind {
		case vProvider:
			shape = "diamond"
		case vConfigObject, vOutput:
			shape = "note"
		}
		label := v.addr
		if v.kind == vOrphan {
			label += " (only in state)"
		}
		fmt.Fprintf(&b, "\t\t%q [label = %q, shape = %q]\n", v.addr, label, shape)
	}
	for _, id := range ids {
		deps := append([]int(nil), gr.g.Dependencies(id)...)
		sort.Slice(deps, func(i, j int) bool { return addr(deps[i]) < addr(deps[j]) })
		for i, d := range deps {
			// A dependency can be found twice (a reference, and the rule
			// that apps wait for every registry): one edge is drawn.
			if i > 0 && deps[i-1] == d {
				continue
			}
			fmt.Fprintf(&b, "\t\t%q -> %q\n", addr(id), addr(d))
		}
	}
	b.WriteString("\t}\n}\n")
	return b.String(), diags
}
