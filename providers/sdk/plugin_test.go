package sdk

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/plugin"
)

// The out-of-process tests launch this test binary itself as the plugin:
// with pluginEnv set, TestMain serves the test provider instead of running
// tests, exactly as a provider's main calls Serve.
const pluginEnv = "BERTH_SDK_TEST_SERVE_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) == "1" {
		Serve(newTestProvider(&testEnv{}))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestOutOfProcess(t *testing.T) {
	t.Setenv(pluginEnv, "1") // inherited by the plugin process
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, err := plugin.Launch(context.Background(), plugin.Spec{Name: "acme/widgets", Path: exe})
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	defer c.Close()
	ctx := context.Background()
	p := newTestProvider(&testEnv{}) // in process, only to build values

	if d := c.GetSchema(ctx).Diagnostics; d.HasErrors() {
		t.Fatal(d.Error())
	}
	if d := c.ConfigureProvider(ctx, providers.ConfigureProviderRequest{Config: cty.ObjectVal(map[string]cty.Value{"region": cty.StringVal("eu")})}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Error())
	}

	t.Run("sensitive values stay marked across the process boundary", func(t *testing.T) {
		config := cfg(p, map[string]cty.Value{"name": cty.StringVal("a"), "secret": cty.StringVal("pw"), "note": cty.StringVal("n").Mark(providers.SensitiveMark)})
		plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "widget", Config: config, ProposedNewState: config})
		if plan.Diagnostics.HasErrors() {
			t.Fatal(plan.Diagnostics.Error())
		}
		apply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: cty.NullVal(config.Type()), PlannedState: plan.PlannedState}, nil)
		if apply.Diagnostics.HasErrors() {
			t.Fatal(apply.Diagnostics.Error())
		}
		for _, v := range []cty.Value{plan.PlannedState, apply.NewState} {
			if !v.GetAttr("secret").HasMark(providers.SensitiveMark) || !v.GetAttr("note").HasMark(providers.SensitiveMark) || v.GetAttr("id").IsMarked() {
				t.Errorf("marks lost: %#v", v)
			}
		}
	})

	t.Run("a create's idempotency key crosses to Create, and Lookup finds the object by it", func(t *testing.T) {
		config := cfg(p, map[string]cty.Value{"name": cty.StringVal("k"), "secret": cty.StringVal("pw")})
		plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "widget", Config: config, ProposedNewState: config})
		apply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
			TypeName: "widget", PriorState: cty.NullVal(config.Type()), PlannedState: plan.PlannedState, IdempotencyKey: "key-k",
		}, nil)
		if apply.Diagnostics.HasErrors() {
			t.Fatal(apply.Diagnostics.Error())
		}
		resp := c.LookupResources(ctx, providers.LookupResourcesRequest{Objects: []providers.LookupObject{
			{ID: "widget.k", TypeName: "widget", IdempotencyKey: "key-k", Planned: plan.PlannedState},
			{ID: "widget.other", TypeName: "widget", IdempotencyKey: "key-other", Planned: plan.PlannedState},
		}})
		if resp.Diagnostics.HasErrors() || len(resp.Results) != 2 {
			t.Fatalf("%v, %d results", resp.Diagnostics, len(resp.Results))
		}
		if r := resp.Results[0]; r.ID != "widget.k" || !r.Found || !r.State.RawEquals(apply.NewState) {
			t.Errorf("lookup of the created widget: %+v\nwant state %#v", r, apply.NewState)
		}
		if r := resp.Results[1]; r.ID != "widget.other" || r.Found || r.Diagnostics.HasErrors() {
			t.Errorf("lookup of a key never used: %+v", r)
		}
	})

	t.Run("Stop cancels an apply in flight", func(t *testing.T) {
		config := cfg(p, map[string]cty.Value{"name": cty.StringVal("slow")})
		plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{TypeName: "widget", Config: config, ProposedNewState: config})
		started := make(chan struct{}, 1)
		done := make(chan providers.ApplyResourceChangeResponse, 1)
		go func() {
			done <- c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{TypeName: "widget", PriorState: cty.NullVal(config.Type()), PlannedState: plan.PlannedState},
				func(e providers.ApplyEvent) {
					if e.Kind == "progress" {
						started <- struct{}{}
					}
				})
		}()
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("the apply never started")
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		select {
		case resp := <-done:
			if !strings.Contains(resp.Diagnostics.Error(), "context canceled") || !resp.NewState.GetAttr("id").RawEquals(cty.StringVal("w-slow")) {
				t.Errorf("stopped apply: %v %#v", resp.Diagnostics, resp.NewState)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Stop did not end the apply")
		}
	})
}
