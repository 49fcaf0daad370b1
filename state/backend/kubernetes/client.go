package kubernetes

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	runtimeschema "k8s.io/apimachinery/pkg/runtime/schema"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// requestTimeout bounds one request to the API server, a chunk's write
// included, so that a server that stops answering fails the operation
// instead of hanging it.
const requestTimeout = time.Minute

// clients are the API clients of one namespace, shared by the backends of
// every workspace.
type clients struct {
	secrets corev1.SecretInterface
	leases  coordinationv1.LeaseInterface
	// secretMeta lists Secrets without their data (a list of chunks would
	// otherwise carry megabytes).
	secretMeta metadata.ResourceInterface
	// cluster names the cluster in messages: the server's URL and the
	// kubeconfig context.
	cluster string
}

// restConfig loads the client configuration c names: the pod's service
// account, or a kubeconfig (config_path, else KUBECONFIG, else
// ~/.kube/config, as kubectl). A kubeconfig that is missing or selects no
// cluster is an error: berth never falls back to a default server.
func restConfig(c Config) (*rest.Config, string, error) {
	if c.InClusterConfig {
		rc, err := rest.InClusterConfig()
		if err != nil {
			return nil, "", fmt.Errorf("the kubernetes backend's in_cluster_config: %w", err)
		}
		return rc, rc.Host + " (in-cluster service account)", nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if c.ConfigPath != "" {
		rules.ExplicitPath = c.ConfigPath
	}
	where := strings.Join(rules.GetLoadingPrecedence(), ", ")
	if c.ConfigPath != "" {
		where = c.ConfigPath
	}
	raw, err := rules.Load()
	if err != nil {
		return nil, "", fmt.Errorf("the kubernetes backend's kubeconfig %s: %w", where, err)
	}
	if len(raw.Clusters) == 0 {
		return nil, "", fmt.Errorf("the kubernetes backend found no kubeconfig with a cluster (looked at %s): set config_path, KUBECONFIG or in_cluster_config", where)
	}
	context := c.ConfigContext
	if context == "" {
		context = raw.CurrentContext
	}
	if context == "" {
		return nil, "", fmt.Errorf("the kubeconfig %s has no current context: set config_context", where)
	}
	rc, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("the kubernetes backend's kubeconfig %s, context %s: %w", where, context, err)
	}
	return rc, rc.Host + " (context " + context + ")", nil
}

// newClients connects nothing yet: it builds the clients of c's
// namespace, sharing one HTTP client.
func newClients(c Config) (*clients, error) {
	rc, cluster, err := restConfig(c)
	if err != nil {
		return nil, err
	}
	if rc.Host == "" {
		return nil, errors.New("the kubernetes backend's client configuration names no server")
	}
	rc = rest.CopyConfig(rc)
	// client-go's default (5 requests a second) would throttle a chunked
	// write; and its warnings would be printed, which is not a backend's
	// to do.
	rc.QPS, rc.Burst = 50, 100
	rc.WarningHandler = rest.NoWarnings{}
	rc.Timeout = requestTimeout
	// Protobuf: a Secret's bytes travel as they are, not in base64.
	rc.ContentType = runtime.ContentTypeProtobuf
	rc.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, fmt.Errorf("the kubernetes backend's client for %s: %w", cluster, err)
	}
	core, err := corev1.NewForConfigAndClient(rc, hc)
	if err != nil {
		return nil, err
	}
	coord, err := coordinationv1.NewForConfigAndClient(rc, hc)
	if err != nil {
		return nil, err
	}
	meta, err := metadata.NewForConfigAndClient(rc, hc)
	if err != nil {
		return nil, err
	}
	return &clients{
		secrets:    core.Secrets(c.Namespace),
		leases:     coord.Leases(c.Namespace),
		secretMeta: meta.Resource(runtimeschema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(c.Namespace),
		cluster:    cluster,
	}, nil
}
