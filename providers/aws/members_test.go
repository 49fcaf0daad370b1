package aws

import (
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// TestMembers: a target serves its app's ready instances with an address
// at its port, one per address, never a planned one; unknown instances,
// or a planned one that will be ready, leave it unknown. The plan's targets and apply's registrations both
// come from here.
func TestMembers(t *testing.T) {
	ready := func(name, ip string, port int) app.Instance {
		return app.Instance{Name: name, ID: "c-" + name, Ready: true, Addresses: addr(ip, port)}
	}
	planned := ready("web-9", "10.0.0.9", 8080)
	planned.Planned = true
	plannedNotReady := planned
	plannedNotReady.Ready = false
	notReady := ready("web-3", "10.0.0.3", 8080)
	notReady.Ready = false
	otherPort := app.Instance{Name: "web-4", ID: "c4", Ready: true, Addresses: map[string]app.Address{"admin": {IP: "10.0.0.4", Port: 9090}}}
	tests := []struct {
		name  string
		ins   []app.Instance // nil: unknown
		want  []string
		known bool
	}{
		{"unknown instances", nil, nil, false},
		{"none", []app.Instance{}, []string{}, true},
		{"ready ones, sorted, one per address", []app.Instance{ready("web-1", "10.0.0.2", 8080), ready("web-0", "10.0.0.1", 8080), ready("web-2", "10.0.0.1", 8080)},
			[]string{"10.0.0.1:8080", "10.0.0.2:8080"}, true},
		{"not ready, planned, other port: left out", []app.Instance{ready("web-0", "10.0.0.1", 8080), plannedNotReady, notReady, otherPort},
			[]string{"10.0.0.1:8080"}, true},
		// Its address is known only after apply.
		{"planned and ready: unknown", []app.Instance{ready("web-0", "10.0.0.1", 8080), planned}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := decodeTarget(cty.ObjectVal(map[string]cty.Value{
				"name": cty.NullVal(cty.String), "port": cty.StringVal("http"), "app": appValue(t, "web", webApp, "dep-web", tc.ins)}))
			if err != nil {
				t.Fatal(err)
			}
			ms, known := tg.members()
			if known != tc.known {
				t.Fatalf("known %v, want %v", known, tc.known)
			}
			if got := addrsOf(ms); known && !slices.Equal(got, tc.want) {
				t.Errorf("members %v, want %v", got, tc.want)
			}
		})
	}
}
