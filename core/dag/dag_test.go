package dag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// build makes a graph of named vertices from "a->b" edges (a depends on b).
func build(t testing.TB, names []string, edges []string) *Graph[string] {
	t.Helper()
	g := New[string](len(names))
	id := map[string]int{}
	for _, n := range names {
		id[n] = g.AddVertex(n)
	}
	for _, e := range edges {
		from, to, ok := strings.Cut(e, "->")
		if !ok {
			t.Fatalf("bad edge %q", e)
		}
		g.AddEdge(id[from], id[to])
	}
	return g
}

func names(g *Graph[string], vs []int) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = g.Vertex(v)
	}
	return out
}

func TestTopologicalOrder(t *testing.T) {
	tests := []struct {
		name  string
		verts []string
		edges []string
		want  []string
	}{
		{"empty", nil, nil, []string{}},
		{"independent", []string{"a", "b", "c"}, nil, []string{"a", "b", "c"}},
		{"chain", []string{"c", "b", "a"}, []string{"c->b", "b->a"}, []string{"a", "b", "c"}},
		{"diamond", []string{"top", "l", "r", "base"}, []string{"top->l", "top->r", "l->base", "r->base"}, []string{"base", "l", "r", "top"}},
		{"duplicate edges", []string{"a", "b"}, []string{"a->b", "a->b"}, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.verts, tt.edges)
			order, err := g.TopologicalOrder()
			if err != nil {
				t.Fatal(err)
			}
			if got := names(g, order); !slices.Equal(got, tt.want) {
				t.Errorf("order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		verts []string
		edges []string
		want  []string
	}{
		{"none", []string{"a", "b"}, []string{"a->b"}, nil},
		{"self", []string{"a"}, []string{"a->a"}, []string{"a -> a"}},
		{"two", []string{"app.a", "local.x", "app.z"}, []string{"app.a->local.x", "local.x->app.a", "app.z->app.a"}, []string{"app.a -> local.x -> app.a"}},
		{"three with a tail", []string{"x", "a", "b", "c"}, []string{"x->a", "a->b", "b->c", "c->a"}, []string{"a -> b -> c -> a"}},
		{"shortest through the first vertex", []string{"a", "b", "c", "d"}, []string{"a->b", "b->c", "c->d", "d->a", "b->a"}, []string{"a -> b -> a"}},
		{"two components", []string{"a", "b", "c", "d"}, []string{"a->b", "b->a", "c->d", "d->c"}, []string{"a -> b -> a", "c -> d -> c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.verts, tt.edges)
			var got []string
			for _, c := range g.Cycles() {
				got = append(got, FormatCycle(c, g.Vertex))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("cycles = %q, want %q", got, tt.want)
			}
			_, err := g.TopologicalOrder()
			var ce *CycleError
			if (len(tt.want) > 0) != errors.As(err, &ce) {
				t.Errorf("TopologicalOrder error = %v", err)
			}
		})
	}
}

func TestCyclesLongChainNoStackOverflow(t *testing.T) {
	g := New[int](1_000_000)
	for i := range 1_000_000 {
		g.AddVertex(i)
		if i > 0 {
			g.AddEdge(i, i-1)
		}
	}
	g.AddEdge(0, 999_999)
	c := g.Cycles()
	if len(c) != 1 || len(c[0]) != 1_000_000 {
		t.Fatalf("got %d cycles", len(c))
	}
}

// recorder is a walk function that records the order and can fail.
type recorder struct {
	mu    sync.Mutex
	order []string
	fail  map[string]bool
	g     *Graph[string]
}

func (r *recorder) fn(_ context.Context, v int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := r.g.Vertex(v)
	r.order = append(r.order, name)
	if r.fail[name] {
		return fmt.Errorf("%s broke", name)
	}
	return nil
}

func TestWalkOrderAndFailures(t *testing.T) {
	verts := []string{"cluster", "app.web", "app.api", "lb.web", "dns.www", "app.other"}
	edges := []string{"app.web->cluster", "app.api->cluster", "lb.web->app.web", "dns.www->lb.web"}
	tests := []struct {
		name    string
		reverse bool
		fail    []string
		ran     []string // set of vertices that ran
		failed  []string
		skipped map[string]string // vertex -> because
	}{
		{name: "all succeed", ran: verts},
		{
			name: "failure skips dependents only", fail: []string{"app.web"},
			ran:     []string{"cluster", "app.web", "app.api", "app.other"},
			failed:  []string{"app.web"},
			skipped: map[string]string{"lb.web": "app.web", "dns.www": "app.web"},
		},
		{
			name: "root failure", fail: []string{"cluster"},
			ran:     []string{"cluster", "app.other"},
			failed:  []string{"cluster"},
			skipped: map[string]string{"app.web": "cluster", "app.api": "cluster", "lb.web": "cluster", "dns.www": "cluster"},
		},
		{name: "reverse", reverse: true, ran: verts},
		{
			name: "reverse failure skips dependencies", reverse: true, fail: []string{"lb.web"},
			ran:     []string{"dns.www", "lb.web", "app.api", "app.other"},
			failed:  []string{"lb.web"},
			skipped: map[string]string{"app.web": "lb.web", "cluster": "lb.web"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, verts, edges)
			r := &recorder{g: g, fail: map[string]bool{}}
			for _, f := range tt.fail {
				r.fail[f] = true
			}
			walk := g.Walk
			if tt.reverse {
				walk = g.ReverseWalk
			}
			errs := walk(context.Background(), WalkOptions{Parallelism: 3}, r.fn)

			ran := slices.Clone(r.order)
			slices.Sort(ran)
			want := slices.Clone(tt.ran)
			slices.Sort(want)
			if !slices.Equal(ran, want) {
				t.Errorf("ran %v, want %v", ran, want)
			}
			// Every vertex ran after its dependencies (before, in reverse).
			pos := map[string]int{}
			for i, n := range r.order {
				pos[n] = i
			}
			for _, e := range edges {
				from, to, _ := strings.Cut(e, "->")
				pf, okf := pos[from]
				pt, okt := pos[to]
				if okf && okt && (pf < pt) != tt.reverse {
					t.Errorf("order %v breaks edge %s", r.order, e)
				}
			}
			var failed []string
			skipped := map[string]string{}
			for _, e := range errs {
				var se *SkippedError
				if errors.As(e.Err, &se) {
					skipped[g.Vertex(e.Vertex)] = g.Vertex(se.Because)
				} else {
					failed = append(failed, g.Vertex(e.Vertex))
					if !strings.Contains(e.Err.Error(), "broke") {
						t.Errorf("error of %s = %v", g.Vertex(e.Vertex), e.Err)
					}
				}
			}
			if !slices.Equal(failed, tt.failed) {
				t.Errorf("failed = %v, want %v", failed, tt.failed)
			}
			if fmt.Sprint(skipped) != fmt.Sprint(orEmpty(tt.skipped)) {
				t.Errorf("skipped = %v, want %v", skipped, tt.skipped)
			}
			if (errs.Err() == nil) != (len(tt.fail) == 0) {
				t.Errorf("Err() = %v", errs.Err())
			}
			if len(errs.Failed())+len(errs.Skipped()) != len(errs) {
				t.Error("Failed and Skipped do not partition the errors")
			}
		})
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func TestWalkCycleReported(t *testing.T) {
	g := build(t, []string{"a", "b", "c", "free"}, []string{"a->b", "b->a", "c->a"})
	r := &recorder{g: g}
	errs := g.Walk(context.Background(), WalkOptions{}, r.fn)
	if !slices.Equal(r.order, []string{"free"}) {
		t.Errorf("ran %v, want only free", r.order)
	}
	if len(errs) != 3 {
		t.Fatalf("errors = %v", errs)
	}
	for _, e := range errs {
		if !errors.Is(e, ErrCycle) {
			t.Errorf("error of %s = %v, want ErrCycle", g.Vertex(e.Vertex), e.Err)
		}
	}
}

func TestWalkPanicIsAnError(t *testing.T) {
	g := build(t, []string{"a", "b"}, []string{"b->a"})
	errs := g.Walk(context.Background(), WalkOptions{}, func(_ context.Context, v int) error {
		if v == 0 {
			panic("boom")
		}
		return nil
	})
	var pe *PanicError
	if len(errs) != 2 || !errors.As(errs[0].Err, &pe) || pe.Value != "boom" {
		t.Fatalf("errors = %v", errs)
	}
}

// concurrency tracks how many calls run at once, overall and per group.
type concurrency struct {
	mu      sync.Mutex
	now     map[string]int
	peak    map[string]int
	calls   atomic.Int32
	holdFor time.Duration
}

func (c *concurrency) enter(groups ...string) {
	c.mu.Lock()
	for _, g := range groups {
		c.now[g]++
		c.peak[g] = max(c.peak[g], c.now[g])
	}
	c.mu.Unlock()
	time.Sleep(c.holdFor)
	c.mu.Lock()
	for _, g := range groups {
		c.now[g]--
	}
	c.mu.Unlock()
	c.calls.Add(1)
}

func TestWalkBounds(t *testing.T) {
	tests := []struct {
		name   string
		par    int
		limits map[string]int
		want   map[string]int // peak concurrency per group ("" = all)
	}{
		{"default", 0, nil, map[string]int{"": DefaultParallelism}},
		{"parallelism 3", 3, nil, map[string]int{"": 3}},
		{"serial", 1, nil, map[string]int{"": 1}},
		{"per provider", 8, map[string]int{"docker": 2, "aws": 1}, map[string]int{"": 8, "docker": 2, "aws": 1, "kubernetes": 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// 60 vertices: 20 per provider, plus chains so that vertices
			// become ready while others run.
			g := New[string](60)
			providers := []string{"docker", "aws", "kubernetes"}
			for i := range 60 {
				g.AddVertex(providers[i%3])
				if i >= 45 {
					g.AddEdge(i, i-45)
				}
			}
			// Long enough that the workers of a round overlap even when some
			// are scheduled late on a loaded machine (serial needs no overlap).
			hold := 60 * time.Millisecond
			if tt.par == 1 {
				hold = 10 * time.Millisecond
			}
			c := &concurrency{now: map[string]int{}, peak: map[string]int{}, holdFor: hold}
			errs := g.Walk(context.Background(), WalkOptions{
				Parallelism: tt.par,
				Limits:      tt.limits,
				Group:       func(v int) string { return g.Vertex(v) },
			}, func(_ context.Context, v int) error {
				c.enter("", g.Vertex(v))
				return nil
			})
			if len(errs) != 0 || c.calls.Load() != 60 {
				t.Fatalf("errors %v, %d calls", errs, c.calls.Load())
			}
			for group, want := range tt.want {
				if c.peak[group] > want {
					t.Errorf("group %q: %d ran at once, the bound is %d", group, c.peak[group], want)
				}
				if c.peak[group] < want {
					t.Errorf("group %q: at most %d ran at once, expected the bound %d to be reached", group, c.peak[group], want)
				}
			}
		})
	}
}

func TestWalkCancel(t *testing.T) {
	g := New[int](100)
	for i := range 100 {
		g.AddVertex(i)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	var started atomic.Int32
	var running atomic.Int32
	var stillRunningAtEnd atomic.Bool
	release := make(chan struct{})
	done := make(chan Errors)
	go func() {
		done <- g.Walk(ctx, WalkOptions{Parallelism: 4}, func(ctx context.Context, v int) error {
			started.Add(1)
			running.Add(1)
			defer running.Add(-1)
			<-release
			if ctx.Err() == nil {
				stillRunningAtEnd.Store(true)
			}
			return nil
		})
	}()
	for started.Load() < 4 {
		time.Sleep(time.Millisecond)
	}
	cancel(errors.New("interrupted"))
	select {
	case <-done:
		t.Fatal("Walk returned while functions were running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	errs := <-done
	if started.Load() != 4 {
		t.Errorf("%d vertices started, want the 4 running at the cancel", started.Load())
	}
	if stillRunningAtEnd.Load() {
		t.Error("a running function did not see the cancellation")
	}
	if len(errs) != 96 {
		t.Fatalf("%d errors, want 96 not started", len(errs))
	}
	var se *SkippedError
	if !errors.As(errs[0].Err, &se) || se.Because != -1 || se.Cause.Error() != "interrupted" {
		t.Errorf("error = %v, want not started: interrupted", errs[0])
	}
}

func BenchmarkWalk10kIndependent(b *testing.B) {
	g := New[int](10_000)
	for i := range 10_000 {
		g.AddVertex(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		if errs := g.Walk(context.Background(), WalkOptions{}, func(context.Context, int) error { return nil }); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkWalk1000ChainsOf10(b *testing.B) {
	g := New[int](10_000)
	for c := range 1000 {
		for i := range 10 {
			v := g.AddVertex(c*10 + i)
			if i > 0 {
				g.AddEdge(v, v-1)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if errs := g.Walk(context.Background(), WalkOptions{}, func(context.Context, int) error { return nil }); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkWalkPerProviderLimit(b *testing.B) {
	g := New[int](10_000)
	for i := range 10_000 {
		g.AddVertex(i % 4)
	}
	opts := WalkOptions{Limits: map[string]int{"p0": 2, "p1": 3}, Group: func(v int) string { return fmt.Sprint("p", g.Vertex(v)) }}
	for b.Loop() {
		if errs := g.Walk(context.Background(), opts, func(context.Context, int) error { return nil }); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkBuildAndCycles(b *testing.B) {
	for b.Loop() {
		g := New[int](10_000)
		for i := range 10_000 {
			g.AddVertex(i)
			if i%10 > 0 {
				g.AddEdge(i, i-1)
			}
		}
		if len(g.Cycles()) > 0 {
			b.Fatal("cycle")
		}
	}
}
