package kube

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeKubeconfig writes a kubeconfig whose context "one" (current)
// points at server.
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	data := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `"}
users:
- name: u
  user: {token: not-a-secret}
contexts:
- name: one
  context: {cluster: c, user: u, namespace: shop}
current-context: one
`
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConnectFails: an unknown context, a missing file or a server that
// does not answer is an error naming the cluster (and the server), at
// once, never a fallback.
func TestConnectFails(t *testing.T) {
	path := writeKubeconfig(t, "https://127.0.0.1:1")
	for _, tt := range []struct {
		name   string
		target Target
		want   []string
	}{
		{"unknown context", Target{Name: "prod", Kubeconfig: path, Context: "two"},
			[]string{`cluster "prod"`, `no such context "two"`, path}},
		{"missing file", Target{Name: "prod", Kubeconfig: path + ".absent"},
			[]string{`cluster "prod"`, path + ".absent"}},
		{"unreachable", Target{Name: "prod", Kubeconfig: path},
			[]string{`cluster "prod"`, "https://127.0.0.1:1 (context one of " + path + ") does not answer"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			c, err := Connect(context.Background(), tt.target)
			if err == nil {
				t.Fatalf("connected to %s", c.Where())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if d := time.Since(start); d > connectTimeout {
				t.Errorf("failing took %v", d)
			}
		})
	}
}

// TestConnectHonoursContext: a cancelled context stops the check.
func TestConnectHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// 192.0.2.1 (TEST-NET-1) does not answer: only ctx can end the wait.
	_, err := Connect(ctx, Target{Name: "edge", Kubeconfig: writeKubeconfig(t, "https://192.0.2.1:6443")})
	if err == nil || !strings.Contains(err.Error(), `cluster "edge"`) || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err = %v", err)
	}
}
