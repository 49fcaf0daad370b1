//go:build integration

package docker

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/berth-sh/berth/platform/registry"
	"github.com/berth-sh/berth/providers"
)

func TestIntegrationResolve(t *testing.T) {
	e := env(t)
	v1, err := e.registry.Resolve(t.Context(), e.image+":v1")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.registry.Resolve(t.Context(), e.image+":v2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v1.Digest, "sha256:") || v1.Digest == v2.Digest {
		t.Errorf("digests v1 %s v2 %s", v1.Digest, v2.Digest)
	}
	if v1.Pinned() != e.image+"@"+v1.Digest {
		t.Errorf("pinned %s", v1.Pinned())
	}
	// Resolving the pinned reference answers the same digest.
	again, err := e.registry.Resolve(t.Context(), v1.Pinned())
	if err != nil || again.Digest != v1.Digest {
		t.Errorf("resolve pinned: %v %v", again, err)
	}

	wrong := e.registry
	wrong.Password = "wrong"
	tests := []struct {
		name     string
		reg      registry.Registry
		ref      string
		want     []string
		notFound bool
		unauth   bool
	}{
		{name: "missing tag", reg: e.registry, ref: e.image + ":nope", notFound: true,
			want: []string{"registry " + e.registry.Address, e.image + ":nope", "MANIFEST_UNKNOWN"}},
		{name: "missing repository", reg: e.registry, ref: e.registry.Address + "/no/such:v1", notFound: true,
			want: []string{e.registry.Address + "/no/such:v1", "MANIFEST_UNKNOWN"}},
		{name: "wrong password", reg: wrong, ref: e.image + ":v1", unauth: true,
			want: []string{"registry " + e.registry.Address, "UNAUTHORIZED", "authentication required"}},
		{name: "no credentials", reg: registry.Registry{Address: e.registry.Address}, ref: e.image + ":v1", unauth: true,
			want: []string{"UNAUTHORIZED"}},
		{name: "reference on another registry", reg: e.registry, ref: "127.0.0.1:1/x:v1",
			want: []string{"on registry 127.0.0.1:1, not " + e.registry.Address}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.reg.Resolve(t.Context(), tt.ref)
			var re *registry.RegistryError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a registry.RegistryError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if re.NotFound() != tt.notFound || re.Unauthorized() != tt.unauth {
				t.Errorf("NotFound %v Unauthorized %v (status %d)", re.NotFound(), re.Unauthorized(), re.Status)
			}
		})
	}
}

func TestIntegrationWrongRegistryPassword(t *testing.T) {
	h := newHarness(t, "pw")
	reg := h.e.registry
	reg.Password = "wrong"
	pl := h.plan(h.config(fmt.Sprintf(appBody, h.e.image+":v1", 1, 0), reg))
	if !pl.Diagnostics.HasErrors() {
		t.Fatal("plan with a wrong password succeeded")
	}
	msg := pl.Diagnostics.Error()
	for _, w := range []string{"registry " + reg.Address, h.e.image + ":v1", "UNAUTHORIZED"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q does not say %q", msg, w)
		}
	}
	if p := providers.DiagnosticPath(pl.Diagnostics[0]); len(p) != 1 {
		t.Errorf("diagnostic path %v", p)
	}
}
