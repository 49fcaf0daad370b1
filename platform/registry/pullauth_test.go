package registry

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/pkg/authconfig"
	registrytypes "github.com/moby/moby/api/types/registry"
)

func TestPullAuth(t *testing.T) {
	reg := Registry{Address: "127.0.0.1:5055", Username: "berth", Password: "berth-test"}
	enc, err := reg.PullAuth()
	if err != nil {
		t.Fatal(err)
	}
	got, err := authconfig.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	want := &registrytypes.AuthConfig{Username: "berth", Password: "berth-test", ServerAddress: "127.0.0.1:5055"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("auth (-want +got):\n%s", diff)
	}
	if enc, _ := (Registry{Address: "x"}).PullAuth(); enc != "" {
		t.Errorf("anonymous registry: auth %q, want none", enc)
	}
}
