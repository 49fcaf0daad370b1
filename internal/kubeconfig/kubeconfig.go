// Package kubeconfig loads the client configuration of a Kubernetes
// cluster as kubectl finds it (a kubeconfig file, KUBECONFIG, or the
// service account of the pod berth runs in), for every part of berth that
// talks to a cluster. A configuration that names no cluster is an error:
// berth never falls back to a default server or to localhost.
package kubeconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Settings say where the configuration is.
type Settings struct {
	// Path is the kubeconfig file ("~/" is the home directory); empty:
	// KUBECONFIG, then ~/.kube/config, as kubectl.
	Path string
	// Context overrides the kubeconfig's current context.
	Context string
	// InCluster uses the service account of the pod berth runs in; it
	// excludes Path and Context.
	InCluster bool
}

// The errors callers may want to add their own hint to (the name of the
// setting that would mend them).
var (
	// ErrNoCluster: no kubeconfig was found, or none defines a cluster.
	ErrNoCluster = errors.New("no kubeconfig with a cluster")
	// ErrNoContext: the kubeconfig has no current context and none was given.
	ErrNoContext = errors.New("no current context")
	// ErrUnknownContext: the context asked for is not in the kubeconfig.
	ErrUnknownContext = errors.New("no such context")
)

// serviceAccountNamespace is where a pod finds its namespace.
const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// Source describes what a configuration was loaded from.
type Source struct {
	// Server is the API server's URL.
	Server string
	// Context is the kubeconfig context used ("" in-cluster).
	Context string
	// File is the kubeconfig file that defines Context ("" in-cluster).
	File string
	// InCluster: the pod's service account.
	InCluster bool
	// Namespace is the namespace the context (or the pod) names, "" if none.
	Namespace string
}

// String says where the configuration points:
// "https://1.2.3.4:6443 (context prod of /home/u/.kube/config)".
func (s Source) String() string {
	if s.InCluster {
		return s.Server + " (in-cluster service account)"
	}
	if s.File == "" {
		return s.Server + " (context " + s.Context + ")"
	}
	return s.Server + " (context " + s.Context + " of " + s.File + ")"
}

// Load returns the client configuration s names, a description of where it
// points (Source.String), and the namespace its context names ("" if none).
func Load(s Settings) (cfg *rest.Config, where string, namespace string, err error) {
	cfg, src, err := Resolve(s)
	if err != nil {
		return nil, "", "", err
	}
	return cfg, src.String(), src.Namespace, nil
}

// Resolve is Load with the parts of the description apart.
func Resolve(s Settings) (*rest.Config, Source, error) {
	if s.InCluster {
		return inCluster(s)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	where := strings.Join(rules.GetLoadingPrecedence(), ", ")
	if s.Path != "" {
		p, err := expandHome(s.Path)
		if err != nil {
			return nil, Source{}, err
		}
		rules.ExplicitPath = p
		where = p
	}
	raw, err := rules.Load()
	if err != nil {
		return nil, Source{}, fmt.Errorf("kubeconfig %s: %w", where, err)
	}
	if len(raw.Clusters) == 0 {
		return nil, Source{}, fmt.Errorf("%w (looked at %s)", ErrNoCluster, where)
	}
	name := s.Context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, Source{}, fmt.Errorf("kubeconfig %s: %w", where, ErrNoContext)
	}
	kctx, ok := raw.Contexts[name]
	if !ok {
		return nil, Source{}, fmt.Errorf("kubeconfig %s: %w %q (it has %s)", where, ErrUnknownContext, name, contextNames(raw))
	}
	file := kctx.LocationOfOrigin
	if file == "" {
		file = where
	}
	// clientcmd would merge a missing cluster with its (empty) defaults;
	// say which one is missing instead.
	cl, ok := raw.Clusters[kctx.Cluster]
	if !ok || cl.Server == "" {
		return nil, Source{}, fmt.Errorf("kubeconfig %s: context %q names cluster %q, which has no server", file, name, kctx.Cluster)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{CurrentContext: name}).ClientConfig()
	if err != nil {
		return nil, Source{}, fmt.Errorf("kubeconfig %s, context %s: %w", file, name, err)
	}
	if rc.Host == "" {
		return nil, Source{}, fmt.Errorf("kubeconfig %s, context %s: no server", file, name)
	}
	return rc, Source{Server: rc.Host, Context: name, File: file, Namespace: kctx.Namespace}, nil
}

func inCluster(s Settings) (*rest.Config, Source, error) {
	if s.Path != "" || s.Context != "" {
		return nil, Source{}, errors.New("the in-cluster configuration excludes a kubeconfig path or context")
	}
	rc, err := rest.InClusterConfig()
	if err != nil {
		return nil, Source{}, fmt.Errorf("in-cluster configuration: %w", err)
	}
	src := Source{Server: rc.Host, InCluster: true}
	if ns, err := os.ReadFile(serviceAccountNamespace); err == nil {
		src.Namespace = strings.TrimSpace(string(ns))
	}
	return rc, src, nil
}

func contextNames(c *clientcmdapi.Config) string {
	if len(c.Contexts) == 0 {
		return "no context"
	}
	names := make([]string, 0, len(c.Contexts))
	for n := range c.Contexts {
		names = append(names, n)
	}
	slices.Sort(names)
	return "contexts " + strings.Join(names, ", ")
}

// expandHome resolves a leading "~/" as the shell would.
func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kubeconfig %s: %w", p, err)
	}
	return filepath.Join(home, p[1:]), nil
}
