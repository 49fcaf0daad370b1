package addrs

import (
	"strings"
	"testing"
)

func TestParseInstanceRoundTrip(t *testing.T) {
	tests := []struct {
		in   string
		want Instance
		kind string
	}{
		{"app.web", Instance{Resource: Resource{Managed, "app", "web"}}, KindApp},
		{"app.web[0]", Instance{Resource: Resource{Managed, "app", "web"}, Key: IntKey(0)}, KindApp},
		{`app.web["eu"]`, Instance{Resource: Resource{Managed, "app", "web"}, Key: StringKey("eu")}, KindApp},
		{"acmedns_record.www", Instance{Resource: Resource{Managed, "acmedns_record", "www"}}, KindResource},
		{"data.x.y", Instance{Resource: Resource{Data, "x", "y"}}, KindData},
		{`data.x.y[12]`, Instance{Resource: Resource{Data, "x", "y"}, Key: IntKey(12)}, KindData},
		{"load_balancer.web", Instance{Resource: Resource{Managed, "load_balancer", "web"}}, KindLoadBalancer},
		{"scaling_policy.web", Instance{Resource: Resource{Managed, "scaling_policy", "web"}}, KindScalingPolicy},
		{`app.web["a \"q\" $${x}"]`, Instance{Resource: Resource{Managed, "app", "web"}, Key: StringKey(`a "q" ${x}`)}, KindApp},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseInstance(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("ParseInstance(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
			if k := got.Resource.Kind(); k != tt.kind {
				t.Errorf("Kind() = %q, want %q", k, tt.kind)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"app", "TYPE.NAME"},
		{"app.web.extra", "TYPE.NAME"},
		{"app.web[0][1]", "unexpected index"},
		{"app.web[-1]", "Index"},
		{"app.web[1.5]", "whole number"},
		{"app.web[", "invalid address"},
		{"data.x", "TYPE.NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseInstance(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseInstance(%q) error = %v, want one containing %q", tt.in, err, tt.want)
			}
		})
	}
	if _, err := ParseResource("app.web[0]"); err == nil {
		t.Error("ParseResource accepted an instance key")
	}
}

func TestOrder(t *testing.T) {
	in := []string{`app.web["b"]`, "data.a.b", "app.web[10]", "app.web", "app.web[2]", `app.web["a"]`, "acme_x.y"}
	want := []string{"acme_x.y", "app.web", "app.web[2]", "app.web[10]", `app.web["a"]`, `app.web["b"]`, "data.a.b"}
	var got []Instance
	for _, s := range in {
		i, err := ParseInstance(s)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, i)
	}
	for i := range got {
		for j := i + 1; j < len(got); j++ {
			if got[j].Less(got[i]) {
				got[i], got[j] = got[j], got[i]
			}
		}
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}
