package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// TestStateTypes: the computed attributes have the language's types.
func TestStateTypes(t *testing.T) {
	if !listenerStateType.Equals(lang.ListenerStateType) || !targetGroupType.Equals(lang.TargetGroupType) {
		t.Fatal("the provider's listeners or target_groups type is not the language's")
	}
	at := lang.LoadBalancerSchema().ImpliedType().AttributeTypes()
	if !at["listeners"].Equals(cty.Map(listenerStateType)) || !at["target_groups"].Equals(cty.Map(targetGroupType)) {
		t.Fatal("the language's load_balancer has other computed types")
	}
}

func addr(ip string, port int) map[string]app.Address {
	return map[string]app.Address{"http": {IP: ip, Port: port}}
}

// TestPlan plans without ELBv2: what is known, what is not, what forces
// a replacement.
func TestPlan(t *testing.T) {
	ins := []app.Instance{
		{Name: "web-1", ID: "c1", Ready: true, Addresses: addr("10.0.0.2", 8080)},
		{Name: "web-0", ID: "c0", Ready: true, Addresses: addr("10.0.0.1", 8080)},
		{Name: "web-2", ID: "c2", Ready: false, Addresses: addr("10.0.0.3", 8080)},
	}
	web := appValue(t, "web", webApp, "dep-web", ins)
	cfg := lbValue(t, "shop", lbSrc, map[string]cty.Value{"web": web})

	planned, replace, diags := planBalancer(cty.NullVal(cfg.Type()), cfg, nil)
	if diags.HasErrors() || len(replace) > 0 {
		t.Fatal(diags, replace)
	}
	for _, n := range []string{"arn", "dns_name", "zone_id"} {
		if planned.GetAttr(n).IsKnown() {
			t.Errorf("%s is known at create", n)
		}
	}
	l := planned.GetAttr("listeners").Index(cty.StringVal("80"))
	if l.GetAttr("arn").IsKnown() || !l.GetAttr("forward").Equals(cty.MapVal(map[string]cty.Value{"web": cty.NumberIntVal(1)})).True() {
		t.Errorf("planned listener %#v", l)
	}
	g := planned.GetAttr("target_groups").Index(cty.StringVal("web"))
	if want := listVal([]string{"10.0.0.1:8080", "10.0.0.2:8080"}); !g.GetAttr("targets").Equals(want).True() {
		t.Errorf("planned targets %#v: the ready instances, sorted", g.GetAttr("targets"))
	}

	// The app's instances known after apply: the targets too.
	unknownApp := appValue(t, "web", webApp, "", nil)
	p2, _, _ := planBalancer(cty.NullVal(cfg.Type()), lbValue(t, "shop", lbSrc, map[string]cty.Value{"web": unknownApp}), nil)
	if p2.GetAttr("target_groups").Index(cty.StringVal("web")).GetAttr("targets").IsKnown() {
		t.Error("targets known while the app's instances are not")
	}
	// A new instance (only planned, no address yet) likewise.
	planning := appValue(t, "web", webApp, "dep-web", append(ins[:2:2], app.Instance{Name: "web-2", Ready: true, Planned: true}))
	p3, _, _ := planBalancer(cty.NullVal(cfg.Type()), lbValue(t, "shop", lbSrc, map[string]cty.Value{"web": planning}), nil)
	if p3.GetAttr("target_groups").Index(cty.StringVal("web")).GetAttr("targets").IsKnown() {
		t.Error("targets known while an instance is only planned")
	}

	// An update keeps what exists.
	prior := (&recorded{ARN: "arn:lb", DNSName: "dns", ZoneID: "Z1",
		Listeners: map[string]listenerState{"80": {ARN: "arn:l80", Forward: map[string]int{"web": 1}}},
		Groups:    map[string]groupState{"web": {ARN: "arn:tg", Targets: []string{"10.0.0.1:8080", "10.0.0.2:8080"}}},
	}).with(cfg, nil)
	p4, replace, diags := planBalancer(prior, cfg, nil)
	if diags.HasErrors() || len(replace) > 0 || !p4.Equals(prior).True() {
		t.Fatalf("a plan of no change: %v %v\n%#v", diags, replace, p4)
	}
	// The app's port moved: its group is replaced, the rest kept.
	moved := appValue(t, "web", strings.Replace(webApp, "8080", "8081", 1), "dep-web", ins)
	p5, _, _ := planBalancer(prior, lbValue(t, "shop", lbSrc, map[string]cty.Value{"web": moved}), nil)
	if p5.GetAttr("target_groups").Index(cty.StringVal("web")).GetAttr("arn").IsKnown() || !p5.GetAttr("arn").Equals(cty.StringVal("arn:lb")).True() {
		t.Errorf("after a port change: %#v", p5.GetAttr("target_groups"))
	}
	// A listener added: its ARN unknown, the other's kept.
	p6, _, _ := planBalancer(prior, lbValue(t, "shop", lbSrc+"listener {\n port = 8080\n}\n", map[string]cty.Value{"web": web}), nil)
	ls := p6.GetAttr("listeners")
	if !ls.Index(cty.StringVal("80")).GetAttr("arn").IsKnown() || ls.Index(cty.StringVal("8080")).GetAttr("arn").IsKnown() {
		t.Errorf("listeners %#v", ls)
	}

	for _, tc := range []struct{ name, src string }{
		{"name", `name = "other"`},
		{"type", `type = "network"`},
		{"internal", `internal = true`},
	} {
		src := strings.Replace(lbSrc, "listener {", tc.src+"\nlistener {", 1)
		if tc.name == "type" {
			src = strings.Replace(src, "port = 80\n", "port = 80\nprotocol = \"TCP\"\n", 1)
		}
		_, replace, diags := planBalancer(prior, lbValue(t, "shop", src, map[string]cty.Value{"web": web}), nil)
		if diags.HasErrors() || len(replace) != 1 || !replace[0].Equals(cty.GetAttrPath(tc.name)) {
			t.Errorf("a change of %s: replace %v %v", tc.name, replace, diags)
		}
	}
	// A change of a tag is in place.
	if _, replace, _ := planBalancer(prior, lbValue(t, "shop", strings.Replace(lbSrc, `"shop"`, `"other"`, 1), map[string]cty.Value{"web": web}), nil); len(replace) > 0 {
		t.Errorf("a tag change replaces: %v", replace)
	}
}

// TestPlanMarks: a sensitive value in the configuration stays marked.
func TestPlanMarks(t *testing.T) {
	web := appValue(t, "web", webApp, "dep-web", []app.Instance{{Name: "web-0", ID: "c", Ready: true, Addresses: addr("10.0.0.1", 8080)}})
	cfg := lbValue(t, "shop", lbSrc, map[string]cty.Value{"web": web})
	marked, _ := cty.Transform(cfg, func(p cty.Path, v cty.Value) (cty.Value, error) {
		if p.Equals(cty.GetAttrPath("tags").Index(cty.StringVal("team"))) {
			return v.Mark(providers.SensitiveMark), nil
		}
		return v, nil
	})
	r := New().PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{TypeName: TypeLoadBalancer,
		PriorState: cty.NullVal(cfg.Type()), ProposedNewState: marked, Config: marked})
	if r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics)
	}
	if v := r.PlannedState.GetAttr("tags").Index(cty.StringVal("team")); !v.HasMark(providers.SensitiveMark) {
		t.Error("the sensitive tag lost its mark")
	}
}

func TestValidate(t *testing.T) {
	web := appValue(t, "web", webApp, "dep-web", nil)
	tests := []struct {
		name, src, want string
	}{
		{"valid", lbSrc, ""},
		{"network rule", `
type = "network"
listener {
  port = 80
  protocol = "TCP"
  rule {
    priority = 1
    path_patterns = ["/"]
    target = "web"
  }
}
target {
  app = app.web
  port = "http"
}`, "Rule of a network load balancer"},
		{"protocol of the other type", `
listener {
  port = 80
  protocol = "TCP"
}
target {
  app = app.web
  port = "http"
}`, "Listener protocol of another load balancer type"},
		{"https without certificate", `
listener {
  port = 443
  protocol = "HTTPS"
}
target {
  app = app.web
  port = "http"
}`, "Listener without a certificate"},
		{"unknown default target", `
listener {
  port = 80
  default_target = "api"
}
target {
  app = app.web
  port = "http"
}`, `No target is named "api"`},
		{"rule without condition", `
listener {
  port = 80
  rule {
    priority = 1
    target = "web"
  }
}
target {
  app = app.web
  port = "http"
}`, "Rule without a condition"},
		{"duplicate priority", `
listener {
  port = 80
  rule {
    priority = 1
    path_patterns = ["/a"]
    target = "web"
  }
  rule {
    priority = 1
    path_patterns = ["/b"]
    target = "web"
  }
}
target {
  app = app.web
  port = "http"
}`, "Duplicate rule priority"},
		{"duplicate target", `
listener {
  port = 80
}
target {
  app = app.web
  port = "http"
}
target {
  app = app.web
  port = "admin"
}`, "Duplicate target name"},
		{"reserved tag", strings.Replace(lbSrc, `team = "shop"`, `"berth:x" = "y"`, 1), "Reserved tag"},
		{"long deregistration delay", strings.Replace(lbSrc, `"5s"`, `"2h"`, 1), "Deregistration delay too long"},
		{"internal- name", `name = "internal-x"` + lbSrc, `beginning with "internal-"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := lbValue(t, "shop", tc.src, map[string]cty.Value{"web": web})
			diags := New().ValidateResourceConfig(context.Background(), providers.ValidateResourceConfigRequest{TypeName: TypeLoadBalancer, Config: v}).Diagnostics
			switch {
			case tc.want == "" && diags.HasErrors():
				t.Fatal(diags)
			case tc.want != "" && !strings.Contains(diags.Error(), tc.want):
				t.Fatalf("diagnostics %v, want %q", diags, tc.want)
			case tc.want != "" && providers.DiagnosticPath(diags[0]) == nil:
				t.Errorf("the diagnostic has no attribute path")
			}
		})
	}
}

// TestPlanPublishedHealthPort: behind instances reached at published
// ports, a health check of another port than the target's is a plan
// error, on the target (the app's readiness) or on health_check when
// that names the port; health_check naming the target's port fixes it.
func TestPlanPublishedHealthPort(t *testing.T) {
	readyAdmin := strings.Replace(webApp, `port = "http"`, `port = "admin"`, 1)
	published := []app.Instance{{Name: "web-0", ID: "c1", Ready: true, Addresses: addr("10.0.0.1", 32768)}}
	podIPs := []app.Instance{{Name: "web-0", ID: "p1", Ready: true, Addresses: addr("10.0.0.1", 8080)}}
	hc := func(port string) string { return "health_check {\n  http {\n    port = \"" + port + "\"\n  }\n}\n" }
	tests := []struct {
		name, app, extra string
		ins              []app.Instance
		path             cty.Path // nil: no error
	}{
		{"readiness of another port, published", readyAdmin, "", published, cty.GetAttrPath("target").IndexInt(0)},
		{"readiness of another port, pod IPs", readyAdmin, "", podIPs, nil},
		{"health_check of another port, published", webApp, hc("admin"), published, cty.GetAttrPath("health_check")},
		{"health_check back to the target port", readyAdmin, hc("http"), published, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			web := appValue(t, "web", tc.app, "dep-web", tc.ins)
			cfg := lbValue(t, "pub", lbSrc+tc.extra, map[string]cty.Value{"web": web})
			r := New().PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{
				TypeName: TypeLoadBalancer, PriorState: cty.NullVal(cfg.Type()), ProposedNewState: cfg, Config: cfg})
			switch {
			case tc.path == nil && r.Diagnostics.HasErrors():
				t.Fatal(r.Diagnostics.Error())
			case tc.path == nil:
				return
			case !r.Diagnostics.HasErrors():
				t.Fatal("planned without an error")
			}
			if msg := r.Diagnostics.Error(); !strings.Contains(msg, `port "admin" (container port 9090)`) || !strings.Contains(msg, "published 32768") {
				t.Errorf("diagnostic: %s", msg)
			}
			if got := providers.DiagnosticPath(r.Diagnostics[0]); !got.Equals(tc.path) {
				t.Errorf("path %#v, want %#v", got, tc.path)
			}
		})
	}
}
