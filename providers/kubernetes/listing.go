package kubernetes

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// The kinds berth makes of an app.
var (
	gvkDeployment = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	gvkPod        = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	gvkService    = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
	gvkSecret     = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
	gvkHPA        = schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}
)

// live is what exists of one app in its namespace.
type live struct {
	// Deployments holds every revision's Deployment, by name.
	Deployments map[string]*unstructured.Unstructured
	Pods        []pod
	Service     *unstructured.Unstructured
	Secret      *unstructured.Unstructured
	// HPA is the app's HorizontalPodAutoscaler (its scaling_policy), nil
	// when it has none: then berth owns the replica count.
	HPA *unstructured.Unstructured
}

// exists reports whether anything of the app exists.
func (l *live) exists() bool {
	return len(l.Deployments) > 0 || len(l.Pods) > 0 || l.Service != nil || l.Secret != nil
}

// listing is what one list per kind found of berth's objects in a
// cluster's namespace, by app.
type listing struct {
	apps map[string]*live
}

// of is the app's share of the listing (empty when nothing exists).
func (ls *listing) of(object string) *live {
	if l := ls.apps[object]; l != nil {
		return l
	}
	return &live{Deployments: map[string]*unstructured.Unstructured{}}
}

// list lists the objects selector matches, one call per kind, grouped by
// the app label.
func list(ctx context.Context, c *kube.Cluster, selector string) (*listing, error) {
	ls := &listing{apps: map[string]*live{}}
	get := func(o *unstructured.Unstructured) *live {
		name := o.GetLabels()[manifest.LabelApp]
		l := ls.apps[name]
		if l == nil {
			l = &live{Deployments: map[string]*unstructured.Unstructured{}}
			ls.apps[name] = l
		}
		return l
	}
	for _, gvk := range []schema.GroupVersionKind{gvkDeployment, gvkPod, gvkService, gvkSecret, gvkHPA} {
		objs, err := c.List(ctx, gvk, selector)
		if err != nil {
			return nil, fmt.Errorf("cluster %q: listing %ss: %w", c.Name(), gvk.Kind, err)
		}
		for i := range objs {
			o := &objs[i]
			l := get(o)
			switch gvk {
			case gvkDeployment:
				l.Deployments[o.GetName()] = o
			case gvkPod:
				var p corev1.Pod
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &p); err != nil {
					return nil, fmt.Errorf("cluster %q: pod %s: %w", c.Name(), o.GetName(), err)
				}
				l.Pods = append(l.Pods, podOf(&p))
			case gvkService:
				l.Service = o
			case gvkSecret:
				l.Secret = o
			case gvkHPA:
				l.HPA = o
			}
		}
	}
	return ls, nil
}

// managedSelector selects every object berth made.
const managedSelector = manifest.LabelManagedBy + "=berth"

// appSelector selects the objects of one app.
func appSelector(object string) string {
	return managedSelector + "," + manifest.LabelApp + "=" + object
}

// liveOf reads what exists of app a: from the listing refresh took in
// this process when cached allows, or with one list per kind of its
// objects.
func (p *Provider) liveOf(ctx context.Context, c *kube.Cluster, a *deployment, cached bool) (*live, error) {
	p.listMu.Lock()
	ls := p.listings[a.Target]
	p.listMu.Unlock()
	if ls != nil && cached {
		return ls.of(a.Object), nil
	}
	ls, err := list(ctx, c, appSelector(a.Object))
	if err != nil {
		return nil, err
	}
	return ls.of(a.Object), nil
}

// storeListing keeps a cluster's listing for the plans that follow.
func (p *Provider) storeListing(t kube.Target, ls *listing) {
	p.listMu.Lock()
	p.listings[t] = ls
	p.listMu.Unlock()
}

// dropListings forgets every listing: an apply changed what exists.
func (p *Provider) dropListings() {
	p.listMu.Lock()
	clear(p.listings)
	p.listMu.Unlock()
}
