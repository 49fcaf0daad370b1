// Package kubernetes is the state backend "kubernetes": states kept in
// Secrets of a Kubernetes namespace, chunked past a Secret's 1 MiB limit,
// guarded by a coordination.k8s.io Lease as the lock and by
// resourceVersion- and serial-checked writes. docs/state.md describes the
// objects, the lease and the permissions it needs.
package kubernetes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state/backend"
)

// Name is the backend's label: backend "kubernetes" { secret_suffix = "..." }.
const Name = "kubernetes"

// DefaultNamespace is the namespace of the Secrets and Leases when the
// configuration names none.
const DefaultNamespace = "default"

// DefaultLeaseDuration is how long the lock outlives its last renewal:
// the default lease of Kubernetes' own leader election. The state manager
// renews it every third of that.
const DefaultLeaseDuration = 15 * time.Second

func init() {
	backend.Register(backend.Spec{Name: Name, Schema: schema(), New: open})
}

func schema() *providers.Block {
	return &providers.Block{Attributes: map[string]*providers.Attribute{
		"secret_suffix": {Type: cty.String, Required: true,
			Description: "names berth's Secrets and Lease: berth-state-<workspace>-<secret_suffix>, berth-lock-<workspace>-<secret_suffix>"},
		"namespace": {Type: cty.String, Optional: true, Default: cty.StringVal(DefaultNamespace),
			Description: "the namespace of the Secrets and the Lease"},
		"config_path": {Type: cty.String, Optional: true,
			Description: "the kubeconfig file; KUBECONFIG (then ~/.kube/config) when unset"},
		"config_context": {Type: cty.String, Optional: true,
			Description: "the kubeconfig context; its current context when unset"},
		"in_cluster_config": {Type: cty.Bool, Optional: true,
			Description: "use the service account of the pod berth runs in, not a kubeconfig"},
		"lease_duration": {Type: cty.String, Optional: true, Default: cty.StringVal(DefaultLeaseDuration.String()),
			Description: "how long the lock outlives its last renewal (a Go duration, whole seconds: \"15s\", \"1m\"); berth renews it every third of that"},
	}}
}

// Config is the backend's configuration, decoded.
type Config struct {
	// SecretSuffix names the objects (it is required: one namespace can
	// hold the states of many configurations).
	SecretSuffix string
	Namespace    string
	// ConfigPath is the kubeconfig; empty: KUBECONFIG, then ~/.kube/config.
	ConfigPath    string
	ConfigContext string
	// InClusterConfig uses the pod's service account.
	InClusterConfig bool
	// LeaseDuration is how long the lock outlives its last renewal; zero
	// means DefaultLeaseDuration.
	LeaseDuration time.Duration
}

// decodeConfig reads the backend block's body; relative paths are
// relative to dir.
func decodeConfig(config cty.Value, dir string) (Config, error) {
	c := Config{Namespace: DefaultNamespace}
	config, _ = config.UnmarkDeep()
	attr := func(name string) (cty.Value, bool) {
		if config.IsNull() || !config.IsKnown() || !config.Type().IsObjectType() || !config.Type().HasAttribute(name) {
			return cty.NilVal, false
		}
		v := config.GetAttr(name)
		return v, !v.IsNull() && v.IsKnown()
	}
	str := func(name string) string {
		if v, ok := attr(name); ok && v.Type() == cty.String {
			return v.AsString()
		}
		return ""
	}
	c.SecretSuffix = str("secret_suffix")
	if ns := str("namespace"); ns != "" {
		c.Namespace = ns
	}
	c.ConfigPath = str("config_path")
	c.ConfigContext = str("config_context")
	if v, ok := attr("in_cluster_config"); ok && v.Type() == cty.Bool {
		c.InClusterConfig = v.True()
	}
	if d := str("lease_duration"); d != "" {
		var err error
		if c.LeaseDuration, err = time.ParseDuration(d); err != nil {
			return c, fmt.Errorf("the kubernetes backend's lease_duration %q is not a duration (\"15s\", \"1m\")", d)
		}
	}
	if c.ConfigPath != "" {
		p, err := expandPath(c.ConfigPath, dir)
		if err != nil {
			return c, err
		}
		c.ConfigPath = p
	}
	return c, c.check()
}

// check says what is wrong with c.
func (c Config) check() error {
	if c.SecretSuffix == "" {
		return fmt.Errorf("the kubernetes backend needs secret_suffix (it names the Secrets: berth-state-<workspace>-<secret_suffix>)")
	}
	if !dnsLabel.MatchString(c.SecretSuffix) {
		return fmt.Errorf("the kubernetes backend's secret_suffix %q is not a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", c.SecretSuffix)
	}
	if !dnsLabel.MatchString(c.Namespace) {
		return fmt.Errorf("the kubernetes backend's namespace %q is not a namespace name (a DNS label)", c.Namespace)
	}
	if c.LeaseDuration != 0 && (c.LeaseDuration < time.Second || c.LeaseDuration%time.Second != 0) {
		return fmt.Errorf("the kubernetes backend's lease_duration %s is not a whole number of seconds, at least 1s (a Lease counts in seconds)", c.LeaseDuration)
	}
	if c.InClusterConfig && (c.ConfigPath != "" || c.ConfigContext != "") {
		return fmt.Errorf("the kubernetes backend's in_cluster_config excludes config_path and config_context")
	}
	return nil
}

// expandPath makes a configured path absolute: ~/ is the home directory,
// and a relative path is relative to the configuration's directory.
func expandPath(p, dir string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("the kubernetes backend's config_path %s: %w", p, err)
		}
		p = filepath.Join(home, p[1:])
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return p, nil
}

// open is the registry's constructor: config is the decoded block. It
// reads the kubeconfig but does not connect: the first operation does,
// with its context.
func open(config cty.Value, dir string) (backend.Workspaces, error) {
	c, err := decodeConfig(config, dir)
	if err != nil {
		return nil, err
	}
	return NewWorkspaces(c)
}
