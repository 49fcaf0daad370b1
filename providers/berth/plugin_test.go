package berth

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/plugin"
	"github.com/berth-sh/berth/state"
)

// The out-of-process test launches this test binary itself as the
// provider plugin, as berth launches itself in provider mode.
const pluginEnv = "BERTH_REMOTE_STATE_TEST_SERVE_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) == "1" {
		plugin.Serve(New())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Across the process boundary the outputs keep their own types, and only
// the sensitive ones are marked.
func TestRemoteStateOutOfProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.state")
	writeState(t, path, "default", networkOutputs())

	t.Setenv(pluginEnv, "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := plugin.Launch(ctx, plugin.Spec{Name: Name, Path: exe})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	schema := c.GetSchema(ctx)
	if schema.Diagnostics.HasErrors() {
		t.Fatal(schema.Diagnostics.Error())
	}
	if a := schema.DataSources["remote_state"].Block.Attributes["outputs"]; a == nil || !a.Computed || a.Type != cty.DynamicPseudoType {
		t.Fatalf("outputs attribute: %#v", a)
	}
	if d := c.ConfigureProvider(ctx, providers.ConfigureProviderRequest{Config: cty.EmptyObjectVal}).Diagnostics; d.HasErrors() {
		t.Fatal(d.Error())
	}
	resp := c.ReadDataSource(ctx, providers.ReadDataSourceRequest{TypeName: "remote_state",
		Config: dataConfig("local", pathConfig(path), "", cty.NilVal)})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	outputs := resp.State.GetAttr("outputs")
	want := networkOutputs()
	for name, o := range want {
		got := outputs.GetAttr(name)
		if got.HasMark(state.SensitiveMark) != o.Sensitive {
			t.Errorf("outputs.%s: sensitive %v, want %v", name, got.HasMark(state.SensitiveMark), o.Sensitive)
		}
		if g, _ := got.Unmark(); !g.RawEquals(o.Value) {
			t.Errorf("outputs.%s = %#v, want %#v", name, g, o.Value)
		}
	}
}
