package aws

import (
	"context"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// TestDeregistrationDelayDefault leaves deregistration_delay unset: each
// target group takes its app's hooks.drain, else ELBv2's 300s, and the
// next refresh and plan find no change.
func TestDeregistrationDelayDefault(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := newInstance(t, "web-0"), newInstance(t, "api-0")
	web := appValue(t, "web", webApp+"\nhooks {\n  drain = \"7s\"\n}\n", "dep-web", []app.Instance{a.appInstance()})
	api := appValue(t, "api", webApp, "dep-api", []app.Instance{b.appInstance()})
	src := `
subnets = ["subnet-a", "subnet-b"]
listener {
  port = 80
  rule {
    priority      = 1
    path_patterns = ["/api/*"]
    target        = "api"
  }
}
target {
  app  = app.web
  port = "http"
}
target {
  app  = app.api
  port = "http"
}
`
	cfg := lbValue(t, "delay", src, map[string]cty.Value{"web": web, "api": api})
	st := e.mustApply(cty.NilVal, cfg)
	if d := st.GetAttr("deregistration_delay"); !d.IsNull() {
		t.Errorf("the state records deregistration_delay %#v, want null", d)
	}
	rec := decodeRecorded(st)
	for name, want := range map[string]string{"web": "7", "api": "300"} {
		attrs, err := groupAttributes(ctx, e.sdk, rec.Groups[name].ARN)
		if err != nil {
			t.Fatal(err)
		}
		if got := attrs[attrDeregistrationDelay]; got != want {
			t.Errorf("deregistration delay of %s's group: %q, want %q", name, got, want)
		}
	}
	r := e.read(st)
	if !r.NewState.Equals(st).True() {
		t.Fatalf("refresh found a change:\n%#v", r.NewState.GetAttr("deregistration_delay"))
	}
	if pr := e.plan(r.NewState, cfg); !pr.PlannedState.Equals(r.NewState).True() {
		t.Errorf("the next plan changes the load balancer:\n%#v", pr.PlannedState)
	}

	// Changed by hand: refresh shows the delay the group has.
	if err := (&applier{c: e.sdk}).setDeregistrationDelay(ctx, rec.Groups["web"].ARN, 0); err != nil {
		t.Fatal(err)
	}
	if d := e.read(st).NewState.GetAttr("deregistration_delay"); !d.Equals(cty.StringVal("0s")).True() {
		t.Errorf("refresh after a change by hand: deregistration_delay %#v, want \"0s\"", d)
	}
}
