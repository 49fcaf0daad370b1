package probe

import (
	"reflect"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

func TestTargetHealth(t *testing.T) {
	http := app.PortRef{Name: "http"}
	readiness := &app.Probe{HTTP: &app.HTTPCheck{Path: "/health", Port: http, Scheme: "HTTP", Status: []int{200}},
		Period: 5 * time.Second, Timeout: time.Second, FailureThreshold: 2, SuccessThreshold: 1}
	sec, two := 2*time.Second, 4
	path := "/ready"
	tests := []struct {
		name      string
		readiness *app.Probe
		o         Override
		want      app.Probe
	}{
		{"the readiness probe as it is", readiness, Override{}, *readiness},
		{"timing overridden", readiness, Override{Timeout: &sec, FailureThreshold: &two},
			app.Probe{HTTP: readiness.HTTP, Period: 5 * time.Second, Timeout: 2 * time.Second, FailureThreshold: 4, SuccessThreshold: 1}},
		{"http fields overridden", readiness, Override{HTTP: &HTTPOverride{Path: &path}},
			app.Probe{HTTP: &app.HTTPCheck{Path: "/ready", Port: http, Scheme: "HTTP", Status: []int{200}}, Period: 5 * time.Second, Timeout: time.Second, FailureThreshold: 2, SuccessThreshold: 1}},
		{"tcp replaces http", readiness, Override{TCP: &TCPOverride{}},
			app.Probe{TCP: &http, Period: 5 * time.Second, Timeout: time.Second, FailureThreshold: 2, SuccessThreshold: 1}},
		{"no readiness: tcp on the target port, with defaults", nil, Override{},
			app.Probe{TCP: &http}.WithDefaults()},
		{"an exec readiness keeps its timing, checked by tcp", &app.Probe{Exec: []string{"/ok"}, Period: time.Minute}, Override{},
			app.Probe{TCP: &http, Period: time.Minute}.WithDefaults()},
		{"http written on a tcp base", nil, Override{HTTP: &HTTPOverride{Path: &path}},
			app.Probe{HTTP: &app.HTTPCheck{Path: "/ready", Port: http, Scheme: "HTTP"}}.WithDefaults()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TargetHealth(tt.readiness, http, tt.o)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
	if readiness.HTTP.Path != "/health" {
		t.Error("TargetHealth changed the app's readiness probe")
	}
}

func TestDecodeOverride(t *testing.T) {
	v := cty.ObjectVal(map[string]cty.Value{
		"period": cty.StringVal("30s"), "timeout": cty.NullVal(cty.String),
		"failure_threshold": cty.NumberIntVal(5), "success_threshold": cty.NullVal(cty.Number),
		"http": cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal("/up"), "port": cty.NullVal(cty.String),
			"scheme": cty.NullVal(cty.String), "status": cty.ListVal([]cty.Value{cty.NumberIntVal(204)})}),
		"tcp": cty.NullVal(cty.Object(map[string]cty.Type{"port": cty.String})),
	})
	o, err := DecodeOverride(v)
	if err != nil {
		t.Fatal(err)
	}
	if o.Period == nil || *o.Period != 30*time.Second || o.Timeout != nil || o.FailureThreshold == nil || *o.FailureThreshold != 5 ||
		o.HTTP == nil || *o.HTTP.Path != "/up" || o.HTTP.Port != nil || !reflect.DeepEqual(o.HTTP.Status, []int{204}) || o.TCP != nil {
		t.Errorf("decoded %+v", o)
	}
}
