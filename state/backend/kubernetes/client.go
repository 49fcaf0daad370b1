package kubernetes

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	runtimeschema "k8s.io/apimachinery/pkg/runtime/schema"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	kubecfg "github.com/berth-sh/berth/internal/kubeconfig"
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
	rc, src, err := kubecfg.Resolve(kubecfg.Settings{Path: c.ConfigPath, Context: c.ConfigContext, InCluster: c.InClusterConfig})
	switch {
	case err == nil:
	case c.InClusterConfig:
		return nil, "", fmt.Errorf("the kubernetes backend's in_cluster_config: %w", err)
	case errors.Is(err, kubecfg.ErrNoCluster):
		return nil, "", fmt.Errorf("the kubernetes backend found %w: set config_path, KUBECONFIG or in_cluster_config", err)
	case errors.Is(err, kubecfg.ErrNoContext):
		return nil, "", fmt.Errorf("the kubernetes backend's %w: set config_context", err)
	default:
		return nil, "", fmt.Errorf("the kubernetes backend's %w", err)
	}
	if src.InCluster {
		return rc, src.String(), nil
	}
	// The backend's locations name the server and context only: the
	// file is the user's own business, and locations stay as they were.
	return rc, src.Server + " (context " + src.Context + ")", nil
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
