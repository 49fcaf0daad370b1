//go:build integration

// Integration tests against two real dockerd daemons and a real registry
// with htpasswd auth, started by scripts/testenv/docker.sh:
//
//	scripts/testenv/docker.sh start
//	eval "$(scripts/testenv/docker.sh env)"
//	go test -tags integration ./providers/docker/...
//
// They fail (never skip) when the environment is missing.
package docker

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/platform/registry"
	"github.com/berth-sh/berth/providers/docker/engine"
)

type testEnv struct {
	hostA, hostB engine.HostConfig
	registry     registry.Registry
	image        string // repository without tag: 127.0.0.1:5055/berth/testserver
}

func env(t testing.TB) testEnv {
	t.Helper()
	get := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set: the Docker test environment is missing. Run\n"+
				"  scripts/testenv/docker.sh start && eval \"$(scripts/testenv/docker.sh env)\"\n"+
				"before go test -tags integration", name)
		}
		return v
	}
	return testEnv{
		hostA:    engine.HostConfig{Name: "host-a", Endpoint: get("BERTH_TEST_DOCKER_A"), Labels: map[string]string{"pool": "core"}},
		hostB:    engine.HostConfig{Name: "host-b", Endpoint: get("BERTH_TEST_DOCKER_B"), Labels: map[string]string{"pool": "batch"}},
		registry: registry.Registry{Address: get("BERTH_TEST_REGISTRY"), Username: get("BERTH_TEST_REGISTRY_USER"), Password: get("BERTH_TEST_REGISTRY_PASSWORD")},
		image:    get("BERTH_TEST_IMAGE"),
	}
}

func connect(t *testing.T, cfg engine.HostConfig) *engine.Host {
	t.Helper()
	h, err := engine.Connect(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// testID is a berth id unique to this test run, so that listings see only
// this run's containers; everything carrying it is removed at the end.
func testID(t *testing.T, hosts ...*engine.Host) string {
	id := fmt.Sprintf("test-%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, h := range hosts {
			cs, _ := h.ListManaged(ctx, id)
			for _, c := range cs {
				_ = h.Remove(ctx, c.ID)
			}
		}
	})
	return id
}
