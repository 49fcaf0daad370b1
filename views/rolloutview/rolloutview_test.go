package rolloutview

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/state"
)

var started = time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)

// canaryState records app.web on v1 with a canary web-0 on v2 at 10%,
// behind load_balancer.web.
func canaryState(t *testing.T) *state.State {
	t.Helper()
	in := func(name, id, hash, port string, ready bool) app.Instance {
		p := 32768
		if port != "" {
			p = 32769
		}
		return app.Instance{Name: name, Host: "edge-1", ID: id, Status: "running", Ready: ready, ConfigHash: hash, ImageDigest: "sha256:" + hash,
			Addresses: map[string]app.Address{"http": {IP: "10.0.0.1", Port: p}}}
	}
	web := cty.ObjectVal(map[string]cty.Value{
		"config_hash": cty.StringVal("v1"), "image_digest": cty.StringVal("sha256:v1"),
		"instances": app.InstancesValue([]app.Instance{in("web-0", "c1", "v1", "", true), in("web-1", "c2", "v1", "", true), in("web-0", "c9", "v2", "x", true)}),
	})
	lb := cty.ObjectVal(map[string]cty.Value{
		"listeners": cty.MapVal(map[string]cty.Value{"80": cty.ObjectVal(map[string]cty.Value{
			"arn":     cty.StringVal("arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/web/1/2"),
			"forward": cty.MapVal(map[string]cty.Value{"web": cty.NumberIntVal(90), "web (canary)": cty.NumberIntVal(10)}),
		})}),
	})
	st := state.New()
	appAddr := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}
	st.SetInstance(appAddr.Instance(addrs.NoKey), "cluster.edge", &state.Object{Value: web,
		Canary: &state.Canary{Instances: []string{"web-0"}, Weight: 10, ImageDigest: "sha256:v2", ConfigHash: "v2", Started: started}})
	st.SetInstance(addrs.Resource{Mode: addrs.Managed, Type: "load_balancer", Name: "web"}.Instance(addrs.NoKey), "provider.aws",
		&state.Object{Value: lb, Dependencies: []addrs.Resource{appAddr}})
	return st
}

func TestRender(t *testing.T) {
	st := canaryState(t)
	addr := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}.Instance(addrs.NoKey)
	s, diags := core.RolloutStatusOf(st, addr)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var text bytes.Buffer
	Text(&text, s, false, started.Add(90*time.Second))
	golden.Check(t, filepath.Join("testdata", "canary.golden"), text.Bytes())
	var js bytes.Buffer
	if err := JSON(&js, s); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "canary.json.golden"), js.Bytes())
	var doc struct {
		Phase  string `json:"phase"`
		Canary struct {
			Weight int `json:"weight"`
		} `json:"canary"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || doc.Phase != "canary" || doc.Canary.Weight != 10 {
		t.Errorf("JSON status: %+v, %v", doc, err)
	}

	// Without the canary record, the two specs are an interrupted rollout.
	obj := st.Instance(addr)
	st.SetInstance(addr, "cluster.edge", &state.Object{Value: obj.Value})
	s, _ = core.RolloutStatusOf(st, addr)
	if s.Phase != core.RolloutInterrupted || s.Count(core.RoleNew) != 1 || s.Count(core.RoleStable) != 2 {
		t.Errorf("without a canary record: phase %s, %d new, %d stable", s.Phase, s.Count(core.RoleNew), s.Count(core.RoleStable))
	}
}
