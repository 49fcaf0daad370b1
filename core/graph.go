package core

import (
	"fmt"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/dag"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state"
	"github.com/hashicorp/hcl/v2"
)

// vertexKind says what a graph vertex stands for.
type vertexKind uint8

const (
	vConfigObject vertexKind = iota // var, local, cluster, registry, probe
	vProvider                       // provider.NAME: start, configure, refresh
	vResource                       // a resource-like block of the configuration
	vOrphan                         // a resource only in state
	vOutput
)

// vertex is the payload of a graph vertex.
type vertex struct {
	kind vertexKind
	// addr is "var.x", "local.y", "provider.docker", "app.web", "output.url", ...
	addr string
	// name is the part after the kind: the variable, local, provider or output name.
	name string
	res  *lang.Resource
	// orphan is set for vOrphan vertices.
	orphan *state.Resource
	// provider is the local name of the provider a resource belongs to.
	provider string
	rng      hcl.Range
}

// graph is the engine's dependency graph of one configuration and state.
type graph struct {
	g     *dag.Graph[*vertex]
	index map[string]int
}

// buildGraph makes the graph from the configuration's references and the
// recorded state, in time linear in objects plus references. Every
// resource depends on its provider's vertex; resources found only in state
// depend on theirs too.
func buildGraph(cfg *lang.Config, st *state.State) (*graph, hcl.Diagnostics) {
	nodes, diags := cfg.Dependencies()
	gr := &graph{g: dag.New[*vertex](len(nodes) + 8), index: make(map[string]int, len(nodes)+8)}
	add := func(v *vertex) int {
		id := gr.g.AddVertex(v)
		gr.index[v.addr] = id
		return id
	}
	providerVertex := func(name string) int {
		addr := "provider." + name
		if id, ok := gr.index[addr]; ok {
			return id
		}
		return add(&vertex{kind: vProvider, addr: addr, name: name})
	}

	for _, n := range nodes {
		kind, name, _ := strings.Cut(n.Addr, ".")
		v := &vertex{addr: n.Addr, name: name, rng: n.DeclRange}
		switch kind {
		case "var", "local", "cluster", "registry", "probe":
			v.kind = vConfigObject
		case "provider":
			v.kind = vProvider
		case "output":
			v.kind = vOutput
		default:
			v.kind = vResource
			v.res = cfg.Resources[n.Addr]
			if v.res == nil {
				continue
			}
			v.provider = v.res.ProviderName
		}
		add(v)
	}
	if st != nil {
		for _, r := range st.SortedResources() {
			addr := r.Addr.String()
			if _, ok := gr.index[addr]; ok {
				continue
			}
			add(&vertex{kind: vOrphan, addr: addr, orphan: r, provider: r.Provider})
		}
	}

	// Edges: references as written, then the implicit ones.
	for _, n := range nodes {
		from, ok := gr.index[n.Addr]
		if !ok {
			continue
		}
		for _, ref := range n.References {
			to, ok := gr.index[ref.Addr()]
			if !ok {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to undeclared object",
					Detail:   fmt.Sprintf("%s refers to %s, which is not declared.", n.Addr, ref.Addr()),
					Subject:  ref.SourceRange.Ptr(),
				})
				continue
			}
			if to != from {
				gr.g.AddEdge(from, to)
			}
		}
	}
	// An app's value holds the credentials of the registry its image
	// names (lang.CompleteDomainValue), which its image need not refer to
	// by expression: every app waits for every registry (there are few).
	var registries []int
	for name := range cfg.Registries {
		if id, ok := gr.index["registry."+name]; ok {
			registries = append(registries, id)
		}
	}
	n := gr.g.Len()
	for id := 0; id < n; id++ {
		v := gr.g.Vertex(id)
		if (v.kind == vResource || v.kind == vOrphan) && v.provider != "" {
			gr.g.AddEdge(id, providerVertex(v.provider))
		}
		if v.kind == vResource && v.res.Kind == lang.KindApp {
			for _, r := range registries {
				gr.g.AddEdge(id, r)
			}
		}
		// A load balancer drains and admits the instances of the apps it
		// targets during their rollouts (traffic.go), before its own
		// change: its provider must be configured by then.
		if v.kind == vResource && v.res.Kind == lang.KindLoadBalancer && v.provider != "" {
			for _, d := range gr.g.Dependencies(id) {
				if dv := gr.g.Vertex(d); dv.kind == vResource && dv.res.Kind == lang.KindApp {
					gr.g.AddEdge(d, providerVertex(v.provider))
				}
			}
		}
	}
	if cycles := gr.g.Cycles(); len(cycles) > 0 {
		for _, c := range cycles {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Dependency cycle",
				Detail:   "The objects depend on each other: " + dag.FormatCycle(c, func(id int) string { return gr.g.Vertex(id).addr }) + ".",
				Subject:  gr.g.Vertex(c[0]).rng.Ptr(),
			})
		}
	}
	return gr, diags
}

// restrict keeps only what the targets need: the targeted resources and
// everything they depend on, transitively. It returns the set of vertex ids
// to walk (nil: all).
func (gr *graph) restrict(targets []addrs.Instance) map[int]bool {
	if len(targets) == 0 {
		return nil
	}
	keep := map[int]bool{}
	var stack []int
	for _, t := range targets {
		if id, ok := gr.index[t.Resource.String()]; ok && !keep[id] {
			keep[id] = true
			stack = append(stack, id)
		}
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range gr.g.Dependencies(id) {
			if !keep[d] {
				keep[d] = true
				stack = append(stack, d)
			}
		}
	}
	return keep
}
