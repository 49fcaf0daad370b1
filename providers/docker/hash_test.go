package docker

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// The config hash of an app is what decides that its containers must be
// replaced: a change to how it is computed restarts every container berth
// manages at the next apply. These hashes were taken from berth before the
// app contract moved out of the language (lang.AppSpec); they must not
// change unless such a restart is intended and announced.
func TestConfigHashPinned(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"minimal", `
cluster  = cluster.c
image    = "127.0.0.1:5000/shop/web:v1"
`, "a64c3b077dd6fa1f"},
		{"every part of the spec", `
cluster  = cluster.c
image    = "127.0.0.1:5000/shop/web:v1"
replicas = 3
command  = ["/bin/web"]
args     = ["-v", "2"]
env      = { B = "2", A = "1" }
labels   = { team = "shop" }
port "http" {
  container = 8080
}
port "dns" {
  container = 53
  protocol  = "udp"
}
resources {
  cpu    = "500m"
  memory = "256Mi"
  cpu_overcommit = 2
}
readiness {
  http {
    path   = "/healthz"
    port   = "http"
    status = [200, 204]
    headers = { X = "y" }
  }
  period = "2s"
  timeout = "500ms"
}
liveness {
  tcp { port = "http" }
  initial_delay = "3s"
}
startup {
  exec { command = ["true"] }
  failure_threshold = 30
}
hooks {
  drain = "5s"
  after_start {
    exec = ["/warm"]
    required = true
  }
  before_stop { exec = ["/quiesce"] }
}
`, "d44d4acd7c76256b"},
	}
	cl := clusterValue(t, "c", testHost{name: "h1", endpoint: "unix:///var/run/docker.sock"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := decodeApp(appValue(t, tt.src, cl, cty.NilVal, "web"))
			if err != nil {
				t.Fatal(err)
			}
			a.Pinned = "127.0.0.1:5000/shop/web@sha256:0000000000000000000000000000000000000000000000000000000000000000"
			if err := a.computeHash(); err != nil {
				t.Fatal(err)
			}
			if a.Hash != tt.want {
				t.Errorf("config hash %s, want %s", a.Hash, tt.want)
			}
		})
	}
}

func TestConfigHashStable(t *testing.T) {
	a, _ := ConfigHash(map[string]any{"image": "x", "env": map[string]string{"B": "2", "A": "1"}})
	b, _ := ConfigHash(map[string]any{"env": map[string]string{"A": "1", "B": "2"}, "image": "x"})
	c, _ := ConfigHash(map[string]any{"image": "y"})
	if a != b || a == c || len(a) != 16 {
		t.Errorf("hashes %q %q %q", a, b, c)
	}
}
