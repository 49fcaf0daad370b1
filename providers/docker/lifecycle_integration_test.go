//go:build integration

package docker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

func TestIntegrationAppCreateRolloutDriftDestroy(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("it%d", time.Now().UnixNano()%1e6))
	reg := h.e.registry
	v1 := h.config(fmt.Sprintf(appBody, h.e.image+":v1", 4, 0), reg)

	// Create: 4 replicas spread over the two hosts, no rollout.
	pl := h.plan(v1)
	if pl.Rollout != nil {
		t.Errorf("create planned a rollout: %+v", pl.Rollout)
	}
	h.mustApply(v1, nil)
	ins := app.DecodeInstances(h.state)
	perHost := map[string]int{}
	for _, in := range ins {
		perHost[in.Host]++
		if code, body := httpGet(in.Addresses["http"], "/version"); code != 200 || body != "v1" {
			t.Errorf("%s: /version %d %q", in.Name, code, body)
		}
	}
	if len(ins) != 4 || perHost[h.e.hostA.Name] != 2 || perHost[h.e.hostB.Name] != 2 {
		t.Fatalf("instances %+v", ins)
	}

	// No change: an empty plan.
	if again := h.plan(v1); again.Rollout != nil || !again.PlannedState.RawEquals(h.state) {
		t.Errorf("a second plan is not empty: rollout %v", again.Rollout)
	}

	// v1 → v2 in waves 1, 2, 1, each ready before the next.
	v2 := h.config(fmt.Sprintf(appBody, h.e.image+":v2", 4, 0), reg)
	pl = h.plan(v2)
	if pl.Rollout == nil {
		t.Fatal("an image change planned no rollout")
	}
	var sizes []int
	for _, w := range pl.Rollout.Waves {
		sizes = append(sizes, len(w.Instances))
	}
	if !slices.Equal(sizes, []int{1, 2, 1}) {
		t.Fatalf("waves %v, want [1 2 1]", sizes)
	}
	if got := str(pl.PlannedState, "image_digest"); got == str(h.state, "image_digest") || !strings.Contains(got, "@sha256:") {
		t.Errorf("image_digest %s", got)
	}
	h.events = nil
	newV2 := 0
	h.apply(v2, pl, func(w int) {
		n := 0
		for _, in := range app.DecodeInstances(h.state) {
			if in.ImageDigest == str(pl.PlannedState, "image_digest") {
				n++
				if code, body := httpGet(in.Addresses["http"], "/version"); code != 200 || body != "v2" {
					t.Errorf("wave %d: %s answers %d %q", w, in.Name, code, body)
				}
			}
		}
		if n != newV2+sizes[w] {
			t.Errorf("after wave %d: %d instances on v2, want %d", w, n, newV2+sizes[w])
		}
		newV2 = n
		if len(app.DecodeInstances(h.state)) != 4 {
			t.Errorf("after wave %d: %d containers, want 4", w, len(app.DecodeInstances(h.state)))
		}
	})
	// Events: each wave's instances are healthy, then the old ones stop,
	// before the next wave starts; the provider's events carry the wave
	// number the driver gave the step (1-based, as the plan shows).
	var order []string
	for _, ev := range h.events {
		switch ev.Kind {
		case "wave_started", "wave_done":
			order = append(order, fmt.Sprintf("%s %d", ev.Kind, ev.Wave))
		case "instance_healthy":
			order = append(order, fmt.Sprintf("healthy %d", ev.Wave))
		case "instance_stopped":
			order = append(order, fmt.Sprintf("stopped %d", ev.Wave))
		}
	}
	want := []string{"wave_started 1", "healthy 1", "stopped 1", "wave_done 1",
		"wave_started 2", "healthy 2", "healthy 2", "stopped 2", "stopped 2", "wave_done 2",
		"wave_started 3", "healthy 3", "stopped 3", "wave_done 3"}
	if !slices.Equal(order, want) {
		t.Errorf("events\n%q\nwant\n%q", order, want)
	}
	if again := h.plan(v2); again.Rollout != nil {
		t.Errorf("after the rollout, a plan still rolls: %+v", again.Rollout)
	}

	// Drift: a container removed behind berth's back.
	victim := app.DecodeInstances(h.state)[1]
	hostCfg := map[string]engine.HostConfig{h.e.hostA.Name: h.e.hostA, h.e.hostB.Name: h.e.hostB}[victim.Host]
	eng, _, err := h.p.host(t.Context(), hostCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Remove(t.Context(), victim.ID); err != nil {
		t.Fatal(err)
	}
	h.state = h.read()
	if n := len(app.DecodeInstances(h.state)); n != 3 {
		t.Fatalf("refresh after removal: %d instances, want 3", n)
	}
	pl = h.plan(v2)
	if pl.Rollout != nil {
		t.Errorf("drift repair planned a rollout")
	}
	h.mustApply(v2, nil)
	if ins := app.DecodeInstances(h.state); len(ins) != 4 || !slices.ContainsFunc(ins, func(in app.Instance) bool { return in.Name == victim.Name }) {
		t.Errorf("after repair: %+v", ins)
	}

	// Destroy removes exactly berth's containers: a foreign one survives.
	foreign, err := eng.Create(t.Context(), engine.ContainerSpec{Name: h.name + "-foreign", Image: str(h.state, "image_digest"), Labels: map[string]string{"sh.berth.app": h.name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Remove(context.Background(), foreign) })
	resp := h.p.ApplyResourceChange(t.Context(), providers.ApplyResourceChangeRequest{TypeName: TypeApp, PriorState: h.state, PlannedState: nullAppForTest()}, nil)
	if resp.Diagnostics.HasErrors() || !resp.NewState.IsNull() {
		t.Fatalf("destroy: %v", resp.Diagnostics)
	}
	for _, cfg := range []engine.HostConfig{h.e.hostA, h.e.hostB} {
		host, _, _ := h.p.host(t.Context(), cfg)
		cs, _ := host.ListManaged(t.Context(), str(h.state, "deployment_id"))
		if len(cs) != 0 {
			t.Errorf("%s: %d containers left", cfg.Name, len(cs))
		}
	}
	if _, err := eng.Inspect(t.Context(), foreign); err != nil {
		t.Errorf("the foreign container is gone: %v", err)
	}
}
