package dag

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
)

// DefaultParallelism is the walk's bound when WalkOptions.Parallelism is 0,
// as for `-parallelism`.
const DefaultParallelism = 10

// WalkOptions bound a walk.
type WalkOptions struct {
	// Parallelism is the most vertices run at once (DefaultParallelism
	// when 0 or less).
	Parallelism int
	// Group names the group of a vertex (e.g. its provider); "" is no
	// group. Only consulted when Limits is not empty.
	Group func(v int) string
	// Limits bounds how many vertices of a group run at once, on top of
	// Parallelism. Groups without an entry are bounded by Parallelism only;
	// a limit below 1 counts as 1.
	Limits map[string]int
}

// VertexError is the error of one vertex of a walk.
type VertexError struct {
	Vertex int
	// Err is what the walk function returned, a *SkippedError for a vertex
	// that never ran, a *PanicError, or wraps ErrCycle.
	Err error
}

func (e *VertexError) Error() string { return fmt.Sprintf("vertex %d: %v", e.Vertex, e.Err) }

func (e *VertexError) Unwrap() error { return e.Err }

// SkippedError is the error of a vertex that did not run.
type SkippedError struct {
	// Because is the vertex whose failure stopped this one (the failed
	// vertex itself, not the skipped one in between), or -1 when the walk
	// was cancelled before the vertex could start.
	Because int
	// Cause is the context's cause when the walk was cancelled.
	Cause error
}

func (e *SkippedError) Error() string {
	if e.Because < 0 {
		return fmt.Sprintf("not started: %v", e.Cause)
	}
	return fmt.Sprintf("skipped because vertex %d failed", e.Because)
}

func (e *SkippedError) Unwrap() error { return e.Cause }

// PanicError is the error of a vertex whose function panicked. The walk
// recovers so that the engine can still persist what it did.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v\n%s", e.Value, e.Stack) }

// Errors are the errors of a walk, ordered by vertex. Empty means every
// vertex ran and succeeded.
type Errors []*VertexError

// Err returns nil for no errors, or an error listing them.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no errors"
	case 1:
		return es[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", es[0], len(es)-1)
}

// Failed returns the errors of the vertices that ran and failed.
func (es Errors) Failed() Errors {
	var out Errors
	for _, e := range es {
		if _, skipped := e.Err.(*SkippedError); !skipped {
			out = append(out, e)
		}
	}
	return out
}

// Skipped returns the errors of the vertices that did not run.
func (es Errors) Skipped() Errors {
	var out Errors
	for _, e := range es {
		if _, skipped := e.Err.(*SkippedError); skipped {
			out = append(out, e)
		}
	}
	return out
}

// Walk calls fn for every vertex after all its dependencies succeeded, up
// to the options' bounds in parallel. A vertex whose function fails stops
// its dependents, transitively (they are reported skipped because of it),
// and nothing else. When ctx is cancelled no further vertex starts; the
// running ones finish. Walk returns once no function is running.
func (g *Graph[T]) Walk(ctx context.Context, opts WalkOptions, fn func(ctx context.Context, v int) error) Errors {
	return g.walk(ctx, opts, fn, g.deps, g.dependents)
}

// ReverseWalk is Walk in the opposite direction, for destroying: a vertex
// runs after all its dependents, and a failure skips its dependencies.
func (g *Graph[T]) ReverseWalk(ctx context.Context, opts WalkOptions, fn func(ctx context.Context, v int) error) Errors {
	return g.walk(ctx, opts, fn, g.dependents, g.deps)
}

const (
	stWaiting uint8 = iota
	stRunning
	stDone
	stFailed
	stSkipped
)

// walker is the state of one walk. Workers take ready vertices and record
// completions under one mutex: with cheap functions a worker goes from one
// vertex to the next with no hand-off to another goroutine.
type walker struct {
	ctx   context.Context
	fn    func(context.Context, int) error
	after [][]int // after[v]: the vertices waiting for v

	mu      sync.Mutex
	cond    sync.Cond
	pending []int32 // unfinished predecessors
	status  []uint8
	ready   queue
	running int
	stopped bool
	errs    Errors

	// Per-group limits; nil groupOf when there are none.
	group    func(int) string
	limits   map[string]int
	groupOf  []int32 // -1: not computed yet; -2: unlimited
	gLimit   []int
	gRunning []int
	gBlocked []queue // ready vertices waiting for their group
	gIndex   map[string]int32
	unblock  queue // vertices moved out of gBlocked, dispatched first
}

func (g *Graph[T]) walk(ctx context.Context, opts WalkOptions, fn func(context.Context, int) error, before, after [][]int) Errors {
	n := len(g.payload)
	par := opts.Parallelism
	if par <= 0 {
		par = DefaultParallelism
	}
	w := &walker{ctx: ctx, fn: fn, after: after, pending: make([]int32, n), status: make([]uint8, n)}
	w.cond.L = &w.mu
	w.ready.items = make([]int, 0, n)
	for v := range n {
		w.pending[v] = int32(len(before[v]))
		if w.pending[v] == 0 {
			w.ready.push(v)
		}
	}
	if len(opts.Limits) > 0 && opts.Group != nil {
		w.group, w.limits = opts.Group, opts.Limits
		w.groupOf = make([]int32, n)
		for i := range w.groupOf {
			w.groupOf[i] = -1
		}
		w.gIndex = map[string]int32{}
	}
	var wg sync.WaitGroup
	for range min(par, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.work()
		}()
	}
	wg.Wait()
	for v := range n {
		if w.status[v] != stWaiting {
			continue
		}
		if w.stopped {
			w.errs = append(w.errs, &VertexError{Vertex: v, Err: &SkippedError{Because: -1, Cause: context.Cause(ctx)}})
		} else {
			w.errs = append(w.errs, &VertexError{Vertex: v, Err: ErrCycle})
		}
	}
	slices.SortFunc(w.errs, func(a, b *VertexError) int { return a.Vertex - b.Vertex })
	return w.errs
}

func (w *walker) work() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		v, ok := w.next()
		if ok {
			w.running++
			if w.ready.len() > 0 || w.unblock.len() > 0 {
				w.cond.Signal() // more work: wake an idle worker
			}
			w.mu.Unlock()
			err := w.call(v)
			w.mu.Lock()
			w.running--
			w.complete(v, err)
			continue
		}
		if w.running == 0 {
			// Nothing runs, so nothing can become ready: the walk is over.
			w.cond.Broadcast()
			return
		}
		w.cond.Wait()
	}
}

func (w *walker) call(v int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return w.fn(w.ctx, v)
}

// next takes a vertex that may start now. Called with mu held.
func (w *walker) next() (int, bool) {
	if !w.stopped && w.ctx.Err() != nil {
		w.stopped = true
	}
	if w.stopped {
		return 0, false
	}
	for {
		v, ok := w.unblock.pop()
		if !ok {
			v, ok = w.ready.pop()
		}
		if !ok {
			return 0, false
		}
		if w.groupOf != nil {
			gi := w.groupIndex(v)
			if gi >= 0 {
				if w.gRunning[gi] >= w.gLimit[gi] {
					w.gBlocked[gi].push(v)
					continue
				}
				w.gRunning[gi]++
			}
		}
		w.status[v] = stRunning
		return v, true
	}
}

func (w *walker) groupIndex(v int) int32 {
	if gi := w.groupOf[v]; gi != -1 {
		return gi
	}
	name := w.group(v)
	limit, ok := w.limits[name]
	gi := int32(-2)
	if ok && name != "" {
		var seen bool
		if gi, seen = w.gIndex[name]; !seen {
			gi = int32(len(w.gLimit))
			w.gIndex[name] = gi
			w.gLimit = append(w.gLimit, max(limit, 1))
			w.gRunning = append(w.gRunning, 0)
			w.gBlocked = append(w.gBlocked, queue{})
		}
	}
	w.groupOf[v] = gi
	return gi
}

// complete records v's result and releases what waited for it. Called
// with mu held.
func (w *walker) complete(v int, err error) {
	if w.groupOf != nil {
		if gi := w.groupOf[v]; gi >= 0 {
			w.gRunning[gi]--
			if u, ok := w.gBlocked[gi].pop(); ok {
				w.unblock.push(u)
			}
		}
	}
	if err != nil {
		w.status[v] = stFailed
		w.errs = append(w.errs, &VertexError{Vertex: v, Err: err})
		w.skipAfter(v)
		return
	}
	w.status[v] = stDone
	for _, d := range w.after[v] {
		w.pending[d]--
		if w.pending[d] == 0 && w.status[d] == stWaiting {
			w.ready.push(d)
		}
	}
}

// skipAfter marks everything waiting on failed, transitively, as skipped.
func (w *walker) skipAfter(failed int) {
	stack := []int{failed}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range w.after[u] {
			if w.status[d] != stWaiting {
				continue
			}
			w.status[d] = stSkipped
			w.errs = append(w.errs, &VertexError{Vertex: d, Err: &SkippedError{Because: failed}})
			stack = append(stack, d)
		}
	}
}

// queue is a FIFO of vertices.
type queue struct {
	items []int
	head  int
}

func (q *queue) push(v int) { q.items = append(q.items, v) }

func (q *queue) len() int { return len(q.items) - q.head }

func (q *queue) pop() (int, bool) {
	if q.head == len(q.items) {
		if q.head > 0 {
			q.items, q.head = q.items[:0], 0
		}
		return 0, false
	}
	v := q.items[q.head]
	q.head++
	return v, true
}
