//go:build integration

package manifest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// The integration tests apply what this package builds to the API server
// of scripts/testenv/kube.sh (make integration starts it), each test in a
// namespace of its own, deleted at its end.

const kubeconfigEnv = "BERTH_TEST_KUBECONFIG"

var resources = map[string]schema.GroupVersionResource{
	"Deployment":              {Group: "apps", Version: "v1", Resource: "deployments"},
	"Service":                 {Version: "v1", Resource: "services"},
	"Secret":                  {Version: "v1", Resource: "secrets"},
	"HorizontalPodAutoscaler": {Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
}

// testNamespace connects to the test environment and makes a namespace
// for the test.
func testNamespace(t *testing.T) (dynamic.Interface, string) {
	t.Helper()
	path := os.Getenv(kubeconfigEnv)
	if path == "" {
		t.Fatalf("%s is not set: start the test environment with scripts/testenv/kube.sh start and eval \"$(scripts/testenv/kube.sh env)\" (make integration does both)", kubeconfigEnv)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	ns := "manifest-" + hex.EncodeToString(b[:])
	ctx := t.Context()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}); err != nil {
			t.Errorf("deleting namespace %s: %v", ns, err)
		}
	})
	return dyn, ns
}

// TestApplyKeepsEveryField applies each object with server-side apply
// (field manager berth), as the provider does, and checks what the server
// made of it: every field berth wrote comes back as written (no quantity,
// default or omitted zero that would differ on the next plan), and
// applying it again changes nothing.
func TestApplyKeepsEveryField(t *testing.T) {
	dyn, ns := testNamespace(t)
	var objs []*unstructured.Unstructured
	for i, src := range []string{designApp, extrasApp, minimalApp, registryApp} {
		name := fmt.Sprintf("app%d", i)
		v, diags := decodeApp(t, src, name, registryValue(), nil)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		spec, err := app.Decode(v)
		if err != nil {
			t.Fatal(err)
		}
		rev := revision("registry.example.com/x")
		objs = append(objs, manifest.Deployment(spec, ns, rev, 0))
		if s := manifest.Service(spec, ns); s != nil {
			objs = append(objs, s)
		}
		if s := manifest.PullSecret(spec, ns); s != nil {
			objs = append(objs, s)
		}
	}
	pv, diags := decodePolicy(t, designPolicy, designApp)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, err := manifest.DecodeScalingPolicy(pv)
	if err != nil {
		t.Fatal(err)
	}
	p.Metrics = append(p.Metrics, manifest.Metric{Name: "cpu", Target: 0.25, HasTarget: true})
	objs = append(objs, manifest.HPA(p, ns, manifest.DeploymentName("app0", "7c9e6f1a")))

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for _, o := range objs {
		t.Run(o.GetKind()+"/"+o.GetName(), func(t *testing.T) {
			rc := dyn.Resource(resources[o.GetKind()]).Namespace(ns)
			got, err := rc.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: "berth"})
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if err := contains(o.Object, got.Object, o.GetKind()); err != nil {
				t.Errorf("the server changed what berth wrote: %v", err)
			}
			again, err := rc.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: "berth"})
			if err != nil {
				t.Fatalf("apply again: %v", err)
			}
			// Controllers write the status of Deployments and HPAs between
			// the two applies: their spec's generation says whether the
			// apply changed anything.
			if g := got.GetGeneration(); g > 0 {
				if again.GetGeneration() != g {
					t.Errorf("applying the same object again changed it: generation %d -> %d", g, again.GetGeneration())
				}
			} else if again.GetResourceVersion() != got.GetResourceVersion() {
				t.Errorf("applying the same object again changed it: resourceVersion %s -> %s", got.GetResourceVersion(), again.GetResourceVersion())
			}
			// A dry run of the same object is what the provider's plan
			// diffs: it, too, changes nothing.
			dry, err := rc.Patch(ctx, o.GetName(), types.ApplyPatchType, mustJSON(t, o), metav1.PatchOptions{FieldManager: "berth", DryRun: []string{metav1.DryRunAll}})
			if err != nil {
				t.Fatalf("dry-run apply: %v", err)
			}
			if err := contains(o.Object, dry.Object, o.GetKind()); err != nil {
				t.Errorf("dry run: %v", err)
			}
		})
	}
}

// contains reports the first field of want that got lacks or holds
// differently; lists are compared element by element.
func contains(want, got any, path string) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %v, want an object", path, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s.%s: missing, want %v", path, k, wv)
			}
			if err := contains(wv, gv, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: %v, want %v", path, got, w)
		}
		for i := range w {
			if err := contains(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		if !reflect.DeepEqual(want, got) {
			return fmt.Errorf("%s: %#v, want %#v", path, got, want)
		}
	}
	return nil
}

func mustJSON(t *testing.T, o *unstructured.Unstructured) []byte {
	t.Helper()
	b, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
