//go:build integration

package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
)

// The integration tests run against the control plane of
// scripts/testenv/kube.sh (make integration starts it), each in a
// namespace of its own, deleted when it ends.

const kubeconfigEnv = "BERTH_TEST_KUBECONFIG"

var (
	deploymentGVK = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	configMapGVK  = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	nonDNS        = regexp.MustCompile(`[^a-z0-9]+`)
)

func testKubeconfig(t *testing.T) string {
	t.Helper()
	path := os.Getenv(kubeconfigEnv)
	if path == "" {
		t.Fatalf("%s is not set: start the test environment with scripts/testenv/kube.sh start and eval \"$(scripts/testenv/kube.sh env)\" (make integration does both)", kubeconfigEnv)
	}
	return path
}

func randomSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// testCluster connects to the test environment in a new namespace of the
// test's own.
func testCluster(t *testing.T) *Cluster {
	t.Helper()
	name := strings.Trim(nonDNS.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 40 {
		name = strings.Trim(name[:40], "-")
	}
	ns := name + "-" + randomSuffix()
	ctx := context.Background()
	c, err := Connect(ctx, Target{Name: "test", Kubeconfig: testKubeconfig(t), Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clientset().CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Clientset().CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
			t.Errorf("deleting the test's namespace: %v", err)
		}
	})
	return c
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// deployment is berth's Deployment of app name: replicas, image, a cpu
// limit written as cpu.
func deployment(name string, replicas int64, image, cpu string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "labels": map[string]any{"app": name}},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": name}},
				"spec": map[string]any{"containers": []any{map[string]any{
					"name": "web", "image": image,
					"resources": map[string]any{"limits": map[string]any{"cpu": cpu, "memory": "64Mi"}},
				}}},
			},
		},
	}}
}

func configMap(name string, labels map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "labels": labels},
		"data":     map[string]any{"k": name},
	}}
}

// TestConnectIntegration: Connect names the server, takes the target's
// namespace; an unknown context of the test kubeconfig and a server that
// does not answer are errors naming the cluster.
func TestConnectIntegration(t *testing.T) {
	ctx := timeout(t, time.Minute)
	path := testKubeconfig(t)
	c, err := Connect(ctx, Target{Name: "test", Kubeconfig: path, Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Server(), "https://127.0.0.1:") || c.Namespace() != "shop" || c.Name() != "test" ||
		!strings.Contains(c.Where(), " of "+path+")") || c.ServerVersion() != "v1.37.1" {
		t.Errorf("connected to %s (%s), namespace %s, name %s, version %s", c.Server(), c.Where(), c.Namespace(), c.Name(), c.ServerVersion())
	}
	if calls := c.Calls(); calls.Total != 1 || calls.ByVerb["discovery"] != 1 {
		t.Errorf("connecting made %+v, want one /version", calls)
	}

	_, err = Connect(ctx, Target{Name: "prod", Kubeconfig: path, Context: "no-such-context"})
	if err == nil || !strings.Contains(err.Error(), `cluster "prod"`) || !strings.Contains(err.Error(), "no-such-context") {
		t.Errorf("unknown context: %v", err)
	}
	_, err = Connect(ctx, Target{Name: "edge", Kubeconfig: writeKubeconfig(t, "https://127.0.0.1:1")})
	if err == nil || !strings.Contains(err.Error(), `cluster "edge"`) || !strings.Contains(err.Error(), "https://127.0.0.1:1") {
		t.Errorf("unreachable: %v", err)
	}
}

// TestNormalisedQuantity: a Deployment applied with cpu "1", then
// dry-run applied with "1000m", shows no difference; a changed image
// does.
func TestNormalisedQuantity(t *testing.T) {
	c := testCluster(t)
	ctx := timeout(t, 2*time.Minute)
	if _, err := c.Apply(ctx, deployment("web", 1, "web:1", "1"), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	live, err := c.Get(ctx, deploymentGVK, "web")
	if err != nil || live == nil {
		t.Fatalf("get: %v, %v", live, err)
	}
	same := deployment("web", 1, "web:1", "1000m")
	dryRun, err := c.Apply(ctx, same, ApplyOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := OwnedDiff(same.Object, dryRun.Object, live.Object); len(d) != 0 {
		t.Errorf("cpu 1 vs 1000m: %q", d)
	}
	changed := deployment("web", 1, "web:2", "1000m")
	dryRun, err = c.Apply(ctx, changed, ApplyOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := OwnedDiff(changed.Object, dryRun.Object, live.Object); len(d) != 1 || d[0] != ".spec.template.spec.containers" {
		t.Errorf("image changed: %q", d)
	}
	// The dry run changed nothing (the controllers change its status and
	// annotations, not its generation).
	if again, _ := c.Get(ctx, deploymentGVK, "web"); again.GetGeneration() != live.GetGeneration() {
		t.Error("the dry-run apply changed the Deployment")
	}
}

// TestConflict: a field another manager took with an update makes a
// non-forced apply of another value a ConflictError naming the manager
// and the field; Force takes it.
func TestConflict(t *testing.T) {
	c := testCluster(t)
	ctx := timeout(t, 2*time.Minute)
	if _, err := c.Apply(ctx, deployment("web", 1, "web:1", "1"), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	deployments := c.Dynamic().Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}).Namespace(c.Namespace())
	// An edit as kubectl edit makes it: read, change, update (again when
	// the controller's status update came between).
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := deployments.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		containers, _, _ := unstructured.NestedSlice(live.Object, "spec", "template", "spec", "containers")
		containers[0].(map[string]any)["image"] = "web:edited"
		if err := unstructured.SetNestedSlice(live.Object, containers, "spec", "template", "spec", "containers"); err != nil {
			return err
		}
		_, err = deployments.Update(ctx, live, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.Apply(ctx, deployment("web", 1, "web:2", "1"), ApplyOptions{})
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("apply over kubectl-edit's image: %v", err)
	}
	field := `.spec.template.spec.containers[name="web"].image`
	if len(ce.Conflicts) != 1 || ce.Conflicts[0].Manager != "kubectl-edit" || ce.Conflicts[0].Field != field {
		t.Errorf("conflicts %+v", ce.Conflicts)
	}
	want := `cluster "test": Deployment ` + c.Namespace() + `/web: field ` + field + ` is owned by "kubectl-edit"`
	if err.Error() != want {
		t.Errorf("error %q\nwant   %q", err, want)
	}

	out, err := c.Apply(ctx, deployment("web", 1, "web:2", "1"), ApplyOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	containers, _, _ := unstructured.NestedSlice(out.Object, "spec", "template", "spec", "containers")
	if img := containers[0].(map[string]any)["image"]; img != "web:2" {
		t.Errorf("forced apply left image %v", img)
	}
}

// TestListOneCall: three labelled ConfigMaps among others cost one list
// request.
func TestListOneCall(t *testing.T) {
	c := testCluster(t)
	ctx := timeout(t, time.Minute)
	for _, cm := range []*unstructured.Unstructured{
		configMap("a", map[string]any{"berth.sh/app": "web"}),
		configMap("b", map[string]any{"berth.sh/app": "web"}),
		configMap("c", map[string]any{"berth.sh/app": "web"}),
		configMap("d", map[string]any{"berth.sh/app": "api"}),
	} {
		if _, err := c.Apply(ctx, cm, ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	before := c.Calls()
	items, err := c.List(ctx, configMapGVK, "berth.sh/app=web")
	if err != nil {
		t.Fatal(err)
	}
	after := c.Calls()
	var names []string
	for _, o := range items {
		names = append(names, o.GetName())
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("listed %v", names)
	}
	t.Logf("connect, 4 applies and a list: %+v", after)
	if after.Total-before.Total != 1 || after.ByVerb["list"]-before.ByVerb["list"] != 1 {
		t.Errorf("listing cost %d requests (%d lists)", after.Total-before.Total, after.ByVerb["list"]-before.ByVerb["list"])
	}
}

// TestDeleteWaitGone: WaitGone returns once the deleted objects (a
// Deployment deleted in the foreground, with its ReplicaSet and pods, and
// a ConfigMap) are gone; deleting what is not there is no error.
func TestDeleteWaitGone(t *testing.T) {
	c := testCluster(t)
	ctx := timeout(t, 2*time.Minute)
	for _, o := range []*unstructured.Unstructured{deployment("web", 1, "web:1", "100m"), configMap("a", nil), configMap("b", nil)} {
		if _, err := c.Apply(ctx, o, ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []struct {
		gvk  schema.GroupVersionKind
		name string
	}{{deploymentGVK, "web"}, {configMapGVK, "a"}, {configMapGVK, "b"}, {configMapGVK, "never"}} {
		if err := c.Delete(ctx, d.gvk, d.name); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitGone(ctx, deploymentGVK, "web"); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitGone(ctx, configMapGVK, "a", "b", "never"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		gvk  schema.GroupVersionKind
		name string
	}{{deploymentGVK, "web"}, {configMapGVK, "a"}} {
		if o, err := c.Get(ctx, d.gvk, d.name); o != nil || err != nil {
			t.Errorf("%s %s after WaitGone: %v, %v", d.gvk.Kind, d.name, o != nil, err)
		}
	}

	// An object that stays: WaitGone ends with ctx, naming it.
	if _, err := c.Apply(ctx, configMap("stays", nil), ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := c.WaitGone(short, configMapGVK, "stays")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "ConfigMap "+c.Namespace()+"/stays") {
		t.Errorf("waiting for a ConfigMap that stays: %v", err)
	}
}

// TestWatchPods: the pods of a 2-replica Deployment are seen Ready (kwok
// makes them so), with the whole set at each call. The watch starts
// before the Deployment is applied, so its first list finds no pod and
// the pods come through the watch, however fast the cluster is.
func TestWatchPods(t *testing.T) {
	c := testCluster(t)
	ctx := timeout(t, 3*time.Minute)
	listed := make(chan struct{})
	applied := make(chan error, 1)
	go func() {
		<-listed
		_, err := c.Apply(ctx, deployment("web", 2, "web:1", "100m"), ApplyOptions{})
		applied <- err
	}()
	calls := 0
	var last []corev1.Pod
	err := c.WatchPods(ctx, "app=web", func(pods []corev1.Pod) (bool, error) {
		if calls == 0 {
			if len(pods) != 0 {
				return false, fmt.Errorf("the first list found %d pods before the Deployment was applied", len(pods))
			}
			close(listed)
		}
		calls++
		last = pods
		ready := 0
		for _, p := range pods {
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready == 2, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-applied; err != nil {
		t.Fatal(err)
	}
	if len(last) != 2 || calls < 2 {
		t.Errorf("%d calls, last with %d pods", calls, len(last))
	}
	t.Logf("until called %d times", calls)

	// until's error is returned as it is.
	stop := errors.New("stop")
	if err := c.WatchPods(ctx, "app=web", func([]corev1.Pod) (bool, error) { return false, stop }); err != stop {
		t.Errorf("until's error: %v", err)
	}
}

// TestUnknownKind: a custom resource whose CRD does not exist wraps
// ErrUnknownKind; once the CRD is created, the same apply succeeds (the
// RESTMapper resets on a kind it does not know).
func TestUnknownKind(t *testing.T) {
	c := testCluster(t)
	ctx := timeout(t, 2*time.Minute)
	group := "t" + randomSuffix() + ".berth.test"
	widget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w"},
		"spec":     map[string]any{"size": int64(3)},
	}}
	_, err := c.Apply(ctx, widget, ApplyOptions{})
	if !errors.Is(err, ErrUnknownKind) || !strings.Contains(err.Error(), `cluster "test"`) {
		t.Fatalf("applying a Widget without its CRD: %v", err)
	}
	if _, err := c.Get(ctx, widget.GroupVersionKind(), "w"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("getting a Widget without its CRD: %v", err)
	}

	crdGVK := schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets." + group},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	}}
	if _, err := c.Apply(ctx, crd, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Delete(context.Background(), crdGVK, crd.GetName()); err != nil {
			t.Errorf("deleting the CRD: %v", err)
		}
	})
	// The kind is served once WaitCRDServed returns: no retry.
	if err := c.WaitCRDServed(ctx, crd); err != nil {
		t.Fatal(err)
	}
	out, err := c.Apply(ctx, widget, ApplyOptions{})
	if err != nil {
		t.Fatalf("applying a Widget after its CRD: %v", err)
	}
	if out.GetNamespace() != c.Namespace() {
		t.Errorf("the Widget went to namespace %q", out.GetNamespace())
	}
}
