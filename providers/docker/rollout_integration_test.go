//go:build integration

package docker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

func TestIntegrationNeverReadyRevert(t *testing.T) {
	for _, maxUnavail := range []int{0, 1} {
		t.Run(fmt.Sprintf("max_unavailable=%d", maxUnavail), func(t *testing.T) {
			h := newHarness(t, fmt.Sprintf("nr%d", time.Now().UnixNano()%1e6))
			reg := h.e.registry
			v1 := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 4, maxUnavail), reg)
			h.mustApply(v1, nil)
			before := app.DecodeInstances(h.state)
			id := str(h.state, "deployment_id")

			bad := h.config(fmt.Sprintf(appBody, h.e.image+":never-ready", 4, maxUnavail), reg)
			pl := h.plan(bad)
			if pl.Rollout == nil || !pl.Rollout.AutoRevert {
				t.Fatalf("rollout %+v", pl.Rollout)
			}
			// The poller: serving never drops below replicas - max_unavailable.
			var minServing atomic.Int64
			minServing.Store(100)
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ctx.Err() == nil {
					n, err := h.serving(ctx, id)
					if err == nil && ctx.Err() == nil && int64(n) < minServing.Load() {
						minServing.Store(int64(n))
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			began := time.Now()
			diags := h.apply(bad, pl, nil)
			stop()
			<-done
			if !diags.HasErrors() {
				t.Fatal("the never-ready rollout succeeded")
			}
			msg := diags.Error()
			for _, w := range []string{"healthy_deadline 5s", "answered 503", h.name + "-1"} {
				if !strings.Contains(msg, w) {
					t.Errorf("the failure does not say %q: %s", w, msg)
				}
			}
			if el := time.Since(began); el < 5*time.Second {
				t.Errorf("failed after %s, before healthy_deadline", el)
			}
			if got, want := minServing.Load(), int64(4-maxUnavail); got < want {
				t.Errorf("serving dropped to %d, want at least %d", got, want)
			}
			t.Logf("min serving %d; failure: %s", minServing.Load(), msg)
			// The state is the prior spec again, and says what runs.
			after := app.DecodeInstances(h.state)
			if len(after) != 4 || str(h.state, "image_digest") != str(pl.PlannedState, "image_digest") && str(h.state, "config_hash") == str(pl.PlannedState, "config_hash") {
				t.Errorf("state after revert: %+v", after)
			}
			for _, in := range after {
				if in.ConfigHash != before[0].ConfigHash || in.Status != statusRunning {
					t.Errorf("after revert %s runs %s (%s)", in.Name, in.ConfigHash, in.Status)
				}
			}
			if n, err := h.serving(t.Context(), id); n != 4 {
				t.Errorf("%d serving after revert (%v)", n, err)
			}
			if again := h.plan(v1); again.Rollout != nil {
				t.Errorf("after revert the prior config still rolls")
			}
		})
	}
}

// Stop during a wave: the call returns promptly with the state that
// exists (the old instances and the new, not yet ready one).
func TestIntegrationStopDuringWave(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("st%d", time.Now().UnixNano()%1e6))
	body := strings.Replace(appBody, `healthy_deadline = "5s"`, `healthy_deadline = "2m"`, 1)
	v1 := h.config(fmt.Sprintf(body, h.e.image+":v1", 2, 0), h.e.registry)
	h.mustApply(v1, nil)
	bad := h.config(fmt.Sprintf(body, h.e.image+":never-ready", 2, 0), h.e.registry)
	pl := h.plan(bad)
	if pl.Rollout == nil {
		t.Fatal("no rollout")
	}
	time.AfterFunc(1500*time.Millisecond, func() { _ = h.p.Stop(context.Background()) })
	began := time.Now()
	resp := h.step(bad, pl, providers.StepStart, 1)
	if el := time.Since(began); el > 20*time.Second {
		t.Errorf("Stop took %s to end the wave (healthy_deadline 2m)", el)
	}
	if !resp.Diagnostics.HasErrors() {
		t.Fatal("a stopped wave reported success")
	}
	ins := app.DecodeInstances(resp.NewState)
	var old, notReady int
	for _, in := range ins {
		switch {
		case in.ConfigHash == str(pl.PlannedState, "config_hash") && in.Status == statusNotReady:
			notReady++
		case in.ConfigHash != str(pl.PlannedState, "config_hash") && in.Status == statusRunning:
			old++
		}
	}
	if old != 2 || notReady != 1 || len(ins) != 3 {
		t.Errorf("partial state after Stop: %+v", ins)
	}
	// The next plan of the old config goes back without a rollout of old
	// instances: only the not-ready one is removed.
	if pl := h.plan(v1); pl.Rollout != nil {
		t.Errorf("plan after Stop rolls: %+v", pl.Rollout)
	}
}

// Ctrl-C in the middle of a wave leaves the wave's new container not_ready;
// the next apply removes it before it starts that instance again, never
// beside a fresh one, and ends with exactly replicas containers.
func TestIntegrationInterruptedWaveFinished(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("iw%d", time.Now().UnixNano()%1e6))
	body := strings.Replace(appBody, `healthy_deadline = "5s"`, `healthy_deadline = "1m"`, 1)
	v1 := h.config(fmt.Sprintf(body, h.e.image+":v1", 4, 0), h.e.registry)
	h.mustApply(v1, nil)
	// v2 turns ready only after 12s: the interrupt comes while it waits,
	// as soon as its container has started (however long that takes on a
	// busy machine).
	slow := strings.Replace(body, `period  = "200ms"`, "initial_delay = \"12s\"\n  period  = \"200ms\"", 1)
	v2 := h.config(fmt.Sprintf(slow, h.e.image+":v2", 4, 0), h.e.registry)
	pl := h.plan(v2)
	if pl.Rollout == nil {
		t.Fatal("no rollout")
	}
	h.mu.Lock()
	h.events = nil
	h.mu.Unlock()
	stepDone := make(chan struct{})
	go func() {
		for {
			select {
			case <-stepDone:
				return
			case <-time.After(100 * time.Millisecond):
			}
			h.mu.Lock()
			started := slices.ContainsFunc(h.events, func(ev providers.ApplyEvent) bool { return ev.Kind == "instance_started" })
			h.mu.Unlock()
			if started {
				_ = h.p.Stop(context.Background())
				return
			}
		}
	}()
	resp := h.step(v2, pl, providers.StepStart, 1)
	close(stepDone)
	if !resp.Diagnostics.HasErrors() {
		t.Fatal("an interrupted wave reported success")
	}
	h.state = resp.NewState // what the engine records: what exists
	var interrupted []app.Instance
	for _, in := range app.DecodeInstances(h.state) {
		if in.Status == statusNotReady {
			interrupted = append(interrupted, in)
		}
	}
	if len(interrupted) != 1 {
		t.Fatalf("the interrupted wave left %+v, want one not_ready container", app.DecodeInstances(h.state))
	}

	// The next apply, with the containers of each instance counted all
	// along: the old one and the new one at most, never the interrupted
	// attempt beside them.
	id := str(h.state, "deployment_id")
	most, mostOf := 0, ""
	done := make(chan struct{})
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			per := map[string]int{}
			for _, c := range h.containersOf(id) {
				per[c.Labels.Instance]++
				if n := per[c.Labels.Instance]; n > most {
					most, mostOf = n, c.Labels.Instance
				}
			}
		}
	}()
	h.mu.Lock()
	h.events = nil
	h.mu.Unlock()
	h.converges(v2, 4)
	close(done)
	<-counted
	h.noneOf(interrupted)
	if most > 2 {
		t.Errorf("%s had %d containers at once during the next apply, want 2 at most (the old and the new)", mostOf, most)
	}
	name := interrupted[0].Name
	removed, started := -1, -1
	h.mu.Lock()
	for i, ev := range h.events {
		if ev.Instance != name {
			continue
		}
		if removed < 0 && strings.Contains(ev.Message, "an earlier attempt that never turned ready") {
			removed = i
		}
		if started < 0 && ev.Kind == "instance_started" {
			started = i
		}
	}
	h.mu.Unlock()
	if removed < 0 || started < 0 || removed > started {
		t.Errorf("%s: removal of the interrupted attempt at event %d, the fresh start at %d; want the removal first", name, removed, started)
	}
}

// Until its rollout completes, an app's recorded spec is the previous one,
// with the instances as they run: after wave 1 of 3, one instance runs v2
// and the state still says v1, so the next plan rolls on from there and a
// revert goes back to v1.
func TestIntegrationSpecChangesWhenTheRolloutCompletes(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("sp%d", time.Now().UnixNano()%1e6))
	v1 := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 4, 0), h.e.registry)
	h.mustApply(v1, nil)
	v1Hash, v1Digest := str(h.state, "config_hash"), str(h.state, "image_digest")
	v2 := h.config(fmt.Sprintf(appBody, h.e.image+":v2", 4, 0), h.e.registry)
	pl := h.plan(v2)
	if pl.Rollout == nil || len(pl.Rollout.Waves) != 3 {
		t.Fatalf("rollout %+v", pl.Rollout)
	}
	for _, kind := range []providers.StepKind{providers.StepStart, providers.StepStop} {
		if resp := h.step(v2, pl, kind, 1); resp.Diagnostics.HasErrors() {
			t.Fatal(resp.Diagnostics)
		}
	}
	if str(h.state, "config_hash") != v1Hash || str(h.state, "image_digest") != v1Digest {
		t.Errorf("after wave 1 the state records spec %s (%s), want the previous %s", str(h.state, "config_hash"), str(h.state, "image_digest"), v1Hash)
	}
	onNew := 0
	for _, in := range app.DecodeInstances(h.state) {
		if in.ConfigHash == str(pl.PlannedState, "config_hash") {
			onNew++
		}
	}
	if onNew != 1 || len(app.DecodeInstances(h.state)) != 4 {
		t.Errorf("after wave 1: %d of %d instances on v2, want 1 of 4", onNew, len(app.DecodeInstances(h.state)))
	}
	// The next plan rolls out only the rest.
	if again := h.plan(v2); again.Rollout == nil || len(again.Rollout.Waves) != 2 {
		t.Errorf("the next plan's rollout: %+v", again.Rollout)
	}
}

// After a failed rollout without auto_revert, the state says what exists:
// the old containers still running the old digest, the failed new one
// not_ready.
func TestIntegrationFailedRolloutNoRevertState(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("nv%d", time.Now().UnixNano()%1e6))
	ready := "readiness {\n http {\n path = \"/healthz\"\n port = \"http\"\n }\n period = \"200ms\"\n timeout = \"150ms\"\n}\n"
	body := func(tag string) string {
		return strings.Replace(bareAppBody(h.e.image+":"+tag, 2, ready), "rollout {", "rollout {\n  auto_revert = false", 1)
	}
	h.mustApply(h.config(body("v1"), h.e.registry), nil)
	v1 := str(h.state, "image_digest")
	bad := h.config(body("never-ready"), h.e.registry)
	pl := h.plan(bad)
	if pl.Rollout == nil || pl.Rollout.AutoRevert {
		t.Fatalf("rollout %+v", pl.Rollout)
	}
	if diags := h.apply(bad, pl, nil); !diags.HasErrors() {
		t.Fatal("the never-ready rollout succeeded")
	}
	ins := app.DecodeInstances(h.state)
	var old, failed int
	for _, in := range ins {
		switch {
		case in.ImageDigest == v1 && in.Status == statusRunning:
			old++
		case in.ImageDigest == str(pl.PlannedState, "image_digest") && in.Status == statusNotReady:
			failed++
		default:
			t.Errorf("instance %+v", in)
		}
	}
	if old != 2 || failed != 1 {
		t.Errorf("state after the failed wave: %d old running, %d failed not_ready: %+v", old, failed, ins)
	}
}
