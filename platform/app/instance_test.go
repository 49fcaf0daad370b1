package app

import (
	"reflect"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestInstancesRoundTrip(t *testing.T) {
	ins := []Instance{
		{Name: "web-10", Host: "edge-1", ID: "c10", Status: "running", Ready: true, ImageDigest: "r@sha256:1", ConfigHash: "h1",
			Addresses: map[string]Address{"http": {IP: "127.0.0.1", Port: 32768}}},
		{Name: "web-2", Host: "edge-2", ID: "c2", Status: "not_ready", ImageDigest: "r@sha256:1", ConfigHash: "h1", Addresses: map[string]Address{}},
		{Name: "web-3", Host: "edge-1", Status: "running", Ready: true, ImageDigest: "r@sha256:2", ConfigHash: "h2", Planned: true},
	}
	v := cty.ObjectVal(map[string]cty.Value{"instances": InstancesValue(ins)})
	got := DecodeInstances(v)
	want := []Instance{ins[1], ins[2], ins[0]} // web-2, web-3, web-10
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	planned := v.GetAttr("instances").Index(cty.NumberIntVal(1))
	if planned.GetAttr("id").IsKnown() || planned.GetAttr("addresses").IsKnown() {
		t.Error("a planned instance's id and addresses must be unknown")
	}
	if !InstancesValue(nil).Type().Equals(cty.List(InstanceType)) {
		t.Error("no instances is an empty list of the instance type")
	}
}

func TestAddressString(t *testing.T) {
	if got := (Address{IP: "10.0.0.1", Port: 80}).String(); got != "10.0.0.1:80" {
		t.Error(got)
	}
	if got := (Address{IP: "::1", Port: 80}).String(); got != "[::1]:80" {
		t.Error(got)
	}
}

func TestKeeps(t *testing.T) {
	planned := []Instance{{Name: "web-1", Host: "a", ConfigHash: "h2", ImageDigest: "d2", Planned: true}}
	tests := []struct {
		in   Instance
		want bool
	}{
		{Instance{Name: "web-1", Host: "a", ConfigHash: "h2", ImageDigest: "d2", Ready: true}, true},
		{Instance{Name: "web-1", Host: "a", ConfigHash: "h2", ImageDigest: "d2"}, false},              // not ready
		{Instance{Name: "web-1", Host: "a", ConfigHash: "h1", ImageDigest: "d2", Ready: true}, false}, // old spec
		{Instance{Name: "web-1", Host: "a", ConfigHash: "h2", ImageDigest: "d1", Ready: true}, false}, // old image
		{Instance{Name: "web-1", Host: "b", ConfigHash: "h2", ImageDigest: "d2", Ready: true}, false}, // other host
		{Instance{Name: "web-2", Host: "a", ConfigHash: "h2", ImageDigest: "d2", Ready: true}, false}, // not planned
	}
	for i, tt := range tests {
		if got := Keeps(planned, tt.in); got != tt.want {
			t.Errorf("%d: Keeps(%+v) = %v, want %v", i, tt.in, got, tt.want)
		}
	}
	// A platform that places instances itself plans them without a host.
	anywhere := []Instance{{Name: "web-1", ConfigHash: "h2", ImageDigest: "d2", Planned: true}}
	for i, tt := range []struct {
		in   Instance
		want bool
	}{
		{Instance{Name: "web-1", Host: "node-3", ConfigHash: "h2", ImageDigest: "d2", Ready: true}, true},
		{Instance{Name: "web-1", Host: "node-3", ConfigHash: "h1", ImageDigest: "d2", Ready: true}, false},
		{Instance{Name: "web-2", Host: "node-3", ConfigHash: "h2", ImageDigest: "d2", Ready: true}, false},
	} {
		if got := Keeps(anywhere, tt.in); got != tt.want {
			t.Errorf("without a host %d: Keeps(%+v) = %v, want %v", i, tt.in, got, tt.want)
		}
	}
}

// A state recorded mid-rollout lists instances of two specs; its target
// puts every instance on the recorded spec.
func TestDecodeTarget(t *testing.T) {
	in := func(name, hash string) cty.Value {
		return Instance{Name: name, Host: "h", ID: name + "-" + hash, Status: "running", Ready: true, ConfigHash: hash, ImageDigest: "img@" + hash}.Value()
	}
	v := cty.ObjectVal(map[string]cty.Value{
		"config_hash": cty.StringVal("v1"), "image_digest": cty.StringVal("img@v1"),
		"instances": cty.ListVal([]cty.Value{in("web-1", "v2"), in("web-2", "v1")}),
	})
	for _, got := range DecodeTarget(v) {
		if got.ConfigHash != "v1" || got.ImageDigest != "img@v1" {
			t.Errorf("%s: target spec %s %s, want the recorded v1", got.Name, got.ConfigHash, got.ImageDigest)
		}
	}
	if got := DecodeInstances(v); got[0].ConfigHash != "v2" {
		t.Errorf("DecodeInstances changed the instances as they run: %+v", got[0])
	}
	// A value without a spec of its own (a test fleet) is read as it is.
	bare := cty.ObjectVal(map[string]cty.Value{"instances": cty.ListVal([]cty.Value{in("web-1", "v2")})})
	if got := DecodeTarget(bare); got[0].ConfigHash != "v2" {
		t.Errorf("target of a value without config_hash: %+v", got[0])
	}
}
