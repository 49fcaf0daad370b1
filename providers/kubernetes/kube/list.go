package kube

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// pageSize is the number of objects per page of a list.
const pageSize = 500

// Get returns the object of kind gvk named name (in the cluster's
// namespace when the kind is namespaced); nil, nil when there is none.
func (c *Cluster) Get(ctx context.Context, gvk schema.GroupVersionKind, name string) (*unstructured.Unstructured, error) {
	ri, ns, err := c.namespaced(ctx, gvk)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	obj, err := ri.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, c.errorf("reading %s: %w", describeName(gvk.Kind, ns, name), err)
	}
	return obj, nil
}

// List returns the objects of kind gvk (in the cluster's namespace when
// the kind is namespaced) that match the label selector ("" for all): one
// list request per kind, followed page by page (500 objects a page).
func (c *Cluster) List(ctx context.Context, gvk schema.GroupVersionKind, selector string) ([]unstructured.Unstructured, error) {
	ri, ns, err := c.namespaced(ctx, gvk)
	if err != nil {
		return nil, err
	}
	list, err := listAll(ctx, ri, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, c.errorf("listing %s%s: %w", gvk.Kind, inNamespace(ns), err)
	}
	return list.Items, nil
}

// listAll lists ri's objects matching opts, page by page. A continue
// token that expired (a long list meeting etcd's compaction) restarts
// the list without pages, as client-go's pager does.
func listAll(ctx context.Context, ri dynamic.ResourceInterface, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	all := &unstructured.UnstructuredList{}
	opts.Limit = pageSize
	for {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		page, err := ri.List(rctx, opts)
		cancel()
		if apierrors.IsResourceExpired(err) && opts.Continue != "" {
			opts.Limit, opts.Continue = 0, ""
			all.Items = all.Items[:0]
			continue
		}
		if err != nil {
			return nil, err
		}
		all.Items = append(all.Items, page.Items...)
		all.SetResourceVersion(page.GetResourceVersion())
		if page.GetContinue() == "" {
			return all, nil
		}
		opts.Continue = page.GetContinue()
	}
}

// Delete deletes the object of kind gvk named name with foreground
// propagation (its dependents go first); one that does not exist is not an
// error. It does not wait: WaitGone does.
func (c *Cluster) Delete(ctx context.Context, gvk schema.GroupVersionKind, name string) error {
	ri, ns, err := c.namespaced(ctx, gvk)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	fg := metav1.DeletePropagationForeground
	err = ri.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &fg})
	if err != nil && !apierrors.IsNotFound(err) {
		return c.errorf("deleting %s: %w", describeName(gvk.Kind, ns, name), err)
	}
	return nil
}

// inNamespace says where a list looked: " in namespace shop", "" for a
// cluster-scoped kind.
func inNamespace(ns string) string {
	if ns == "" {
		return ""
	}
	return " in namespace " + ns
}
