package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdTimeout bounds the wait for a new CustomResourceDefinition to be
// served: the API server establishes one in well under a second, but a
// busy machine may take many.
const crdTimeout = 2 * time.Minute

var crdGVK = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// IsCRD reports whether obj is a CustomResourceDefinition.
func IsCRD(obj *unstructured.Unstructured) bool {
	return obj.GroupVersionKind().GroupKind() == crdGVK.GroupKind()
}

// WaitCRDServed waits until the CustomResourceDefinition crd is
// Established and discovery serves each version it marks served, so that
// objects of its kind applied next (in the same run) find their API.
func (c *Cluster) WaitCRDServed(ctx context.Context, crd *unstructured.Unstructured) error {
	ctx, cancel := context.WithTimeout(ctx, crdTimeout)
	defer cancel()
	name := crd.GetName()
	ri, _, err := c.resource(ctx, crdGVK)
	if err != nil {
		return err
	}
	var live *unstructured.Unstructured
	err = follow(ctx, ri, metav1.ListOptions{FieldSelector: "metadata.name=" + name}, func(set map[string]*unstructured.Unstructured) (bool, error) {
		live = set[name]
		return live != nil && established(live), nil
	})
	if err != nil {
		return c.errorf("waiting for CustomResourceDefinition %s to be established: %w", name, crdWaitError(err))
	}
	group, _, _ := unstructured.NestedString(live.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(live.Object, "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(live.Object, "spec", "versions")
	for _, v := range versions {
		vm, _ := v.(map[string]any)
		version, _ := vm["name"].(string)
		if served, _ := vm["served"].(bool); !served || version == "" {
			continue
		}
		if err := c.waitDiscovered(ctx, schema.GroupKind{Group: group, Kind: kind}, version); err != nil {
			return c.errorf("waiting for the API of CustomResourceDefinition %s (kind %s of %s/%s): %w", name, kind, group, version, crdWaitError(err))
		}
	}
	return nil
}

// established reports whether a CRD's Established condition is True.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if cm["type"] == "Established" && cm["status"] == "True" {
			return true
		}
	}
	return false
}

// waitDiscovered resets the cached discovery until it maps gk at version.
func (c *Cluster) waitDiscovered(ctx context.Context, gk schema.GroupKind, version string) error {
	for {
		c.mapper.Reset()
		_, err := c.mapper.RESTMapping(gk, version)
		if err == nil {
			return nil
		}
		if !meta.IsNoMatchError(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(relistPause):
		}
	}
}

// crdWaitError names the time limit when it is what ended the wait.
func crdWaitError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("not served after %s", crdTimeout)
	}
	return err
}
