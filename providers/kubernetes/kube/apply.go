package kube

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// ErrUnknownKind is wrapped by the errors of objects whose kind no API of
// the cluster serves (a custom resource whose CRD is not created yet).
var ErrUnknownKind = errors.New("no API of the cluster serves this kind")

// ApplyOptions modify an Apply.
type ApplyOptions struct {
	// DryRun asks the server what it would make of the object, changing
	// nothing.
	DryRun bool
	// Force takes the fields other managers own.
	Force bool
	// Manager is the field manager; "" is FieldManager. berth applies
	// under another name only what must not become part of the object's
	// own fields (a rollout's pause of an autoscaler).
	Manager string
}

// Apply applies obj with server-side apply, field manager FieldManager,
// and returns the object the server made (or would make, with DryRun). A
// namespaced object without a namespace goes to the cluster's; obj itself
// is not changed. A conflict with another manager is a *ConflictError; a
// kind no API serves wraps ErrUnknownKind.
func (c *Cluster) Apply(ctx context.Context, obj *unstructured.Unstructured, o ApplyOptions) (*unstructured.Unstructured, error) {
	ri, namespaced, err := c.resource(ctx, obj.GroupVersionKind())
	if err != nil {
		return nil, err
	}
	obj = obj.DeepCopy()
	// The server refuses an apply that carries managedFields (an object
	// read back and applied again).
	obj.SetManagedFields(nil)
	if namespaced {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(c.namespace)
		}
		ri = ri.(dynamic.NamespaceableResourceInterface).Namespace(obj.GetNamespace())
	}
	manager := o.Manager
	if manager == "" {
		manager = FieldManager
	}
	opts := metav1.ApplyOptions{FieldManager: manager, Force: o.Force}
	if o.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	out, err := ri.Apply(ctx, obj.GetName(), obj, opts)
	if err != nil {
		if ce := conflictFrom(err, Describe(obj)); ce != nil {
			ce.Cluster = c.name
			return nil, ce
		}
		what := "applying"
		if o.DryRun {
			what = "dry-run applying"
		}
		return nil, c.errorf("%s %s: %w", what, Describe(obj), err)
	}
	return out, nil
}

// resource returns the client of gvk's resource (not yet in a namespace)
// and whether it is namespaced. The discovery behind the RESTMapper is
// cached; a kind it does not know resets it once (a CRD may have been
// created since) before the kind is declared unknown.
func (c *Cluster) resource(ctx context.Context, gvk schema.GroupVersionKind) (dynamic.ResourceInterface, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, c.errorf("%s: %w", gvk.Kind, err)
	}
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if meta.IsNoMatchError(err) {
		return nil, false, c.errorf("kind %s of %s: %w (is its CustomResourceDefinition created?)", gvk.Kind, gvk.GroupVersion(), ErrUnknownKind)
	}
	if err != nil {
		return nil, false, c.errorf("discovering the API of kind %s of %s: %w", gvk.Kind, gvk.GroupVersion(), err)
	}
	namespaced := m.Scope.Name() == meta.RESTScopeNameNamespace
	return c.dyn.Resource(m.Resource), namespaced, nil
}

// namespaced returns the client of gvk's resource in the cluster's
// namespace when the kind is namespaced, and that namespace ("" for a
// cluster-scoped kind).
func (c *Cluster) namespaced(ctx context.Context, gvk schema.GroupVersionKind) (dynamic.ResourceInterface, string, error) {
	ri, namespaced, err := c.resource(ctx, gvk)
	if err != nil || !namespaced {
		return ri, "", err
	}
	return ri.(dynamic.NamespaceableResourceInterface).Namespace(c.namespace), c.namespace, nil
}

// Describe names an object in messages: "Deployment shop/web".
func Describe(obj *unstructured.Unstructured) string {
	return describeName(obj.GetKind(), obj.GetNamespace(), obj.GetName())
}

func describeName(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return fmt.Sprintf("%s %s/%s", kind, namespace, name)
}
