package docker

import (
	"net/netip"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/providers/docker/engine"
)

func TestRegisteredAsBuiltin(t *testing.T) {
	f, ok := builtin.Lookup("docker")
	if !ok {
		t.Fatal("docker is not a built-in provider")
	}
	if _, ok := f.New().(*Provider); !ok {
		t.Fatal("the docker factory does not make a *Provider")
	}
	if p, name, ok := builtin.Platform("docker"); !ok || name != "docker" || p.Cluster == nil {
		t.Fatalf("cluster kind docker: %v %q %v", p, name, ok)
	}
}

func TestInstancesOf(t *testing.T) {
	ports := []app.Port{{Name: "http", Container: 8080, Protocol: "tcp"}}
	b := netip.MustParseAddr("192.0.2.7")
	ls := []live{
		{Host: "a", Container: engine.Container{ID: "c2", State: "running", Health: "unhealthy", Image: "r@sha256:2", Labels: engine.InstanceLabels{Instance: "web-2", ConfigHash: "h"}, Ports: map[string]uint16{"8080/tcp": 32000}}},
		{Host: "b", Address: b, Container: engine.Container{ID: "c1", State: "running", Image: "r@sha256:1", Labels: engine.InstanceLabels{Instance: "web-1", ConfigHash: "h"}, Ports: map[string]uint16{"8080/tcp": 32001, "9/tcp": 32002}}},
		{Host: "b", Container: engine.Container{ID: "c3", State: "running", Labels: engine.InstanceLabels{Instance: "web-3"}}},
		{Host: "b", Container: engine.Container{ID: "c4", State: "exited", Labels: engine.InstanceLabels{Instance: "web-4"}}},
	}
	got := instancesOf(ls, ports, map[string]bool{"c3": true})
	want := map[string]string{"web-1": statusRunning, "web-2": statusUnhealthy, "web-3": statusNotReady, "web-4": "exited"}
	for _, in := range got {
		if in.Status != want[in.Name] {
			t.Errorf("%s: status %s, want %s", in.Name, in.Status, want[in.Name])
		}
		if in.Ready != (in.Status == statusRunning) {
			t.Errorf("%s (%s): ready %v", in.Name, in.Status, in.Ready)
		}
	}
	if got[1].Addresses["http"] != (app.Address{IP: "192.0.2.7", Port: 32001}) || got[1].Addresses["9/tcp"].Port != 32002 {
		t.Errorf("addresses %v", got[1].Addresses)
	}
	v := app.InstancesValue(got)
	if v.LengthInt() != 4 || v.Index(cty.NumberIntVal(0)).GetAttr("name").AsString() != "web-1" {
		t.Errorf("instances value %#v", v)
	}
}
