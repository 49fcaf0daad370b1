//go:build integration

package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The canary scenarios of issue 11 through the berth binary: the app of
// TestE2ELoadBalancerRollout, rolled out with a canary of one instance at
// 10% of the load balancer's traffic, then aborted and promoted while a
// client sends requests.

// lbCanaryApp is lbApp with the canary strategy.
func lbCanaryApp(d dockerTest) string {
	const rolling = "    auto_revert      = true\n"
	return strings.Replace(lbApp(d), rolling, rolling+`    strategy         = "canary"
    canary {
      instances = 1
      weight    = 10
    }
`, 1)
}

// sample sends n requests to the load balancer (4 at a time) and counts
// the answers by version, and the failures.
func sample(t *testing.T, addr string, n int) (versions map[string]int, failed int64) {
	t.Helper()
	versions = map[string]int{}
	var next atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	tr := &traffic{versions: versions}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				tr.one(context.Background(), client, "http://"+addr+"/version")
			}
		}()
	}
	wg.Wait()
	return versions, tr.failed.Load()
}

// rolloutStatusDoc is berth rollout status -json, as far as the tests
// read it.
type rolloutStatusDoc struct {
	Phase  string `json:"phase"`
	Canary *struct {
		Instances []string `json:"instances"`
		Weight    int      `json:"weight"`
	} `json:"canary"`
	Instances []struct {
		Name string `json:"name"`
		Role string `json:"role"`
		ID   string `json:"id"`
	} `json:"instances"`
	Routers []struct {
		Listeners map[string]map[string]int `json:"listeners"`
	} `json:"routers"`
}

// rolloutStatus runs berth rollout status -json for the app.
func (l *lbTest) rolloutStatus(t *testing.T) rolloutStatusDoc {
	t.Helper()
	r := l.e.ok("rollout", "status", "-json", "app."+l.app)
	var st rolloutStatusDoc
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("rollout status -json: %v\n%s", err, r.stdout)
	}
	return st
}

// splitAt reports whether the one router's listener 80 forwards to
// target, weight percent to its canary group and the rest to its group,
// as the state records it.
func (st rolloutStatusDoc) splitAt(target string, weight int) bool {
	if len(st.Routers) != 1 {
		return false
	}
	want := map[string]int{target: 100 - weight, target + " (canary)": weight}
	return maps.Equal(st.Routers[0].Listeners["80"], want)
}

func TestE2ELoadBalancerCanary(t *testing.T) {
	l := newLBTestWith(t, "lbcanary", lbCanaryApp)
	if r := l.apply("v1"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	addr := l.listener(t)
	app := "app." + l.app

	// The plan says the rollout is a canary and pauses.
	r := l.e.expect(2, "plan", "-detailed-exitcode", "-var=tag=v2", l.pw, l.ep)
	mustContain(t, "plan", r.stdout, "canary: 1 instance", "10% of the traffic of load_balancer.web", "then the rollout pauses")

	canary := func() {
		t.Helper()
		r := l.apply("v2")
		if r.code != 0 {
			t.Fatalf("canary apply: %s", r)
		}
		mustContain(t, "canary apply", r.stdout+r.stderr, "paused at its canary", "berth rollout promote "+app, "weights 90/10")
	}
	canary()

	// The canary takes 10% ± 3% of 2,000 requests.
	versions, failed := sample(t, addr, 2000)
	t.Logf("canary at weight 10: 2,000 requests by version %v, %d failed", versions, failed)
	if failed != 0 {
		t.Errorf("%d requests failed with the canary in place", failed)
	}
	if v2 := versions["v2"]; v2 < 140 || v2 > 260 {
		t.Errorf("the canary answered %d of 2,000 requests, want 10%% ± 3%% (140 to 260)", v2)
	}

	// The state records the canary; status says so.
	st := l.rolloutStatus(t)
	if st.Phase != "canary" || st.Canary == nil || st.Canary.Weight != 10 || len(st.Canary.Instances) != 1 {
		t.Errorf("rollout status: %+v", st)
	}
	if !st.splitAt(l.app, 10) {
		t.Errorf("rollout status shows the weights %+v, want %[2]s 90 and %[2]s (canary) 10", st.Routers, l.app)
	}

	// A canary in progress is not drift, and the load balancer has
	// nothing to change.
	l.e.ok("drift", "-var=tag=v2", l.pw, l.ep)
	r = l.e.expect(2, "plan", "-detailed-exitcode", "-var=tag=v2", l.pw, l.ep)
	if i := strings.Index(r.stdout, "load_balancer.web will be"); i >= 0 {
		t.Logf("load balancer in the plan during the canary:\n%s", r.stdout[i:])
	}

	// Abort under traffic: all traffic back to the stable instances
	// first, no request fails, the canary goes.
	tr := startTraffic(addr)
	r = l.e.run("rollout", "abort", "-auto-approve", "-var=tag=v2", l.pw, l.ep, app)
	sent, failed, rate, errs, seen := tr.end()
	if r.code != 0 {
		t.Fatalf("rollout abort: %s", r)
	}
	t.Logf("abort: %d requests (%.0f/s), %d failed, by version %v", sent, rate, failed, seen)
	if failed != 0 {
		t.Errorf("%d of %d requests failed during the abort; first: %v", failed, sent, errs)
	}
	if versions, _ := sample(t, addr, 200); versions["v2"] != 0 || versions["v1"] != 200 {
		t.Errorf("after the abort the load balancer answers %v, want v1 only", versions)
	}
	mustContain(t, "status after the abort", l.e.ok("rollout", "status", app).stdout, "no rollout in progress")

	// Canary again, then promote under traffic: every instance runs v2,
	// no request fails, and the plan is empty.
	canary()
	tr = startTraffic(addr)
	r = l.e.run("rollout", "promote", "-auto-approve", "-var=tag=v2", l.pw, l.ep, app)
	sent, failed, rate, errs, seen = tr.end()
	if r.code != 0 {
		t.Fatalf("rollout promote: %s", r)
	}
	t.Logf("promote: %d requests (%.0f/s), %d failed, by version %v", sent, rate, failed, seen)
	if failed != 0 {
		t.Errorf("%d of %d requests failed during the promote; first: %v", failed, sent, errs)
	}
	if versions, _ := sample(t, addr, 200); versions["v2"] != 200 {
		t.Errorf("after the promote the load balancer answers %v, want v2 only", versions)
	}
	if r := l.e.run("plan", "-detailed-exitcode", "-var=tag=v2", l.pw, l.ep); r.code != 0 {
		t.Errorf("plan after the promote is not empty:\n%s", r)
	}
	mustContain(t, "status after the promote", l.e.ok("rollout", "status", app).stdout, "no rollout in progress")
}
