package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// canaryRun runs one part of a canary rollout of a, b, c from v1 to v2
// on p, starting from what p runs (v1 everywhere unless set).
func canaryRun(t *testing.T, p *platform, ro *providers.Rollout, part string) (string, hcl.Diagnostics) {
	t.Helper()
	if p.running == nil {
		old := planned("v1", "a", "b", "c")
		for i := range old {
			old[i].Planned, old[i].ID = false, fmt.Sprint(100+i)
		}
		p.running = old
	}
	// The recorded state keeps the stable spec on top, whatever runs.
	prior := stableValue(p.running)
	d := &Driver{Object: "app.x", Apply: p.apply, Hooks: p}
	ctx := context.Background()
	target := value(planned("v2", "a", "b", "c"))
	var diags hcl.Diagnostics
	switch part {
	case "canary":
		_, _, diags = d.Canary(ctx, prior, target, ro)
	case "promote":
		_, diags = d.Promote(ctx, prior, target, ro)
	case "abort":
		_, diags = d.Abort(ctx, prior, prior)
	}
	return names(p.running), diags
}

// stableValue is an app value recorded on spec v1 whose instances are
// ins (a canary among them, on v2).
func stableValue(ins []app.Instance) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"instances": app.InstancesValue(ins), "config_hash": cty.StringVal("v1")})
}

func TestCanary(t *testing.T) {
	ro := func() *providers.Rollout {
		return rolloutOf(providers.Rollout{AutoRevert: true, Canary: &providers.Canary{Instances: 1, Weight: 10}}, []string{"a"}, []string{"b", "c"})
	}
	t.Run("the canary starts beside the old instance and takes its weight, then pauses", func(t *testing.T) {
		p := &platform{}
		got, diags := canaryRun(t, p, ro(), "canary")
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		wantLog(t, p, "start wave 1 a", "canary 10% a@v2")
		if want := "a@v1,a@v2,b@v1,c@v1"; got != want {
			t.Errorf("running %s, want %s", got, want)
		}
		// Again with the same plan: nothing new starts.
		p.log = nil
		if _, diags := canaryRun(t, p, ro(), "canary"); diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		wantLog(t, p, "start wave 1 a", "canary 10% a@v2")
		if got := names(p.running); got != "a@v1,a@v2,b@v1,c@v1" {
			t.Errorf("after a second run: running %s", got)
		}
	})
	t.Run("promote rolls the waves out and retires the canary last", func(t *testing.T) {
		p := &platform{}
		if _, diags := canaryRun(t, p, ro(), "canary"); diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		p.log = nil
		got, diags := canaryRun(t, p, ro(), "promote")
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		wantLog(t, p,
			"admit wave 1 a@v2",
			"start wave 1 a", "admit wave 1 a@v2", "drain wave 1 a@v1", "stop wave 1 a",
			"start wave 2 b,c", "admit wave 2 b@v2,c@v2", "drain wave 2 b@v1,c@v1", "stop wave 2 b,c",
			"canary 0% ")
		if want := "a@v2,b@v2,c@v2"; got != want {
			t.Errorf("running %s, want %s", got, want)
		}
	})
	t.Run("abort retires the canary before any instance stops", func(t *testing.T) {
		p := &platform{}
		if _, diags := canaryRun(t, p, ro(), "canary"); diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		p.log = nil
		got, diags := canaryRun(t, p, ro(), "abort")
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		wantLog(t, p, "canary 0% ", "start wave 0 a,b,c", "admit wave 0 a@v1,b@v1,c@v1", "drain wave 0 a@v2", "stop wave 0 a,b,c")
		if want := "a@v1,b@v1,c@v1"; got != want {
			t.Errorf("running %s, want %s", got, want)
		}
	})
	t.Run("a failed wave of a promote retires the canary before the revert stops anything", func(t *testing.T) {
		p := &platform{unready: map[string]bool{"b": true}}
		if _, diags := canaryRun(t, p, ro(), "canary"); diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		p.log = nil
		got, diags := canaryRun(t, p, ro(), "promote")
		if !diags.HasErrors() {
			t.Fatal("the promote succeeded with an instance that never turns ready")
		}
		i := slices.Index(p.log, "canary 0% ")
		j := slices.IndexFunc(p.log, func(s string) bool { return strings.HasPrefix(s, "drain wave 0") })
		if i < 0 || j < 0 || i > j {
			t.Errorf("the canary was not retired before the revert drained the new instances: %q", p.log)
		}
		if want := "a@v1,b@v1,c@v1"; got != want {
			t.Errorf("running %s, want %s", got, want)
		}
	})
	t.Run("a canary that does not turn ready is removed, and the app keeps its previous spec", func(t *testing.T) {
		p := &platform{unready: map[string]bool{"a": true}}
		got, diags := canaryRun(t, p, ro(), "canary")
		if !diags.HasErrors() || !strings.Contains(diags.Error(), "did not run ready") || !strings.Contains(diags.Error(), "The canary was removed") {
			t.Fatalf("diagnostics: %v", diags)
		}
		if slices.ContainsFunc(p.log, func(s string) bool { return strings.HasPrefix(s, "canary 10%") }) {
			t.Errorf("an unready canary was given traffic: %q", p.log)
		}
		if want := "a@v1,b@v1,c@v1"; got != want {
			t.Errorf("running %s, want %s", got, want)
		}
	})
	t.Run("a router that cannot take the canary fails it, and the canary is removed", func(t *testing.T) {
		p := &platform{hookErr: map[string]error{"canary 10": errors.New("weights read back 100/0")}}
		got, diags := canaryRun(t, p, ro(), "canary")
		if !diags.HasErrors() || !strings.Contains(diags.Error(), "weights read back") {
			t.Fatalf("diagnostics: %v", diags)
		}
		if want := "a@v1,b@v1,c@v1"; got != want {
			t.Errorf("running %s, want %s", got, want)
		}
	})
}

func TestCanaryNames(t *testing.T) {
	ro := rolloutOf(providers.Rollout{Canary: &providers.Canary{Instances: 2, Weight: 5}}, []string{"a"}, []string{"b", "c"})
	old := planned("v1", "a", "b", "c")
	for i := range old {
		old[i].Planned, old[i].ID = false, fmt.Sprint(100+i)
	}
	target := value(planned("v2", "a", "b", "c"))
	if got := CanaryNames(value(old), target, ro); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("CanaryNames = %q, want the first members of the waves", got)
	}
	// c runs v2 beside its v1 instance (an earlier run's canary): it is
	// the canary, and the provider plans no work for it.
	running := append(slices.Clone(old), app.Instance{Name: "c", Host: "h", ID: "9", ConfigHash: "v2", Ready: true})
	resumed := rolloutOf(providers.Rollout{Canary: &providers.Canary{Instances: 1, Weight: 5}}, []string{"a"}, []string{"b"})
	if got := CanaryNames(value(running), target, resumed); !slices.Equal(got, []string{"c"}) {
		t.Errorf("CanaryNames with a canary running = %q, want [c]", got)
	}
	if got := CanaryNames(value(old), target, rolloutOf(providers.Rollout{}, []string{"a"})); got != nil {
		t.Errorf("CanaryNames of a rolling update = %q", got)
	}
}

func wantLog(t *testing.T, p *platform, want ...string) {
	t.Helper()
	if !slices.Equal(p.log, want) {
		t.Errorf("log:\n  %s\nwant:\n  %s", strings.Join(p.log, "\n  "), strings.Join(want, "\n  "))
	}
}
