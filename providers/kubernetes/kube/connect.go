// Package kube is berth's access to one Kubernetes cluster: server-side
// apply of unstructured objects with field manager "berth", reads by one
// list per kind, deletes that wait, pod watches, and the comparison of a
// dry-run apply with what exists on the fields berth sets. Every error
// names berth's cluster; nothing falls back to a default server.
package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/berth-sh/berth/internal/kubeconfig"
)

// FieldManager is the field manager of every apply.
const FieldManager = "berth"

// DefaultNamespace is the namespace when neither the target nor the
// kubeconfig context names one.
const DefaultNamespace = "default"

const (
	// connectTimeout bounds Connect's check that the server answers.
	connectTimeout = 15 * time.Second
	// requestTimeout bounds one request (not a watch), so that a server
	// that stops answering fails the operation instead of hanging it.
	requestTimeout = time.Minute
)

// Target says which cluster to connect to.
type Target struct {
	// Name is berth's name of the cluster, in every error:
	// `cluster "prod": ...`.
	Name string
	// Kubeconfig is the kubeconfig file; empty: KUBECONFIG, then
	// ~/.kube/config.
	Kubeconfig string
	// Context overrides the kubeconfig's current context.
	Context string
	// Namespace is where namespaced objects go; empty: the context's, else
	// "default".
	Namespace string
	// InCluster uses the service account of the pod berth runs in.
	InCluster bool
}

// Cluster is a connected cluster. Its methods are safe for concurrent use.
type Cluster struct {
	name      string
	namespace string
	server    string
	where     string
	version   string
	dyn       dynamic.Interface
	clientset kubernetes.Interface
	mapper    meta.ResettableRESTMapper
	calls     *callCounter
	// rest is the client configuration: what a command streamed into a
	// pod (exec) connects with.
	rest *rest.Config
}

// Connect loads t's client configuration and checks that the server
// answers (GET /version, bounded by 15 s and ctx). An unknown context, a
// missing kubeconfig or a server that does not answer is an error naming
// the cluster (and the server when there is one).
func Connect(ctx context.Context, t Target) (*Cluster, error) {
	rc, src, err := kubeconfig.Resolve(kubeconfig.Settings{Path: t.Kubeconfig, Context: t.Context, InCluster: t.InCluster})
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", t.Name, err)
	}
	c := &Cluster{name: t.Name, namespace: t.Namespace, server: src.Server, where: src.String(), calls: newCallCounter()}
	if c.namespace == "" {
		c.namespace = src.Namespace
	}
	if c.namespace == "" {
		c.namespace = DefaultNamespace
	}
	rc = rest.CopyConfig(rc)
	// client-go's default (5 requests a second) would throttle a plan's
	// dry-run applies; its warnings are the caller's to report, not
	// stderr's.
	rc.QPS, rc.Burst = 100, 200
	rc.WarningHandler = rest.NoWarnings{}
	rc.UserAgent = "berth"
	rc.Wrap(c.calls.wrap)
	c.rest = rc
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, c.errorf("client for %s: %w", c.where, err)
	}
	if c.clientset, err = kubernetes.NewForConfigAndClient(rc, hc); err != nil {
		return nil, c.errorf("client for %s: %w", c.where, err)
	}
	if c.dyn, err = dynamic.NewForConfigAndClient(rc, hc); err != nil {
		return nil, c.errorf("client for %s: %w", c.where, err)
	}
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.clientset.Discovery()))

	vctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	body, err := c.clientset.Discovery().RESTClient().Get().AbsPath("/version").Do(vctx).Raw()
	if err != nil {
		return nil, c.errorf("the API server %s does not answer: %w", c.where, err)
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, c.errorf("the API server %s answers /version with %.100q: %w", c.where, body, err)
	}
	c.version = v.GitVersion
	return c, nil
}

// Name is berth's name of the cluster.
func (c *Cluster) Name() string { return c.name }

// Namespace is where namespaced objects go when they name none.
func (c *Cluster) Namespace() string { return c.namespace }

// Server is the API server's URL.
func (c *Cluster) Server() string { return c.server }

// Where describes the server and the configuration it came from:
// "https://1.2.3.4:6443 (context prod of /home/u/.kube/config)".
func (c *Cluster) Where() string { return c.where }

// ServerVersion is the API server's version ("v1.37.1").
func (c *Cluster) ServerVersion() string { return c.version }

// Dynamic is the cluster's dynamic client, for what this package lacks;
// its requests are counted in Calls.
func (c *Cluster) Dynamic() dynamic.Interface { return c.dyn }

// Clientset is the cluster's typed client, for what this package lacks;
// its requests are counted in Calls.
func (c *Cluster) Clientset() kubernetes.Interface { return c.clientset }

// errorf returns an error naming the cluster.
func (c *Cluster) errorf(format string, a ...any) error {
	return fmt.Errorf("cluster %q: "+format, append([]any{c.name}, a...)...)
}

// InNamespace is c working in namespace ns (its connection and call count
// shared): for an object a manifest places in another namespace than the
// cluster block's. "" is c itself.
func (c *Cluster) InNamespace(ns string) *Cluster {
	if ns == "" || ns == c.namespace {
		return c
	}
	cp := *c
	cp.namespace = ns
	return &cp
}
