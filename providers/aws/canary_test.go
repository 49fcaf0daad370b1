package aws

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// canarySrc forwards to web by the listener's default action and by a
// rule; its deregistration delay of 20s drains in 2s on the emulator's
// clock.
const canarySrc = `
subnets = ["subnet-a", "subnet-b"]
deregistration_delay = "20s"
tags = { team = "shop" }
listener {
  port = 80
  rule {
    priority      = 10
    path_patterns = ["/x/*"]
    target        = "web"
  }
}
target {
  app  = app.web
  port = "http"
}
`

// canaryFixture is load balancer "shop" whose target web has two stable
// instances and, once a canary step ran, web-2 as its canary.
type canaryFixture struct {
	e             *env
	stable        []*instance
	canary        *instance
	stableARN     string
	lbARN         string
	before, after cty.Value // the app's value without and with the canary instance
	created       cty.Value // the state the create recorded
	state         cty.Value // the state the canary step returned
	private       []byte
}

// newCanary makes the fixture and, with a weight, runs the canary step.
func newCanary(t *testing.T, weight int) *canaryFixture {
	t.Helper()
	e := newEnv(t)
	f := &canaryFixture{e: e, stable: []*instance{newInstance(t, "web-0"), newInstance(t, "web-1")}, canary: newInstance(t, "web-2")}
	f.before = appValue(t, "web", webApp, "dep-web", []app.Instance{f.stable[0].appInstance(), f.stable[1].appInstance()})
	f.after = appValue(t, "web", webApp, "dep-web", []app.Instance{f.stable[0].appInstance(), f.stable[1].appInstance(), f.canary.appInstance()})
	f.created = e.mustApply(cty.NilVal, f.config(f.before))
	rec := decodeRecorded(f.created)
	f.stableARN, f.lbARN = rec.Groups["web"].ARN, rec.ARN
	e.waitAllHealthy(f.stableARN, 2)
	f.state = f.created
	if weight > 0 {
		r := e.canaryStep(f.created, nil, "dep-web", weight, 30*time.Second, f.canary.appInstance())
		if r.Diagnostics.HasErrors() {
			t.Fatalf("canary step: %s", r.Diagnostics.Error())
		}
		f.state, f.private = r.NewState, r.Private
	}
	return f
}

// config is the load balancer's configuration with web's value web.
func (f *canaryFixture) config(web cty.Value) cty.Value {
	return lbValue(f.e.t, "shop", canarySrc, map[string]cty.Value{"web": web})
}

// record makes the provider's calls recorded, the groups named as the
// state names them.
func (f *canaryFixture) record(state cty.Value) *recorder {
	r := &recorder{api: f.e.p.client, names: map[string]string{}}
	for k, g := range decodeRecorded(state).Groups {
		r.names[g.ARN] = map[string]string{"web": "shop-web", "web (canary)": "shop-web-canary"}[k]
	}
	f.e.p.client = r
	return r
}

// canaryARN is the canary group the state records.
func (f *canaryFixture) canaryARN(state cty.Value) string {
	return decodeRecorded(state).Groups["web (canary)"].ARN
}

// forwards reads from ELBv2 how each listener and rule of the load
// balancer forwards: by "listener 80" and "rule 10 of listener 80", the
// weights by group ARN.
func (f *canaryFixture) forwards() map[string]map[string]int {
	f.e.t.Helper()
	sites, err := (&applier{c: f.e.sdk}).forwardSites(context.Background(), &balancer{Name: "shop", Type: typeApplication}, f.lbARN)
	if err != nil {
		f.e.t.Fatal(err)
	}
	out := map[string]map[string]int{}
	for _, s := range sites {
		out[s.where] = forwardWeights(s.actions)
	}
	return out
}

// checkForwards fails the test unless the listener and the rule forward
// with want.
func (f *canaryFixture) checkForwards(want map[string]int) {
	f.e.t.Helper()
	got := f.forwards()
	for _, where := range []string{"listener 80", "rule 10 of listener 80"} {
		if !maps.Equal(got[where], want) {
			f.e.t.Errorf("%s forwards %v, want %v", where, got[where], want)
		}
	}
}

// spread sends n requests through the listener from 4 clients at once
// and counts the answers by body; failed requests count under "".
func (f *canaryFixture) spread(state cty.Value, n int) map[string]int {
	var mu sync.Mutex
	got := map[string]int{}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				body, err := f.e.get(state, "80")
				if err != nil {
					body = ""
				}
				mu.Lock()
				got[body]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return got
}

// TestCanary makes web-2 the canary of web at 10%: a canary group like
// web's, tagged as such, with web-2 registered and healthy; the listener
// and the rule forward 90/10, read back, and 10% ± 3% of 2,000 requests
// reach web-2. The same step again changes nothing; a step to 30% moves
// the split.
func TestCanary(t *testing.T) {
	f := newCanary(t, 10)
	e := f.e
	ctx := context.Background()
	canary := f.canaryARN(f.state)
	if canary == "" || canary == f.stableARN {
		t.Fatalf("the canary group recorded: %#v", f.state.GetAttr("target_groups"))
	}
	rec := decodeRecorded(f.state)
	if ts := rec.Groups["web (canary)"].Targets; !slices.Equal(ts, []string{f.canary.addr().String()}) {
		t.Errorf("canary targets %v", ts)
	}
	if w := rec.Listeners["80"].Forward; !maps.Equal(w, map[string]int{"web": 90, "web (canary)": 10}) {
		t.Errorf("recorded forward %v", w)
	}
	if p := decodePrivate(f.private); !maps.Equal(p.CanaryWeights, map[string]int{"web": 10}) {
		t.Errorf("private data %s", f.private)
	}
	f.checkForwards(map[string]int{f.stableARN: 90, canary: 10})

	// The canary group is web's twin, named and tagged as a canary.
	sg, _ := describeGroup(ctx, e.sdk, f.stableARN)
	cg, _ := describeGroup(ctx, e.sdk, canary)
	if aws.ToString(cg.TargetGroupName) != "shop-web-canary" || keyOf(cg) != keyOf(sg) || aws.ToString(cg.VpcId) != aws.ToString(sg.VpcId) ||
		cg.TargetType != sg.TargetType || healthCheckOfGroup(cg) != healthCheckOfGroup(sg) {
		t.Errorf("canary group %+v\nstable group %+v", cg, sg)
	}
	if attrs, _ := groupAttributes(ctx, e.sdk, canary); attrs[attrDeregistrationDelay] != "20" {
		t.Errorf("canary deregistration delay %q", attrs[attrDeregistrationDelay])
	}
	tags, _ := tagsOf(ctx, e.sdk, []string{canary})
	for k, v := range map[string]string{tagManagedBy: "berth", tagLoadBalancer: "shop", tagTarget: "web", tagCanary: "true",
		tagCanaryWeight: "10", tagIdempotencyKey: "canary:dep-web", "team": "shop"} {
		if tags[canary][k] != v {
			t.Errorf("canary group tag %s = %q, want %q", k, tags[canary][k], v)
		}
	}
	var msgs []string
	for _, ev := range e.eventsOf("progress") {
		msgs = append(msgs, ev.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"created canary target group shop-web-canary for target web of shop", "weights 90/10 on listener 80", "weights 90/10 on rule 10 of listener 80"} {
		if !strings.Contains(all, want) {
			t.Errorf("no event %q in:\n%s", want, all)
		}
	}
	for _, kind := range []string{"target_registered", "target_healthy"} {
		if evs := e.eventsOf(kind); len(evs) != 1 || evs[0].Instance != "web-2" {
			t.Errorf("%s events %+v", kind, evs)
		}
	}

	// The traffic: 10% ± 3% of 2,000 requests (σ ≈ 13 requests).
	const n = 2000
	got := f.spread(f.state, n)
	if got[""] != 0 || got["web-0"]+got["web-1"]+got["web-2"] != n {
		t.Fatalf("answers %v", got)
	}
	t.Logf("answers of %d requests: %v", n, got)
	if share := float64(got["web-2"]) / n; math.Abs(share-0.10) > 0.03 {
		t.Errorf("the canary got %.1f%% of the requests (%v), want 10%% ± 3%%", share*100, got)
	}

	// The same step again changes nothing.
	w := f.record(f.state)
	r := e.canaryStep(f.state, f.private, "dep-web", 10, 30*time.Second, f.canary.appInstance())
	if r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Error())
	}
	if len(w.calls) != 0 || !r.NewState.Equals(f.state).True() || string(r.Private) != string(f.private) {
		t.Errorf("a second identical step: calls %v, state equal %v, private %s", w.calls, r.NewState.Equals(f.state).True(), r.Private)
	}

	// 10% to 30%.
	r = e.canaryStep(r.NewState, r.Private, "dep-web", 30, 30*time.Second, f.canary.appInstance())
	if r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Error())
	}
	f.checkForwards(map[string]int{f.stableARN: 70, canary: 30})
	if fw := decodeRecorded(r.NewState).Listeners["80"].Forward; !maps.Equal(fw, map[string]int{"web": 70, "web (canary)": 30}) {
		t.Errorf("recorded forward after 30%%: %v", fw)
	}
	if p := decodePrivate(r.Private); p.CanaryWeights["web"] != 30 {
		t.Errorf("private data after 30%%: %s", r.Private)
	}
	if !slices.Equal(w.calls, []string{"listener shop-web-canary=30,shop-web=70", "rule shop-web-canary=30,shop-web=70"}) {
		t.Errorf("calls of the step to 30%%: %v", w.calls)
	}
}

// TestCanaryRetire retires the canary while a client sends requests all
// along: the forwards go back to web alone (the canary at weight 0
// first, read back, while its instance drains), the canary group is
// deleted, no request fails, and none reaches web-2 after. Retiring
// again, or where there is no canary, does nothing.
func TestCanaryRetire(t *testing.T) {
	f := newCanary(t, 10)
	e := f.e
	canary := f.canaryARN(f.state)

	var stop atomic.Bool
	var sent, failures atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			sent.Add(1)
			if _, err := e.get(f.state, "80"); err != nil {
				failures.Add(1)
				t.Logf("request failed: %v", err)
			}
		}
	}()
	eventually(t, 10*time.Second, "the canary serves", func() error {
		if f.canary.hits.Load() == 0 {
			return errString("not yet")
		}
		return nil
	})
	w := f.record(f.state)
	start := time.Now()
	r := e.canaryStep(f.state, f.private, "dep-web", 0, 0)
	took := time.Since(start)
	if r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Error())
	}
	hitsAfter := f.canary.hits.Load()
	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests during the retire, %d failed", sent.Load(), failures.Load())
	if failures.Load() != 0 {
		t.Errorf("%d of %d requests failed during the retire", failures.Load(), sent.Load())
	}
	if n := f.canary.hits.Load() - hitsAfter; n != 0 {
		t.Errorf("web-2 got %d requests after the retire", n)
	}
	// The drain takes the deregistration delay (2s on the emulator's clock).
	if took < 1500*time.Millisecond {
		t.Errorf("the retire returned after %s, before the canary drained", took)
	}
	want := []string{
		"listener shop-web-canary=0,shop-web=100",
		"rule shop-web-canary=0,shop-web=100",
		"deregister 1 from shop-web-canary",
		"listener shop-web=1",
		"rule shop-web=1",
		"delete shop-web-canary",
	}
	if !slices.Equal(w.calls, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(w.calls, "\n"), strings.Join(want, "\n"))
	}
	f.checkForwards(map[string]int{f.stableARN: 1})
	if g, _ := describeGroup(context.Background(), e.sdk, canary); g != nil {
		t.Error("the canary group is left")
	}
	rec := decodeRecorded(r.NewState)
	if _, ok := rec.Groups["web (canary)"]; ok || !maps.Equal(rec.Listeners["80"].Forward, map[string]int{"web": 1}) {
		t.Errorf("recorded after the retire: %+v", rec)
	}
	if p := decodePrivate(r.Private); len(p.CanaryWeights) != 0 {
		t.Errorf("private data after the retire: %s", r.Private)
	}
	// The state is what the create recorded: the load balancer as it was.
	if !r.NewState.Equals(f.created).True() {
		t.Errorf("the state after the retire is not the state before the canary:\n%#v", r.NewState)
	}
	if got := f.spread(r.NewState, 200); got["web-2"] != 0 || got[""] != 0 {
		t.Errorf("after the retire: %v", got)
	}

	w.calls = nil
	again := e.canaryStep(r.NewState, r.Private, "dep-web", 0, 0)
	if again.Diagnostics.HasErrors() || len(w.calls) != 0 || !again.NewState.Equals(r.NewState).True() {
		t.Errorf("retiring again: %v, calls %v", again.Diagnostics, w.calls)
	}
}

// TestCanaryPlanAndDrift: with a canary in progress refresh shows no
// drift and the plan keeps the canary (its group, the split, web's
// targets without web-2, also without the private data); a weight
// changed by hand is drift that the plan and apply put back; applying
// the load balancer keeps web-2 out of web's group; a change that would
// replace web's group is refused; destroy deletes the canary group.
func TestCanaryPlanAndDrift(t *testing.T) {
	f := newCanary(t, 10)
	e := f.e
	ctx := context.Background()
	canary := f.canaryARN(f.state)

	r := e.read(f.state)
	if !r.NewState.Equals(f.state).True() {
		t.Fatalf("drift with a canary in progress:\n%#v\nrecorded:\n%#v", r.NewState, f.state)
	}
	if string(r.Private) != string(f.private) {
		t.Errorf("refreshed private data %s, want %s", r.Private, f.private)
	}
	cfg := f.config(f.after) // the app's instances include the canary's
	for _, private := range [][]byte{r.Private, nil} {
		pr := e.planWith(r.NewState, private, cfg)
		for _, n := range []string{"listeners", "target_groups", "arn"} {
			if !pr.PlannedState.GetAttr(n).Equals(r.NewState.GetAttr(n)).True() {
				t.Errorf("private %s: planned %s %#v, want it kept: %#v", private, n, pr.PlannedState.GetAttr(n), r.NewState.GetAttr(n))
			}
		}
		if string(pr.PlannedPrivate) != string(private) {
			t.Errorf("planned private data %s, want %s", pr.PlannedPrivate, private)
		}
	}

	// A weight changed by hand is drift; the plan puts the split back.
	if _, err := e.sdk.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(decodeRecorded(f.state).Listeners["80"].ARN),
		DefaultActions: forwardTo(map[string]int{f.stableARN: 50, canary: 50})}); err != nil {
		t.Fatal(err)
	}
	r = e.read(f.state)
	if fw := decodeRecorded(r.NewState).Listeners["80"].Forward; !maps.Equal(fw, map[string]int{"web": 50, "web (canary)": 50}) {
		t.Fatalf("refreshed forward %v after the change by hand", fw)
	}
	pr := e.planWith(r.NewState, r.Private, cfg)
	want := cty.MapVal(map[string]cty.Value{"web": cty.NumberIntVal(90), "web (canary)": cty.NumberIntVal(10)})
	if got := pr.PlannedState.GetAttr("listeners").Index(cty.StringVal("80")).GetAttr("forward"); !got.Equals(want).True() {
		t.Errorf("planned forward %#v", got)
	}

	// Applying the load balancer: the split back, web-2 only a canary.
	ar := e.applyWith(r.NewState, r.Private, cfg)
	if ar.Diagnostics.HasErrors() {
		t.Fatal(ar.Diagnostics.Error())
	}
	f.checkForwards(map[string]int{f.stableARN: 90, canary: 10})
	stableAddrs := []string{f.stable[0].addr().String(), f.stable[1].addr().String()}
	slices.Sort(stableAddrs)
	if h := e.health(f.stableARN); len(h) != 2 || h[f.canary.addr().String()] != "" {
		t.Errorf("web's group after the apply: %v", h)
	}
	got := decodeRecorded(ar.NewState)
	if !slices.Equal(got.Groups["web"].Targets, stableAddrs) || !slices.Equal(got.Groups["web (canary)"].Targets, []string{f.canary.addr().String()}) {
		t.Errorf("recorded groups after the apply: %+v", got.Groups)
	}
	if string(ar.Private) != string(f.private) {
		t.Errorf("private data after the apply %s", ar.Private)
	}
	if rr := e.read(ar.NewState); !rr.NewState.Equals(ar.NewState).True() {
		t.Errorf("drift after the apply:\n%#v", rr.NewState)
	}
	if pr := e.planWith(ar.NewState, ar.Private, cfg); !pr.PlannedState.Equals(ar.NewState).True() {
		t.Errorf("a plan of no change plans:\n%#v", pr.PlannedState)
	}

	// A new port would replace web's group: refused at plan, and at apply.
	moved := f.config(appValue(t, "web", strings.Replace(webApp, "8080", "8081", 1), "dep-web", []app.Instance{f.stable[0].appInstance()}))
	plan := e.p.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: TypeLoadBalancer, PriorState: ar.NewState, ProposedNewState: moved, Config: moved})
	const refusal = "finish the canary of app web first: berth rollout promote or abort"
	if !strings.Contains(plan.Diagnostics.Error(), refusal) || providers.DiagnosticPath(plan.Diagnostics[0]) == nil {
		t.Errorf("plan of a replaced group: %v", plan.Diagnostics)
	}
	planned, _, diags := planBalancer(f.created, moved, nil) // as if the canary were not recorded at plan
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	apply := e.p.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: TypeLoadBalancer,
		PriorState: ar.NewState, PlannedState: planned, Config: moved}, e.record)
	if !strings.Contains(apply.Diagnostics.Error(), refusal) {
		t.Errorf("apply of a replaced group: %v", apply.Diagnostics)
	}
	if g, _ := describeGroup(ctx, e.sdk, f.stableARN); g == nil {
		t.Error("the refused apply deleted web's group")
	}

	dr := e.p.ApplyResourceChange(ctx, applyDestroy(ar.NewState), e.record)
	if dr.Diagnostics.HasErrors() {
		t.Fatal(dr.Diagnostics)
	}
	if g, _ := describeGroup(ctx, e.sdk, canary); g != nil {
		t.Error("destroy left the canary group")
	}
}

// TestCanaryRecovery: a canary group made by a step whose result was
// never recorded is found again: refresh finds it through the listener
// that forwards to it, a step finds it by its name (and makes no
// other), and destroy deletes it.
func TestCanaryRecovery(t *testing.T) {
	f := newCanary(t, 10)
	e := f.e
	ctx := context.Background()
	canary := f.canaryARN(f.state)

	// The state as the core kept it: the canary step never recorded.
	r := e.read(f.created)
	if got := f.canaryARN(r.NewState); got != canary {
		t.Fatalf("refresh found canary group %q, want %s", got, canary)
	}
	if p := decodePrivate(r.Private); p.CanaryWeights["web"] != 10 {
		t.Errorf("refreshed private data %s", r.Private)
	}
	if !r.NewState.GetAttr("listeners").Equals(f.state.GetAttr("listeners")).True() {
		t.Errorf("refreshed listeners %#v", r.NewState.GetAttr("listeners"))
	}

	w := f.record(f.state)
	s := e.canaryStep(f.created, nil, "dep-web", 10, 30*time.Second, f.canary.appInstance())
	if s.Diagnostics.HasErrors() {
		t.Fatal(s.Diagnostics.Error())
	}
	if f.canaryARN(s.NewState) != canary || len(w.calls) != 0 {
		t.Errorf("the step over the unrecorded canary: group %s, calls %v", f.canaryARN(s.NewState), w.calls)
	}

	// A group of the canary's name that berth did not make is refused.
	other := newCanary(t, 0)
	if _, err := other.e.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("shop-web-canary"), Protocol: "HTTP",
		Port: aws.Int32(8080), TargetType: "ip", VpcId: aws.String("vpc-1")}); err != nil {
		t.Fatal(err)
	}
	if r := other.e.canaryStep(other.created, nil, "dep-web", 10, 30*time.Second, other.canary.appInstance()); !strings.Contains(r.Diagnostics.Error(), "berth did not make as the canary of target web") {
		t.Errorf("a canary over a foreign group: %v", r.Diagnostics)
	}
	if r := other.e.canaryStep(other.created, nil, "dep-web", 0, 0); r.Diagnostics.HasErrors() {
		t.Errorf("retiring where a foreign group has the canary's name: %v", r.Diagnostics)
	}

	dr := e.p.ApplyResourceChange(ctx, applyDestroy(f.created), e.record)
	if dr.Diagnostics.HasErrors() {
		t.Fatal(dr.Diagnostics)
	}
	if g, _ := describeGroup(ctx, e.sdk, canary); g != nil {
		t.Error("destroy left the canary group the state does not record")
	}
}

// skewed is the ELBv2 API with ModifyListener setting other weights
// than asked: what a change made by someone else at the same moment
// looks like.
type skewed struct{ api }

func (s skewed) ModifyListener(ctx context.Context, in *elb.ModifyListenerInput, o ...func(*elb.Options)) (*elb.ModifyListenerOutput, error) {
	w := forwardWeights(in.DefaultActions)
	for arn := range w {
		w[arn]++
	}
	in.DefaultActions = forwardTo(w)
	return s.api.ModifyListener(ctx, in, o...)
}

// TestCanaryFailures: weights read back other than set fail the step,
// which records what is; an unhealthy canary fails naming it, with no
// traffic moved to it; a network load balancer, an app that is no
// target and a weight out of range are refused.
func TestCanaryFailures(t *testing.T) {
	f := newCanary(t, 0)
	e := f.e
	client := e.p.client
	e.p.client = skewed{client}
	r := e.canaryStep(f.created, nil, "dep-web", 10, 30*time.Second, f.canary.appInstance())
	if msg := r.Diagnostics.Error(); !strings.Contains(msg, "listener 80 forwards") || !strings.Contains(msg, "read back after berth set") {
		t.Errorf("skewed weights: %v", r.Diagnostics)
	}
	if fw := decodeRecorded(r.NewState).Listeners["80"].Forward; !maps.Equal(fw, map[string]int{"web": 101, "web (canary)": 1}) {
		t.Errorf("recorded forward after the failed step: %v", fw)
	}
	e.p.client = client
	r = e.canaryStep(r.NewState, r.Private, "dep-web", 0, 0)
	if r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Error())
	}

	bad := newInstance(t, "web-3")
	bad.health.Store(500)
	start := time.Now()
	r = e.canaryStep(r.NewState, r.Private, "dep-web", 10, 3*time.Second, bad.appInstance())
	if took := time.Since(start); took < 3*time.Second || took > 15*time.Second {
		t.Errorf("the failed step returned after %s (deadline 3s)", took)
	}
	if msg := r.Diagnostics.Error(); !strings.Contains(msg, "web-3") || !strings.Contains(msg, "web (canary)") || r.Diagnostics[0].Summary != "Canary instances not healthy behind the load balancer" {
		t.Errorf("unhealthy canary: %v", r.Diagnostics)
	}
	canary := f.canaryARN(r.NewState)
	f.checkForwards(map[string]int{f.stableARN: 100, canary: 0})
	if ts := decodeRecorded(r.NewState).Groups["web (canary)"].Targets; !slices.Equal(ts, []string{bad.addr().String()}) {
		t.Errorf("recorded canary targets %v", ts)
	}
	if got := f.spread(r.NewState, 100); got["web-3"] != 0 || got[""] != 0 {
		t.Errorf("requests with an unhealthy canary: %v", got)
	}

	for _, tc := range []struct {
		name, appID string
		weight      int
		want        string
	}{
		{"another app", "dep-api", 10, "load balancer shop has no target of app with deployment_id dep-api"},
		{"weight 100", "dep-web", 100, "a percent from 1 to 99"},
	} {
		r := e.canaryStep(f.created, nil, tc.appID, tc.weight, time.Second, f.canary.appInstance())
		if !strings.Contains(r.Diagnostics.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, r.Diagnostics, tc.want)
		}
	}

	nlbSrc := `
type    = "network"
subnets = ["subnet-a"]
listener {
  port     = 80
  protocol = "TCP"
}
target {
  app  = app.web
  port = "http"
}
`
	nlb := e.mustApply(cty.NilVal, lbValue(t, "tcp", nlbSrc, map[string]cty.Value{"web": f.before}))
	r = e.canaryStep(nlb, nil, "dep-web", 10, time.Second, f.canary.appInstance())
	if !strings.Contains(r.Diagnostics.Error(), "needs an application load balancer") {
		t.Errorf("a canary behind a network load balancer: %v", r.Diagnostics)
	}
	if r := e.canaryStep(nlb, nil, "dep-web", 0, 0); r.Diagnostics.HasErrors() {
		t.Errorf("retiring no canary behind a network load balancer: %v", r.Diagnostics)
	}
}

// TestCanaryNames: the canary group's name is berth's group name with
// "-canary", within ELBv2's 32 characters, apart from the target's
// group's; its key in target_groups names its target.
func TestCanaryNames(t *testing.T) {
	for _, tc := range []struct{ lb, target, want string }{
		{"shop", "web", "shop-web-canary"},
		{"a-very-long-load-balancer-name", "web", ""},
	} {
		got := canaryGroupName(tc.lb, tc.target)
		if tc.want != "" && got != tc.want || len(got) > maxNameLen || got == groupName(tc.lb, tc.target, "") {
			t.Errorf("canaryGroupName(%q, %q) = %q", tc.lb, tc.target, got)
		}
	}
	if base, ok := canaryBase(canaryKey("web")); !ok || base != "web" || canaryKey("web") != "web (canary)" {
		t.Errorf("canary key of web: %q", canaryKey("web"))
	}
	if _, ok := canaryBase("web"); ok {
		t.Error("web is a canary key")
	}
}
