//go:build integration

package kubernetes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
)

// The no-op plan of issue 10: N apps of one replica each (a Deployment, a
// pod, a Service and a pull Secret apiece) in a namespace of their own on
// the control plane of scripts/testenv/kube.sh (kwok makes the pods
// Ready), created through the provider itself, their images in the
// registry of scripts/testenv/docker.sh. A no-op plan is then run as
// berth runs one: a new provider (each berth command starts its plugin
// afresh), one ReadResources of every app (the engine's refresh batch),
// and PlanResourceChange of each app with its refreshed state, as many
// at a time as the engine runs. It is timed, and counts the Kubernetes
// API requests (kube.Cluster.Calls, a client-go transport wrapper) and
// the registry requests (the image resolutions) it made.
//
//	make bench-kubernetes

// benchParallelism is the engine's provider calls in flight
// (core.DefaultParallelism).
const benchParallelism = 10

// BenchmarkIntegrationNoOpPlan runs the no-op plan with 50 and with 200
// apps, then fails unless both made the same Kubernetes API requests:
// one list per kind, whatever the number of objects of the kind.
func BenchmarkIntegrationNoOpPlan(b *testing.B) {
	reg := countRegistry(b)
	calls := map[int]kube.Calls{}
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			apps := createApps(b, n)
			var last noOpPlan
			for b.Loop() {
				last = apps.noOpPlan(b, reg)
			}
			calls[n] = last.Calls
			b.ReportMetric(float64(last.Calls.Total), "api-calls/op")
			b.ReportMetric(float64(last.Registry), "registry-requests/op")
			b.ReportMetric(float64(last.Manifests), "manifest-gets/op")
			b.Logf("%d apps: refresh+plan %.3fs (refresh %.3fs); %d API calls %s; %d registry requests, %d of them manifest GETs",
				n, last.Wall.Seconds(), last.Refresh.Seconds(), last.Calls.Total, verbs(last.Calls), last.Registry, last.Manifests)
		})
	}
	if len(calls) == 2 && !sameCalls(calls[50], calls[200]) {
		b.Errorf("the API calls grew with the objects per kind: 50 apps %d %s, 200 apps %d %s",
			calls[50].Total, verbs(calls[50]), calls[200].Total, verbs(calls[200]))
	}
}

// TestIntegrationNoOpPlanCalls is the benchmark's assertion at a size
// make integration affords: a no-op plan of 4 apps makes the same API
// requests as one of 1, and resolves each app's image at most once.
func TestIntegrationNoOpPlanCalls(t *testing.T) {
	reg := countRegistry(t)
	got := map[int]noOpPlan{}
	for _, n := range []int{1, 4} {
		got[n] = createApps(t, n).noOpPlan(t, reg)
		t.Logf("%d apps: %d API calls %s, %d registry requests, %d of them manifest GETs",
			n, got[n].Calls.Total, verbs(got[n].Calls), got[n].Registry, got[n].Manifests)
	}
	if !sameCalls(got[1].Calls, got[4].Calls) {
		t.Errorf("the API calls grew with the objects per kind: 1 app %d %s, 4 apps %d %s",
			got[1].Calls.Total, verbs(got[1].Calls), got[4].Calls.Total, verbs(got[4].Calls))
	}
	if l := got[4].Calls.ByVerb["list"]; l != 5 {
		t.Errorf("%d lists, want 5 (Deployments, Pods, Services, Secrets, HorizontalPodAutoscalers): %s", l, verbs(got[4].Calls))
	}
	for n, p := range got {
		if p.Manifests > n {
			t.Errorf("%d apps: %d manifest GETs, more than one image resolution per app", n, p.Manifests)
		}
	}
}

// noOpPlan is what one no-op plan took.
type noOpPlan struct {
	// Wall is the refresh and the plans; Refresh the refresh alone.
	Wall, Refresh time.Duration
	// Calls are the Kubernetes API requests of the refresh and the plans,
	// the provider's connection (GET /version) and discovery included.
	Calls kube.Calls
	// Registry is the number of HTTP requests to the registry (pings
	// included), Manifests the manifest GETs among them: one per image
	// resolution.
	Registry, Manifests int
}

// benchApps is n apps created in a namespace of their own.
type benchApps struct {
	names   []string
	configs []cty.Value // as the engine sends them: evaluated, name and registry filled in
	states  []cty.Value // as the state records them
	target  kube.Target
}

// createApps creates n one-replica apps through a provider, as the
// engine does (a plan, then the apply of its planned state), in a new
// namespace deleted when tb ends.
func createApps(tb testing.TB, n int) *benchApps {
	tb.Helper()
	kubeconfig := testEnv(tb, "BERTH_TEST_KUBECONFIG", "scripts/testenv/kube.sh")
	image := testEnv(tb, "BERTH_TEST_IMAGE", "scripts/testenv/docker.sh")
	registry := registryValue(testEnv(tb, "BERTH_TEST_REGISTRY", "scripts/testenv/docker.sh"),
		testEnv(tb, "BERTH_TEST_REGISTRY_USER", "scripts/testenv/docker.sh"),
		testEnv(tb, "BERTH_TEST_REGISTRY_PASSWORD", "scripts/testenv/docker.sh"))
	ns := fmt.Sprintf("bench-%d-%s", n, randomSuffix())
	ctx := context.Background()

	admin, err := kube.Connect(ctx, kube.Target{Name: "admin", Kubeconfig: kubeconfig, Namespace: ns})
	if err != nil {
		tb.Fatal(err)
	}
	// A node short of pod capacity would leave pods unscheduled until the
	// apply's healthy deadline.
	nodes, err := admin.Clientset().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	var capacity int64
	for _, nd := range nodes.Items {
		capacity += nd.Status.Allocatable.Pods().Value()
	}
	if capacity < int64(n) {
		tb.Fatalf("the test cluster's nodes take %d pods, fewer than %d apps' (scripts/testenv/kube.sh start raises its node's capacity)", capacity, n)
	}
	if _, err := admin.Clientset().CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := admin.Clientset().CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
			tb.Errorf("deleting namespace %s: %v", ns, err)
		}
	})

	cluster := clusterValue(tb, kubeconfig, ns)
	apps := &benchApps{names: make([]string, n), configs: make([]cty.Value, n), states: make([]cty.Value, n)}
	for i := range n {
		apps.names[i] = fmt.Sprintf("app-%03d", i)
		apps.configs[i] = appValue(tb, fmt.Sprintf("cluster = cluster.k\nimage = %q\nreplicas = 1\nport \"http\" {\n  container = 8080\n}\nrollout {\n  min_healthy = \"1s\"\n}\n", image+":v1"),
			cluster, registry, apps.names[i])
	}
	a, err := decodeApp(apps.configs[0])
	if err != nil {
		tb.Fatal(err)
	}
	apps.target = a.Target

	p := New()
	defer p.Close()
	t0 := time.Now()
	errs := parallel(n, func(i int) error {
		cfg := apps.configs[i]
		null := cty.NullVal(cfg.Type())
		pl := p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: TypeApp, PriorState: null, ProposedNewState: cfg, Config: cfg})
		if pl.Diagnostics.HasErrors() {
			return fmt.Errorf("plan of %s: %v", apps.names[i], pl.Diagnostics)
		}
		resp := p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: TypeApp, PriorState: null,
			PlannedState: pl.PlannedState, Config: cfg, PlannedPrivate: pl.PlannedPrivate, IdempotencyKey: "bench-" + apps.names[i]}, nil)
		apps.states[i] = resp.NewState
		if resp.Diagnostics.HasErrors() {
			return fmt.Errorf("apply of %s: %v", apps.names[i], resp.Diagnostics)
		}
		return nil
	})
	if len(errs) > 0 {
		tb.Fatal(errs[0])
	}
	tb.Logf("created %d apps in namespace %s in %.1fs", n, ns, time.Since(t0).Seconds())
	return apps
}

// noOpPlan refreshes and plans every app with a new provider, checks
// that each plan is a no-op, and returns what it took.
func (apps *benchApps) noOpPlan(tb testing.TB, reg *registryCounter) noOpPlan {
	tb.Helper()
	ctx := context.Background()
	p := New()
	defer p.Close()
	reqBefore, manBefore := reg.requests.Load(), reg.manifests.Load()

	t0 := time.Now()
	read := providers.ReadResourcesRequest{Objects: make([]providers.ReadObject, len(apps.states))}
	for i, st := range apps.states {
		read.Objects[i] = providers.ReadObject{ID: "app." + apps.names[i], TypeName: TypeApp, State: st}
	}
	rr := p.ReadResources(ctx, read)
	refresh := time.Since(t0)
	if rr.Diagnostics.HasErrors() || len(rr.Results) != len(apps.states) {
		tb.Fatalf("refresh: %d results for %d apps: %v", len(rr.Results), len(apps.states), rr.Diagnostics)
	}
	for i, r := range rr.Results {
		if r.Diagnostics.HasErrors() || r.Gone {
			tb.Fatalf("refresh of %s: gone %v: %v", apps.names[i], r.Gone, r.Diagnostics)
		}
	}
	errs := parallel(len(apps.configs), func(i int) error {
		refreshed := rr.Results[i].NewState
		pl := p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: TypeApp,
			PriorState: refreshed, ProposedNewState: apps.configs[i], Config: apps.configs[i]})
		switch {
		case len(pl.Diagnostics) > 0:
			return fmt.Errorf("plan of %s: %v", apps.names[i], pl.Diagnostics)
		case pl.Rollout != nil || !unmarkedEqual(refreshed, pl.PlannedState):
			return fmt.Errorf("plan of %s is not a no-op: rollout %v, attributes changed: %v", apps.names[i], pl.Rollout != nil, changed(refreshed, pl.PlannedState))
		}
		return nil
	})
	wall := time.Since(t0)
	if len(errs) > 0 {
		tb.Fatal(errs[0])
	}

	c, err := p.cluster(ctx, apps.target)
	if err != nil {
		tb.Fatal(err)
	}
	return noOpPlan{Wall: wall, Refresh: refresh, Calls: c.Calls(),
		Registry: int(reg.requests.Load() - reqBefore), Manifests: int(reg.manifests.Load() - manBefore)}
}

// parallel runs f(0..n-1), benchParallelism at a time, and returns the
// errors.
func parallel(n int, f func(i int) error) []error {
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, benchParallelism)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs
}

// unmarkedEqual is the engine's test of a no-op: the planned value equals
// the prior one, marks aside.
func unmarkedEqual(a, b cty.Value) bool {
	ua, _ := a.UnmarkDeep()
	ub, _ := b.UnmarkDeep()
	if !ua.IsWhollyKnown() || !ub.IsWhollyKnown() {
		return false
	}
	eq := ua.Equals(ub)
	return eq.IsKnown() && eq.True()
}

// changed names the attributes of object a that differ in b.
func changed(a, b cty.Value) []string {
	ua, _ := a.UnmarkDeep()
	ub, _ := b.UnmarkDeep()
	var out []string
	for name, av := range ua.AsValueMap() {
		if !ub.Type().HasAttribute(name) || !unmarkedEqual(av, ub.GetAttr(name)) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// sameCalls reports whether a and b made the same requests of each verb.
func sameCalls(a, b kube.Calls) bool {
	return a.Total == b.Total && maps.Equal(a.ByVerb, b.ByVerb)
}

// verbs is "(discovery 3, list 5)".
func verbs(c kube.Calls) string {
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(c.ByVerb)) {
		parts = append(parts, fmt.Sprintf("%s %d", v, c.ByVerb[v]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// registryCounter counts the HTTP requests of image resolutions, by
// wrapping go-containerregistry's default transport (platform/registry
// sets none of its own): all of them (a resolution also pings /v2/, over
// https and then http on a plain-HTTP loopback registry), and the
// manifest GETs.
type registryCounter struct{ requests, manifests atomic.Int64 }

func countRegistry(tb testing.TB) *registryCounter {
	rc := &registryCounter{}
	prev := remote.DefaultTransport
	remote.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		rc.requests.Add(1)
		if strings.Contains(r.URL.Path, "/manifests/") {
			rc.manifests.Add(1)
		}
		return prev.RoundTrip(r)
	})
	tb.Cleanup(func() { remote.DefaultTransport = prev })
	return rc
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// testEnv is a variable of a test environment's env command; the test
// fails without it.
func testEnv(tb testing.TB, name, script string) string {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		tb.Fatalf("%s is not set: start the test environment with %s start and eval \"$(%s env)\" (make integration does both)", name, script, script)
	}
	return v
}

func randomSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clusterValue is what `cluster.k` evaluates to for a cluster block
// `kubernetes { kubeconfig = ..., namespace = ... }`.
func clusterValue(tb testing.TB, kubeconfig, ns string) cty.Value {
	tb.Helper()
	src := fmt.Sprintf("kubernetes {\n  kubeconfig = %q\n  namespace  = %q\n}\n", kubeconfig, ns)
	v := decodeBody(tb, src, lang.ClusterSchema(), nil)
	m := v.AsValueMap()
	m["name"], m["kind"] = cty.StringVal("k"), cty.StringVal(Kind)
	return cty.ObjectVal(m)
}

// registryValue is `registry.test`, its password marked sensitive as the
// language marks it.
func registryValue(address, user, password string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("test"), "address": cty.StringVal(address),
		"username": cty.StringVal(user), "password": cty.StringVal(password).Mark(lang.Sensitive),
	})
}

// appValue is the value the engine sends for an app block's body: decoded
// with the language's app schema (defaults applied), `cluster.k` bound to
// cluster, and its name and registry filled in as the evaluator does.
func appValue(tb testing.TB, src string, cluster, registry cty.Value, name string) cty.Value {
	tb.Helper()
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"cluster": cty.ObjectVal(map[string]cty.Value{"k": cluster})}}
	v := decodeBody(tb, src, lang.AppSchema(), ctx)
	return lang.CompleteDomainValue(lang.KindApp, name, v, []cty.Value{registry})
}

func decodeBody(tb testing.TB, src string, schema *lang.BlockSchema, ctx *hcl.EvalContext) cty.Value {
	tb.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "bench.berth.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		tb.Fatal(diags)
	}
	v, diags := schema.Decode(f.Body, ctx)
	if diags.HasErrors() {
		tb.Fatal(diags)
	}
	return v
}
