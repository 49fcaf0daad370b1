package kube

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

const (
	// watchTimeout asks the server to end a watch after this long (the
	// follower lists again), so that a watch lost in a proxy is noticed.
	watchTimeout = 5 * time.Minute
	// relistPause is the least time between two lists of a follower, so
	// that watches that end at once do not make a busy loop.
	relistPause = 250 * time.Millisecond
)

var podGVK = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}

// WaitGone waits until none of the objects of kind gvk named names exists
// any more (a list, then a watch), or ctx ends.
func (c *Cluster) WaitGone(ctx context.Context, gvk schema.GroupVersionKind, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	ri, ns, err := c.namespaced(ctx, gvk)
	if err != nil {
		return err
	}
	var opts metav1.ListOptions
	if len(names) == 1 {
		opts.FieldSelector = "metadata.name=" + names[0]
	}
	remaining := names
	err = follow(ctx, ri, opts, func(set map[string]*unstructured.Unstructured) (bool, error) {
		remaining = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return set[n] == nil })
		return len(remaining) == 0, nil
	})
	if err != nil {
		named := make([]string, len(remaining))
		for i, n := range remaining {
			named[i] = describeName(gvk.Kind, ns, n)
		}
		return c.errorf("waiting for %s to be gone: %w", strings.Join(named, ", "), err)
	}
	return nil
}

// WatchPods lists the pods of the cluster's namespace that match the label
// selector, then watches them, and calls until with the whole current set
// (sorted by name) after the list and after every change. It lists again
// when a watch ends or expires. It returns when until is done (nil) or
// fails (its error), or when ctx ends.
func (c *Cluster) WatchPods(ctx context.Context, selector string, until func(pods []corev1.Pod) (done bool, err error)) error {
	ri, _, err := c.namespaced(ctx, podGVK)
	if err != nil {
		return err
	}
	var untilErr error
	err = follow(ctx, ri, metav1.ListOptions{LabelSelector: selector}, func(set map[string]*unstructured.Unstructured) (bool, error) {
		pods := make([]corev1.Pod, 0, len(set))
		for _, o := range set {
			var p corev1.Pod
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &p); err != nil {
				return false, fmt.Errorf("pod %s: %w", o.GetName(), err)
			}
			pods = append(pods, p)
		}
		slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
		done, err := until(pods)
		untilErr = err
		return done, err
	})
	if err != nil && err != untilErr {
		return c.errorf("watching the pods %q of namespace %s: %w", selector, c.namespace, err)
	}
	return err
}

// follow lists ri's objects matching opts, then watches them, keeping the
// current set by name, and calls check with it after the list and after
// every change, until check is done or fails (its error is returned as
// it is) or ctx ends. A watch that ends, expires or reports an error is
// followed by a new list.
func follow(ctx context.Context, ri dynamic.ResourceInterface, opts metav1.ListOptions, check func(map[string]*unstructured.Unstructured) (bool, error)) error {
	for {
		listed := time.Now()
		list, err := listAll(ctx, ri, opts)
		if err != nil {
			return err
		}
		set := make(map[string]*unstructured.Unstructured, len(list.Items))
		for i := range list.Items {
			set[list.Items[i].GetName()] = &list.Items[i]
		}
		if done, err := check(set); done || err != nil {
			return err
		}
		done, err := watchFrom(ctx, ri, opts, list.GetResourceVersion(), set, check)
		if done || err != nil {
			return err
		}
		if wait := relistPause - time.Since(listed); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
	}
}

// watchFrom watches from resourceVersion on, applying each event to set
// and calling check. It returns false, nil when the caller should list
// again.
func watchFrom(ctx context.Context, ri dynamic.ResourceInterface, opts metav1.ListOptions, resourceVersion string, set map[string]*unstructured.Unstructured, check func(map[string]*unstructured.Unstructured) (bool, error)) (bool, error) {
	timeout := int64(watchTimeout / time.Second)
	w, err := ri.Watch(ctx, metav1.ListOptions{
		LabelSelector:       opts.LabelSelector,
		FieldSelector:       opts.FieldSelector,
		ResourceVersion:     resourceVersion,
		AllowWatchBookmarks: true,
		TimeoutSeconds:      &timeout,
	})
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return false, nil
		}
		return false, err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false, nil
			}
			switch ev.Type {
			case watch.Added, watch.Modified, watch.Deleted:
				o, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					return false, nil
				}
				if ev.Type == watch.Deleted {
					delete(set, o.GetName())
				} else {
					set[o.GetName()] = o
				}
				if done, err := check(set); done || err != nil {
					return done, err
				}
			case watch.Error:
				// Mostly 410 Gone: the resource version is too old.
				return false, nil
			}
		}
	}
}

// SetPodDeletionCost sets a pod's controller.kubernetes.io/pod-deletion-cost:
// a shrinking ReplicaSet removes the pods of the lowest cost first. A pod
// that is gone is not an error.
func (c *Cluster) SetPodDeletionCost(ctx context.Context, pod string, cost int) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"controller.kubernetes.io/pod-deletion-cost":%q}}}`, strconv.Itoa(cost))
	_, err := c.clientset.CoreV1().Pods(c.namespace).Patch(ctx, pod, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsNotFound(err) {
		return c.errorf("marking pod %s/%s to stop first: %w", c.namespace, pod, err)
	}
	return nil
}
