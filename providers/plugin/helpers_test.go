package plugin_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/plugin"
	"github.com/berth-sh/berth/providers/testprovider"
)

// launch starts the test provider's executable and closes it at the end
// of the test.
func launch(t testing.TB) *plugin.Client {
	t.Helper()
	c, err := plugin.Launch(context.Background(), plugin.Spec{Name: "test", Path: testprovider.Build(t)})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// settings are the optional provider settings of the test provider.
type settings struct {
	delayMS      int
	applyEvents  int
	panicOnApply string
	cacheStore   bool
}

func providerConfig(store string, s settings) cty.Value {
	num := func(n int) cty.Value {
		if n == 0 {
			return cty.NullVal(cty.Number)
		}
		return cty.NumberIntVal(int64(n))
	}
	panicOn := cty.NullVal(cty.String)
	if s.panicOnApply != "" {
		panicOn = cty.StringVal(s.panicOnApply)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"store":          cty.StringVal(store),
		"delay_ms":       num(s.delayMS),
		"apply_events":   num(s.applyEvents),
		"panic_on_apply": panicOn,
		"cache_store":    cty.BoolVal(s.cacheStore),
	})
}

// launchConfigured launches the test provider and configures it with a
// store in a fresh temporary directory, whose path it returns.
func launchConfigured(t testing.TB, s settings) (*plugin.Client, string) {
	t.Helper()
	c := launch(t)
	store := filepath.Join(t.TempDir(), "store.json")
	resp := c.ConfigureProvider(context.Background(), providers.ConfigureProviderRequest{
		BerthVersion: "test", Config: providerConfig(store, s),
	})
	noErrors(t, "ConfigureProvider", resp.Diagnostics)
	return c, store
}

// objectConfig is the configuration of an "object" resource.
func objectConfig(name, value string, size int) cty.Value {
	v := cty.NullVal(cty.String)
	if value != "" {
		v = cty.StringVal(value)
	}
	sz := cty.NullVal(cty.Number)
	if size != 0 {
		sz = cty.NumberIntVal(int64(size))
	}
	return cty.ObjectVal(map[string]cty.Value{
		"id":     cty.NullVal(cty.String),
		"name":   cty.StringVal(name),
		"value":  v,
		"secret": cty.NullVal(cty.String),
		"size":   sz,
		"status": cty.NullVal(cty.String),
	})
}

// fleetType is the type of a "fleet" resource of the test provider.
var fleetType = cty.Object(map[string]cty.Type{
	"id": cty.String, "name": cty.String, "version": cty.String, "replicas": cty.Number,
	"fail": cty.List(cty.String), "max_unavailable": cty.Number, "auto_revert": cty.Bool,
	"rollout":     cty.Object(map[string]cty.Type{"strategy": cty.String, "canary": cty.Object(map[string]cty.Type{"instances": cty.Number, "weight": cty.Number})}),
	"config_hash": cty.String, "instances": cty.List(app.InstanceType),
})

// fleetConfig is the configuration of a "fleet" resource whose rollouts
// stop one old instance of each wave before starting its replacements.
func fleetConfig(name, version string, replicas int) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"id":              cty.NullVal(cty.String),
		"name":            cty.StringVal(name),
		"version":         cty.StringVal(version),
		"replicas":        cty.NumberIntVal(int64(replicas)),
		"fail":            cty.NullVal(cty.List(cty.String)),
		"max_unavailable": cty.NumberIntVal(1),
		"auto_revert":     cty.NullVal(cty.Bool),
		"rollout":         cty.NullVal(fleetType.AttributeType("rollout")),
		"config_hash":     cty.NullVal(cty.String),
		"instances":       cty.NullVal(cty.List(app.InstanceType)),
	})
}

// create plans and applies the creation of an object and returns its state.
func create(t testing.TB, c providers.Interface, cfg cty.Value) cty.Value {
	t.Helper()
	ctx := context.Background()
	plan := c.PlanResourceChange(ctx, providers.PlanResourceChangeRequest{
		TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), ProposedNewState: cfg, Config: cfg,
	})
	noErrors(t, "PlanResourceChange", plan.Diagnostics)
	apply := c.ApplyResourceChange(ctx, providers.ApplyResourceChangeRequest{
		TypeName: "object", PriorState: cty.NullVal(testprovider.ObjectType), PlannedState: plan.PlannedState,
		Config: cfg, PlannedPrivate: plan.PlannedPrivate,
	}, nil)
	noErrors(t, "ApplyResourceChange", apply.Diagnostics)
	return apply.NewState
}

func noErrors(t testing.TB, call string, diags hcl.Diagnostics) {
	t.Helper()
	if diags.HasErrors() {
		t.Fatalf("%s: %s", call, diagsString(diags))
	}
}

func diagsString(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

func attr(v cty.Value, name string) cty.Value {
	v, _ = v.UnmarkDeep()
	return v.GetAttr(name)
}
