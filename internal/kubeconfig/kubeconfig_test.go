package kubeconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// write writes a kubeconfig named name in dir and returns its path.
func write(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const twoContexts = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://k8s.example:6443"}
users:
- name: u
  user: {token: not-a-secret}
contexts:
- name: one
  context: {cluster: c, user: u}
- name: two
  context: {cluster: c, user: u, namespace: shop}
- name: orphan
  context: {cluster: gone, user: u}
current-context: one
`

const noCurrent = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: "https://other.example"}
users:
- name: v
  user: {token: t}
contexts:
- name: elsewhere
  context: {cluster: other, user: v}
`

// TestLoad: the file and KUBECONFIG are found as kubectl finds them (not
// ~/.kube/config: clientcmd reads HOME once, at its init); the description names the server, the context and the file
// defining it; whatever selects no cluster is an error, never a default
// server.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	main := write(t, dir, "config", twoContexts)
	other := write(t, dir, "other", noCurrent)
	homeConfig := write(t, filepath.Join(home, ".kube"), "config", twoContexts)
	absent := filepath.Join(dir, "absent")

	for _, tt := range []struct {
		name       string
		settings   Settings
		env        string // KUBECONFIG
		wantWhere  string
		wantNS     string
		wantErr    string
		wantErrIs  error
		noHomeFile bool
	}{
		{name: "path, current context", settings: Settings{Path: main},
			wantWhere: "https://k8s.example:6443 (context one of " + main + ")"},
		{name: "path, context with a namespace", settings: Settings{Path: main, Context: "two"},
			wantWhere: "https://k8s.example:6443 (context two of " + main + ")", wantNS: "shop"},
		{name: "tilde path", settings: Settings{Path: "~/.kube/config", Context: "two"},
			wantWhere: "https://k8s.example:6443 (context two of " + homeConfig + ")", wantNS: "shop"},
		{name: "KUBECONFIG, context from its second file", env: other + string(os.PathListSeparator) + main, settings: Settings{Context: "two"},
			wantWhere: "https://k8s.example:6443 (context two of " + main + ")", wantNS: "shop"},
		{name: "KUBECONFIG, current context of the first file", env: main + string(os.PathListSeparator) + other,
			wantWhere: "https://k8s.example:6443 (context one of " + main + ")"},
		{name: "unknown context", settings: Settings{Path: main, Context: "three"},
			wantErr: `no such context "three" (it has contexts one, orphan, two)`, wantErrIs: ErrUnknownContext},
		{name: "context without its cluster", settings: Settings{Path: main, Context: "orphan"},
			wantErr: `context "orphan" names cluster "gone", which has no server`},
		{name: "no current context", settings: Settings{Path: other},
			wantErr: other + ": no current context", wantErrIs: ErrNoContext},
		{name: "missing file", settings: Settings{Path: absent}, wantErr: absent},
		{name: "KUBECONFIG names no file", env: absent, noHomeFile: true,
			wantErr: "no kubeconfig with a cluster (looked at " + absent + ")", wantErrIs: ErrNoCluster},
		{name: "in cluster with a path", settings: Settings{InCluster: true, Path: main}, wantErr: "excludes"},
		{name: "in cluster outside a pod", settings: Settings{InCluster: true}, wantErr: "in-cluster configuration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			t.Setenv("KUBERNETES_MASTER", "http://localhost:8080") // must never be used
			if tt.noHomeFile {
				t.Setenv("HOME", filepath.Join(dir, "nohome"))
			} else {
				t.Setenv("HOME", home)
			}
			cfg, where, ns, err := Load(tt.settings)
			if tt.wantErr != "" || tt.wantErrIs != nil {
				if err == nil {
					t.Fatalf("no error; config for %s", where)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
					t.Errorf("err = %v, not %v", err, tt.wantErrIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if where != tt.wantWhere || ns != tt.wantNS {
				t.Errorf("where %q namespace %q, want %q %q", where, ns, tt.wantWhere, tt.wantNS)
			}
			if cfg.Host != "https://k8s.example:6443" || cfg.BearerToken != "not-a-secret" {
				t.Errorf("config host %q token %q", cfg.Host, cfg.BearerToken)
			}
		})
	}
}
