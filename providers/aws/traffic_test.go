package aws

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// drainSrc has a deregistration delay of 20s: 2s on the emulator's clock.
const drainSrc = `
subnets = ["subnet-a", "subnet-b"]
deregistration_delay = "20s"
listener {
  port = 80
}
target {
  app  = app.web
  port = "http"
}
`

// TestStepDrain drains one of two instances while requests flow through
// the listener: the step returns only once the instance has left the
// group (not while it is draining), and no request reaches it after.
func TestStepDrain(t *testing.T) {
	e := newEnv(t)
	a, b := newInstance(t, "web-0"), newInstance(t, "web-1")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance(), b.appInstance()})
	st := e.mustApply(cty.NilVal, lbValue(t, "drain", drainSrc, map[string]cty.Value{"web": web}))
	group := decodeRecorded(st).Groups["web"].ARN
	e.waitAllHealthy(group, 2)

	// Requests flow all along; none may fail.
	var stop atomic.Bool
	var failures atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if _, err := e.get(st, "80"); err != nil {
				failures.Add(1)
				t.Logf("request failed: %v", err)
			}
		}
	}()
	eventually(t, 10*time.Second, "both instances serve", func() error {
		if a.hits.Load() == 0 || b.hits.Load() == 0 {
			return errString("not yet")
		}
		return nil
	})

	start := time.Now()
	r := e.step(providers.StepDrain, st, "dep-web", 0, b.appInstance())
	took := time.Since(start)
	if r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Error())
	}
	// The group says nothing of web-1 any more: it is gone, not draining.
	if h := e.health(group); len(h) != 1 || h[a.addr().String()] == "" {
		t.Fatalf("after the drain the group has %v", h)
	}
	// Draining takes the deregistration delay (2s on the emulator's clock).
	if took < 1500*time.Millisecond {
		t.Errorf("the drain returned after %s, before the deregistration delay", took)
	}
	hitsAfter := b.hits.Load()
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	if n := b.hits.Load() - hitsAfter; n != 0 {
		t.Errorf("web-1 got %d requests after it was drained", n)
	}
	if failures.Load() != 0 {
		t.Errorf("%d requests failed during the drain", failures.Load())
	}
	if ts := decodeRecorded(r.NewState).Groups["web"].Targets; !slices.Equal(ts, []string{a.addr().String()}) {
		t.Errorf("recorded targets %v", ts)
	}
	for _, kind := range []string{"target_draining", "target_drained"} {
		evs := e.eventsOf(kind)
		if len(evs) != 1 || evs[0].Instance != "web-1" || evs[0].Wave != 2 {
			t.Errorf("%s events: %+v", kind, evs)
		}
	}

	// Draining it again changes nothing; an instance of an app that is
	// no target here is an error, and changes nothing either.
	if r := e.step(providers.StepDrain, r.NewState, "dep-web", 0, b.appInstance()); r.Diagnostics.HasErrors() || len(e.health(group)) != 1 {
		t.Errorf("a second drain: %v", r.Diagnostics)
	}
	other := e.step(providers.StepDrain, r.NewState, "dep-other", 0, a.appInstance())
	if want := "load balancer drain has no target of app with deployment_id dep-other"; !strings.Contains(other.Diagnostics.Error(), want) {
		t.Errorf("a drain of another app: %v, want %q", other.Diagnostics, want)
	}
	if len(e.health(group)) != 1 {
		t.Errorf("a drain of another app changed the group: %v", e.health(group))
	}
}

// TestStepMatchesNothing: a step that would change nothing because it
// names nothing the load balancer serves fails, naming why: an app that
// is no target, an instance admitted without an address at the target's
// port.
func TestStepMatchesNothing(t *testing.T) {
	e := newEnv(t)
	a := newInstance(t, "web-0")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance()})
	st := e.mustApply(cty.NilVal, lbValue(t, "nothing", drainSrc, map[string]cty.Value{"web": web}))
	group := decodeRecorded(st).Groups["web"].ARN

	r := e.step(providers.StepAdmit, st, "dep-api", 5*time.Second, newInstance(t, "api-0").appInstance())
	if want := "load balancer nothing has no target of app with deployment_id dep-api"; !strings.Contains(r.Diagnostics.Error(), want) {
		t.Errorf("an admit of another app: %v, want %q", r.Diagnostics, want)
	}

	noAddr := newInstance(t, "web-1").appInstance()
	noAddr.Addresses = map[string]app.Address{"admin": {IP: "127.0.0.1", Port: 9090}}
	r = e.step(providers.StepAdmit, st, "dep-web", 5*time.Second, noAddr)
	msg := r.Diagnostics.Error()
	if !r.Diagnostics.HasErrors() || !strings.Contains(msg, "web-1") || !strings.Contains(msg, `port "http"`) {
		t.Errorf("an admit of an instance without an address at the target's port: %v", r.Diagnostics)
	}
	if h := e.health(group); len(h) != 1 {
		t.Errorf("the failed admits changed the group: %v", h)
	}
}

// TestStepDrainStopped: a drain stopped by Stop returns at once, with
// the instance recorded as no longer a target.
func TestStepDrainStopped(t *testing.T) {
	e := newEnv(t)
	a, b := newInstance(t, "web-0"), newInstance(t, "web-1")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance(), b.appInstance()})
	st := e.mustApply(cty.NilVal, lbValue(t, "stop", strings.Replace(drainSrc, `"20s"`, `"600s"`, 1), map[string]cty.Value{"web": web}))
	go func() {
		eventually(t, 10*time.Second, "draining", func() error {
			if len(e.eventsOf("target_draining")) == 0 {
				return errString("not draining yet")
			}
			return nil
		})
		_ = e.p.Stop(context.Background())
	}()
	start := time.Now()
	r := e.step(providers.StepDrain, st, "dep-web", 0, b.appInstance())
	if !r.Diagnostics.HasErrors() {
		t.Fatal("a stopped drain succeeded")
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the stopped drain returned after %s", took)
	}
	if ts := decodeRecorded(r.NewState).Groups["web"].Targets; !slices.Equal(ts, []string{a.addr().String()}) {
		t.Errorf("recorded targets after the stopped drain %v", ts)
	}
}

// TestStepAdmit admits a healthy instance (it gets traffic) and one whose
// health check fails: the step fails at its deadline naming the
// instance, the target and ELBv2's reason, and records it registered.
func TestStepAdmit(t *testing.T) {
	e := newEnv(t)
	a := newInstance(t, "web-0")
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{a.appInstance()})
	st := e.mustApply(cty.NilVal, lbValue(t, "admit", drainSrc, map[string]cty.Value{"web": web}))
	group := decodeRecorded(st).Groups["web"].ARN

	good := newInstance(t, "web-1")
	r := e.step(providers.StepAdmit, st, "dep-web", 30*time.Second, good.appInstance())
	if r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics.Error())
	}
	if h := e.health(group); h[good.addr().String()] != "healthy" {
		t.Fatalf("after the admit: %v", h)
	}
	if evs := e.eventsOf("target_healthy"); len(evs) != 1 || evs[0].Instance != "web-1" {
		t.Errorf("target_healthy events: %+v", evs)
	}
	eventually(t, 10*time.Second, "web-1 serves", func() error {
		if _, err := e.get(r.NewState, "80"); err != nil {
			return err
		}
		if good.hits.Load() == 0 {
			return errString("no request yet")
		}
		return nil
	})

	bad := newInstance(t, "web-2")
	bad.health.Store(500)
	start := time.Now()
	r2 := e.step(providers.StepAdmit, r.NewState, "dep-web", 3*time.Second, bad.appInstance())
	if took := time.Since(start); took < 3*time.Second || took > 15*time.Second {
		t.Errorf("the failed admit returned after %s (deadline 3s)", took)
	}
	if !r2.Diagnostics.HasErrors() {
		t.Fatal("admitting an unhealthy instance succeeded")
	}
	msg := r2.Diagnostics.Error()
	for _, want := range []string{"web-2", bad.addr().String(), "target web", "Target.ResponseCodeMismatch", "500"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the diagnostic does not name %q: %s", want, msg)
		}
	}
	want := []string{a.addr().String(), good.addr().String(), bad.addr().String()}
	slices.Sort(want)
	if ts := decodeRecorded(r2.NewState).Groups["web"].Targets; !slices.Equal(ts, want) {
		t.Errorf("recorded targets after the failed admit %v, want %v", ts, want)
	}
	if evs := e.eventsOf("target_registered"); len(evs) != 2 {
		t.Errorf("target_registered events: %+v", evs)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
