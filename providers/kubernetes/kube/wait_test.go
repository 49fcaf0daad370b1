package kube

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

func pod(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": "shop"},
	}}
}

// TestFollow: follow calls check with the whole set after the list and
// each event, and lists again when a watch ends or reports an error.
func TestFollow(t *testing.T) {
	podsGVR := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{podsGVR: "PodList"}, pod("p1"))
	// Three watches: the first adds p2 then ends, the second reports an
	// error, the third deletes p1.
	events := [][]watch.Event{
		{{Type: watch.Added, Object: pod("p2")}},
		{{Type: watch.Error, Object: &metav1.Status{Code: 410, Reason: metav1.StatusReasonExpired}}},
		{{Type: watch.Deleted, Object: pod("p1")}},
	}
	watches := 0
	client.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		w := watch.NewFakeWithChanSize(len(events[watches]), false)
		for _, ev := range events[watches] {
			w.Action(ev.Type, ev.Object)
		}
		if watches == 0 {
			w.Stop()
		}
		watches++
		return true, w, nil
	})
	var seen []string
	err := follow(context.Background(), client.Resource(podsGVR).Namespace("shop"), metav1.ListOptions{},
		func(set map[string]*unstructured.Unstructured) (bool, error) {
			names := make([]string, 0, len(set))
			for n := range set {
				names = append(names, n)
			}
			slices.Sort(names)
			seen = append(seen, strings.Join(names, "+"))
			return len(set) == 0, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	// list, Added, list (watch ended), list (watch error), Deleted.
	want := []string{"p1", "p1+p2", "p1", "p1", ""}
	if !slices.Equal(seen, want) {
		t.Errorf("check saw %q, want %q", seen, want)
	}
	if watches != 3 {
		t.Errorf("%d watches, want 3", watches)
	}

	// A check that fails ends follow with its error; a context that ends
	// ends it with the context's.
	boom := errors.New("boom")
	if err := follow(context.Background(), client.Resource(podsGVR).Namespace("shop"), metav1.ListOptions{},
		func(map[string]*unstructured.Unstructured) (bool, error) { return false, boom }); err != boom {
		t.Errorf("check's error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	client.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		cancel()
		return true, watch.NewFake(), nil
	})
	err = follow(ctx, client.Resource(podsGVR).Namespace("shop"), metav1.ListOptions{},
		func(map[string]*unstructured.Unstructured) (bool, error) { return false, nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v", err)
	}
}
