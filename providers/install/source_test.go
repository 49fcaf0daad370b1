package install

import (
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	tests := []struct {
		in      string
		want    Source
		builtin bool
		str     string
		err     string
	}{
		{in: "acme/dns", want: Source{"acme", "dns"}, str: "acme/dns"},
		{in: " Acme/DNS ", want: Source{"acme", "dns"}, str: "acme/dns"},
		{in: "my-org/svc_registry", want: Source{"my-org", "svc_registry"}, str: "my-org/svc_registry"},
		{in: "docker", want: Source{"berth", "docker"}, builtin: true, str: "docker"},
		{in: "berth/docker", want: Source{"berth", "docker"}, builtin: true, str: "docker"},
		{in: "dns", err: `unknown built-in provider "dns": the built-in providers are docker;`},
		{in: "kubernetes", err: `unknown built-in provider "kubernetes": the built-in providers are docker;`},
		{in: "berth/aws", err: `unknown built-in provider "aws"`},
		{in: "berth/dns", err: `unknown built-in provider "dns"`},
		{in: "registry.example.com/acme/dns", err: `must be "namespace/name" (e.g. "acme/dns"), or the name of a built-in provider (docker)`},
		{in: "acme/", err: "namespace and name must be"},
		{in: "../dns", err: "namespace and name must be"},
		{in: "acme/dns-", err: "namespace and name must be"},
		{in: "", err: "namespace and name must be"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSource(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseSource(%q) error = %v, want containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || got.IsBuiltin() != tt.builtin || got.String() != tt.str {
				t.Errorf("ParseSource(%q) = %#v (builtin %v, %q), want %#v (builtin %v, %q)", tt.in, got, got.IsBuiltin(), got.String(), tt.want, tt.builtin, tt.str)
			}
		})
	}
}
