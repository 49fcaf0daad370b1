// Package dag is the directed graph the engine walks: vertices are dense
// ints carrying a payload, an edge from A to B means "A depends on B".
//
// Decisions:
//   - Vertices are ints (AddVertex returns them in order 0, 1, 2, ...) so
//     that the graph is a few slices, building it is linear in vertices
//     plus edges, and a walk needs no maps.
//   - Duplicate edges are allowed and harmless; edges are never removed
//     and there is no transitive reduction (the walk does not need one).
//   - Cycles are found with Tarjan's algorithm; each strongly connected
//     component yields one cycle as a path, so the engine can print
//     "app.a -> local.x -> app.a".
//   - Walk runs a fixed pool of Parallelism workers that take vertices from
//     one mutex-guarded ready queue and record completions themselves: no
//     goroutine per vertex and no hand-off through a scheduler goroutine,
//     so 10,000 trivial vertices walk in well under a millisecond. The
//     global bound is the pool's size; per-group bounds (e.g. per
//     provider) park ready vertices of a full group until a slot frees.
//   - A failure skips the failed vertex's dependents (transitively) and
//     nothing else. Cancelling the context stops the scheduling of new
//     vertices; running ones finish (they get the context to notice).
package dag

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Graph is a directed graph with a payload of type T on each vertex.
// It is not safe for concurrent modification; walks only read it.
type Graph[T any] struct {
	payload    []T
	deps       [][]int // deps[v]: the vertices v depends on
	dependents [][]int // dependents[v]: the vertices that depend on v
	edges      int
}

// New returns an empty graph with room for n vertices.
func New[T any](n int) *Graph[T] {
	return &Graph[T]{
		payload:    make([]T, 0, n),
		deps:       make([][]int, 0, n),
		dependents: make([][]int, 0, n),
	}
}

// AddVertex adds a vertex and returns its id.
func (g *Graph[T]) AddVertex(payload T) int {
	g.payload = append(g.payload, payload)
	g.deps = append(g.deps, nil)
	g.dependents = append(g.dependents, nil)
	return len(g.payload) - 1
}

// AddEdge records that from depends on to: to is walked first.
func (g *Graph[T]) AddEdge(from, to int) {
	g.deps[from] = append(g.deps[from], to)
	g.dependents[to] = append(g.dependents[to], from)
	g.edges++
}

// Len returns the number of vertices.
func (g *Graph[T]) Len() int { return len(g.payload) }

// EdgeCount returns the number of edges added.
func (g *Graph[T]) EdgeCount() int { return g.edges }

// Vertex returns v's payload.
func (g *Graph[T]) Vertex(v int) T { return g.payload[v] }

// Dependencies returns the vertices v depends on. The slice must not be modified.
func (g *Graph[T]) Dependencies(v int) []int { return g.deps[v] }

// Dependents returns the vertices that depend on v. The slice must not be modified.
func (g *Graph[T]) Dependents(v int) []int { return g.dependents[v] }

// Cycles returns one cycle per strongly connected component that has one,
// each as a path [v0, v1, ..., vk] where v0 depends on v1, ..., and vk
// depends on v0. A vertex that depends on itself is the cycle [v].
// Cycles are ordered by their first vertex, which is the smallest of the
// component, so the result is deterministic.
func (g *Graph[T]) Cycles() [][]int {
	var cycles [][]int
	for _, scc := range g.sccs() {
		if len(scc) == 1 && !slices.Contains(g.deps[scc[0]], scc[0]) {
			continue
		}
		cycles = append(cycles, g.cycleIn(scc))
	}
	slices.SortFunc(cycles, func(a, b []int) int { return a[0] - b[0] })
	return cycles
}

// sccs returns the strongly connected components (Tarjan, iterative so a
// long chain cannot overflow the stack).
func (g *Graph[T]) sccs() [][]int {
	n := len(g.payload)
	index := make([]int, n) // 0: unvisited; else index+1
	low := make([]int, n)
	onStack := make([]bool, n)
	var stack []int
	var out [][]int
	next := 1
	type frame struct{ v, i int }
	var call []frame
	for root := range n {
		if index[root] != 0 {
			continue
		}
		call = append(call, frame{root, 0})
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.i < len(g.deps[v]) {
				w := g.deps[v][f.i]
				f.i++
				if index[w] == 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				var scc []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					scc = append(scc, w)
					if w == v {
						break
					}
				}
				out = append(out, scc)
			}
		}
	}
	return out
}

// cycleIn finds a shortest cycle through the smallest vertex of a strongly
// connected component, by a breadth-first search inside the component.
func (g *Graph[T]) cycleIn(scc []int) []int {
	start := slices.Min(scc)
	in := make(map[int]bool, len(scc))
	for _, v := range scc {
		in[v] = true
	}
	parent := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.deps[v] {
			if w == start {
				var path []int
				for u := v; u != -1; u = parent[u] {
					path = append(path, u)
				}
				slices.Reverse(path)
				return path
			}
			if _, seen := parent[w]; !seen && in[w] {
				parent[w] = v
				queue = append(queue, w)
			}
		}
	}
	return []int{start} // unreachable for a real component
}

// FormatCycle renders a cycle as "a -> b -> a" using name for each vertex.
func FormatCycle(cycle []int, name func(v int) string) string {
	var b strings.Builder
	for _, v := range cycle {
		b.WriteString(name(v))
		b.WriteString(" -> ")
	}
	if len(cycle) > 0 {
		b.WriteString(name(cycle[0]))
	}
	return b.String()
}

// CycleError is returned by TopologicalOrder for a graph with cycles.
type CycleError struct {
	Cycles [][]int
}

func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		parts[i] = FormatCycle(c, func(v int) string { return fmt.Sprint(v) })
	}
	return "dependency cycle: " + strings.Join(parts, "; ")
}

// ErrCycle is wrapped by the errors of vertices a walk could not reach
// because they are on or behind a cycle.
var ErrCycle = errors.New("the vertex is part of, or depends on, a dependency cycle")

// TopologicalOrder returns the vertices with every vertex after all its
// dependencies (Kahn's algorithm, ties broken by id), or a *CycleError.
func (g *Graph[T]) TopologicalOrder() ([]int, error) {
	n := len(g.payload)
	pending := make([]int32, n)
	order := make([]int, 0, n)
	for v := range n {
		pending[v] = int32(len(g.deps[v]))
		if pending[v] == 0 {
			order = append(order, v)
		}
	}
	for i := 0; i < len(order); i++ {
		for _, d := range g.dependents[order[i]] {
			pending[d]--
			if pending[d] == 0 {
				order = append(order, d)
			}
		}
	}
	if len(order) < n {
		return nil, &CycleError{Cycles: g.Cycles()}
	}
	return order, nil
}
