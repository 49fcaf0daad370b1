package kubernetes

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/state/backend"
)

// kubeconfig writes a kubeconfig of one cluster at server, with contexts
// "one" (current) and "two".
func kubeconfig(t *testing.T, dir, server string) string {
	t.Helper()
	p := filepath.Join(dir, "kubeconfig")
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
  context: {cluster: c, user: u}
- name: two
  context: {cluster: c, user: u, namespace: ignored}
current-context: one
`
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecodeConfig(t *testing.T) {
	dir := t.TempDir()
	null := cty.NullVal(cty.String)
	obj := func(suffix, ns, path, context cty.Value, inCluster cty.Value, lease ...string) cty.Value {
		l := null
		if len(lease) > 0 {
			l = cty.StringVal(lease[0])
		}
		return cty.ObjectVal(map[string]cty.Value{
			"secret_suffix": suffix, "namespace": ns, "config_path": path,
			"config_context": context, "in_cluster_config": inCluster, "lease_duration": l,
		})
	}
	noBool := cty.NullVal(cty.Bool)
	for _, tt := range []struct {
		name    string
		config  cty.Value
		want    Config
		wantErr string
	}{
		{"defaults", obj(cty.StringVal("app"), null, null, null, noBool),
			Config{SecretSuffix: "app", Namespace: DefaultNamespace}, ""},
		{"all", obj(cty.StringVal("app"), cty.StringVal("infra"), cty.StringVal("k/config"), cty.StringVal("two"), cty.False),
			Config{SecretSuffix: "app", Namespace: "infra", ConfigPath: filepath.Join(dir, "k/config"), ConfigContext: "two"}, ""},
		{"in cluster", obj(cty.StringVal("app"), null, null, null, cty.True),
			Config{SecretSuffix: "app", Namespace: DefaultNamespace, InClusterConfig: true}, ""},
		{"lease", obj(cty.StringVal("app"), null, null, null, noBool, "1m"),
			Config{SecretSuffix: "app", Namespace: DefaultNamespace, LeaseDuration: time.Minute}, ""},
		{"lease not a duration", obj(cty.StringVal("app"), null, null, null, noBool, "15"), Config{}, "not a duration"},
		{"lease not whole seconds", obj(cty.StringVal("app"), null, null, null, noBool, "1500ms"), Config{}, "whole number of seconds"},
		{"no suffix", obj(null, null, null, null, noBool), Config{}, "needs secret_suffix"},
		{"suffix not a DNS label", obj(cty.StringVal("My_App"), null, null, null, noBool), Config{}, "not a DNS label"},
		{"bad namespace", obj(cty.StringVal("app"), cty.StringVal("Infra"), null, null, noBool), Config{}, "not a namespace name"},
		{"in cluster and a path", obj(cty.StringVal("app"), null, cty.StringVal("/k"), null, cty.True), Config{}, "excludes config_path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeConfig(tt.config, dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestObjectName: every workspace name becomes a DNS label that is also a
// label value; names that are already one are kept, and distinct
// workspaces never share one.
func TestObjectName(t *testing.T) {
	names := []string{
		"default", "prod", "dev-1", "Dev-1", "dev_1", "dev.1", "a--b", "a-b",
		strings.Repeat("x", 50), strings.Repeat("x", 51), strings.Repeat("X", 90), "9", "_",
	}
	seen := map[string]string{}
	for _, n := range names {
		o := objectName(n)
		if !dnsLabel.MatchString(o) || len(o) > 63 {
			t.Errorf("%q -> %q: not a DNS label of at most 63 characters", n, o)
		}
		if prev, dup := seen[o]; dup {
			t.Errorf("%q and %q both -> %q", prev, n, o)
		}
		seen[o] = n
		if backend.CheckWorkspaceName(n) == nil && plainWorkspace.MatchString(n) && !strings.Contains(n, "--") && o != n {
			t.Errorf("%q -> %q: a plain name should be kept", n, o)
		}
		if len(stateName(n, strings.Repeat("s", 63))+".0123abcd.99") > 253 {
			t.Errorf("%q: a chunk's name is too long for a Secret", n)
		}
	}
	if got := objectName("Dev_1"); !strings.HasPrefix(got, "dev-1--") {
		t.Errorf("Dev_1 -> %q, want a readable prefix", got)
	}
}

// TestRegistered: the backend is registered, not as the default, with
// secret_suffix required; opening reads the kubeconfig (and names its
// server and context in locations) but does not connect; a missing
// kubeconfig, or one without a cluster, is an error, never a default
// server.
func TestRegistered(t *testing.T) {
	spec, ok := backend.Lookup(Name)
	if !ok || spec.Default {
		t.Fatalf("kubernetes registered: %v, default: %v", ok, spec.Default)
	}
	if a := spec.Schema.Attributes["secret_suffix"]; a == nil || !a.Required {
		t.Errorf("secret_suffix is %+v", a)
	}
	dir := t.TempDir()
	path := kubeconfig(t, dir, "https://k8s.example:6443")
	config := func(path, context string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{
			"secret_suffix": cty.StringVal("app"), "namespace": cty.StringVal("infra"),
			"config_path": cty.StringVal(path), "config_context": cty.StringVal(context),
			"in_cluster_config": cty.False,
		})
	}
	ws, err := spec.New(config("kubeconfig", "two"), dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ws.Workspace("staging")
	if err != nil {
		t.Fatal(err)
	}
	want := "kubernetes https://k8s.example:6443 (context two), namespace infra, Secret berth-state-staging-app"
	if got := b.Location(); got != want {
		t.Errorf("location %q, want %q", got, want)
	}
	if l, ok := b.(backend.Leases); !ok || l.LeaseDuration() != DefaultLeaseDuration {
		t.Errorf("the backend is not a Leases with the default duration: %T", b)
	}
	if _, err := ws.Workspace("../prod"); err == nil {
		t.Error("a workspace named ../prod was accepted")
	}

	// KUBECONFIG when config_path is unset.
	t.Setenv("KUBECONFIG", path)
	ws, err = spec.New(config("", ""), dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := ws.Workspace(backend.DefaultWorkspace); !strings.Contains(b.Location(), "(context one)") {
		t.Errorf("with KUBECONFIG: %s", b.Location())
	}

	for _, tt := range []struct {
		name, path, context, kubeconfigEnv, wantErr string
	}{
		{"missing file", filepath.Join(dir, "nope"), "", "", "nope"},
		{"unknown context", path, "three", "", "three"},
		{"no kubeconfig at all", "", "", filepath.Join(dir, "absent"), "no kubeconfig with a cluster"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.kubeconfigEnv)
			t.Setenv("HOME", dir) // no ~/.kube/config
			_, err := spec.New(config(tt.path, tt.context), dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestUnreachable: a cluster that does not answer is an error naming it.
func TestUnreachable(t *testing.T) {
	dir := t.TempDir()
	ws, err := NewWorkspaces(Config{ConfigPath: kubeconfig(t, dir, "https://127.0.0.1:1"), SecretSuffix: "x"})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ws.Workspace(backend.DefaultWorkspace)
	_, _, err = k.Get(context.Background())
	if err == nil || !strings.Contains(err.Error(), "https://127.0.0.1:1") {
		t.Errorf("reading from a cluster that is not there: %v", err)
	}
}
