//go:build integration

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// The Kubernetes scenarios of issue 10 through the berth binary: the
// kubernetes provider (a plugin process of berth itself) against the
// control plane of scripts/testenv/kube.sh (kwok makes pods Ready), with
// images resolved through the registry of scripts/testenv/docker.sh.
// make integration starts both. Each test deploys into a namespace of
// its own.

// kubeTest is one working directory deploying into one namespace.
type kubeTest struct {
	e          *e2e
	cs         kubernetes.Interface
	ns         string
	kubeconfig string
	registry   string
	image      string
	pw         string
}

func newKubeTest(t *testing.T, config func(k kubeTest) string) kubeTest {
	t.Helper()
	k := kubeTest{
		kubeconfig: testKubeconfig(t), registry: dockerEnv(t, "BERTH_TEST_REGISTRY"), image: dockerEnv(t, "BERTH_TEST_IMAGE"),
		pw: "-var=registry_password=" + dockerEnv(t, "BERTH_TEST_REGISTRY_PASSWORD"),
		ns: placeName("k-"),
	}
	rc, err := clientcmd.BuildConfigFromFlags("", k.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if k.cs, err = kubernetes.NewForConfig(rc); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := k.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: k.ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = k.cs.CoreV1().Namespaces().Delete(context.Background(), k.ns, metav1.DeleteOptions{})
	})
	k.e = newE2E(t, config(k))
	return k
}

// kubeApp is a 4-replica app of the test server with a registry (so a
// pull Secret), resources written as a platform team writes them, and a
// readiness probe; its tag, node selector and healthy deadline are
// variables.
func kubeApp(k kubeTest) string {
	return fmt.Sprintf(`
variable "tag" {
  type    = string
  default = "v1"
}
variable "registry_password" {
  type      = string
  sensitive = true
}
variable "pool" {
  type    = string
  default = ""
}

registry "test" {
  address  = %q
  username = "berth"
  password = var.registry_password
}

cluster "k" {
  kubernetes {
    kubeconfig = %q
    namespace  = %q
  }
}

app "web" {
  cluster  = cluster.k
  image    = "%s:${var.tag}"
  replicas = 4
  env      = { GREETING = "hello" }
  port "http" {
    container = 8080
  }
  resources {
    cpu            = 1
    memory         = "1Gi"
    cpu_overcommit = 2
  }
  placement {
    node_selector = { for k, v in { pool = var.pool } : k => v if v != "" }
  }
  readiness {
    http {
      path = "/ready"
      port = "http"
    }
    period = "2s"
  }
  rollout {
    initial_batch    = 1
    growth           = 2
    min_healthy      = "2s"
    healthy_deadline = "25s"
    auto_revert      = true
  }
}
`, k.registry, k.kubeconfig, k.ns, k.image)
}

const kubeScaling = `
scaling_policy "web" {
  app = app.web
  min = 2
  max = 10
  metric "cpu" {
    target_utilization = 70
  }
}
`

func (k kubeTest) deployments(t *testing.T) map[string]appsv1.Deployment {
	t.Helper()
	l, err := k.cs.AppsV1().Deployments(k.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "berth.sh/app=web"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]appsv1.Deployment{}
	for _, d := range l.Items {
		out[d.Name] = d
	}
	return out
}

// onlyDeployment is the app's one Deployment.
func (k kubeTest) onlyDeployment(t *testing.T) appsv1.Deployment {
	t.Helper()
	ds := k.deployments(t)
	if len(ds) != 1 {
		t.Fatalf("%d Deployments of the app, want 1: %v", len(ds), keysOf(ds))
	}
	for _, d := range ds {
		return d
	}
	panic("unreachable")
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// readyPods counts the app's ready, not terminating pods by image.
func (k kubeTest) readyPods(t *testing.T) map[string]int {
	t.Helper()
	l, err := k.cs.CoreV1().Pods(k.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "berth.sh/app=web"})
	if err != nil {
		t.Fatal(err)
	}
	return countReady(l.Items)
}

func countReady(pods []corev1.Pod) map[string]int {
	out := map[string]int{}
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				out[p.Spec.Containers[0].Image]++
			}
		}
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestE2EKubernetesApp: an app with 4 replicas, a registry Secret and an
// autoscaler; no perpetual diffs; the autoscaler's count is left alone;
// an image change rolls out in waves 1, 2, 1, each wave's pods Ready
// before the old ones go, never fewer than 4 ready; destroy removes all
// of it.
func TestE2EKubernetesApp(t *testing.T) {
	k := newKubeTest(t, func(k kubeTest) string { return kubeApp(k) + kubeScaling })
	e, pw := k.e, k.pw
	ctx := context.Background()
	e.ok("apply", "-auto-approve", pw)

	d := k.onlyDeployment(t)
	if *d.Spec.Replicas != 4 {
		t.Errorf("replicas %d, want 4", *d.Spec.Replicas)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if !strings.Contains(c.Image, "@sha256:") {
		t.Errorf("image %q is not pinned to a digest", c.Image)
	}
	if got := c.Resources.Requests.Cpu().String(); got != "500m" {
		t.Errorf("cpu request %s, want 500m (limit 1 / overcommit 2)", got)
	}
	if got := c.Resources.Limits.Memory().String(); got != "1Gi" {
		t.Errorf("memory limit %s, want 1Gi", got)
	}
	if ps := d.Spec.Template.Spec.ImagePullSecrets; len(ps) != 1 {
		t.Errorf("imagePullSecrets %v, want the registry's Secret", ps)
	} else if s, err := k.cs.CoreV1().Secrets(k.ns).Get(ctx, ps[0].Name, metav1.GetOptions{}); err != nil || s.Type != corev1.SecretTypeDockerConfigJson ||
		!strings.Contains(string(s.Data[".dockerconfigjson"]), k.registry) {
		t.Errorf("pull Secret %s: %v %v", ps[0].Name, s, err)
	}
	if svc, err := k.cs.CoreV1().Services(k.ns).Get(ctx, "web", metav1.GetOptions{}); err != nil || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8080 {
		t.Errorf("Service web: %v %v", svc, err)
	}
	hpa, err := k.cs.AutoscalingV2().HorizontalPodAutoscalers(k.ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil || hpa.Spec.ScaleTargetRef.Name != d.Name || hpa.Spec.MaxReplicas != 10 {
		t.Fatalf("HPA web: %v %v", hpa, err)
	}
	if n := total(k.readyPods(t)); n != 4 {
		t.Errorf("%d ready pods, want 4", n)
	}

	// Zero perpetual diffs: quantities the server normalises, defaults it
	// fills, annotations controllers add.
	if r := e.expect(0, "plan", "-detailed-exitcode", pw); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("plan after apply:\n%s", r)
	}

	// The autoscaler changes the replica count (as its controller does,
	// through the scale subresource): berth's plan stays empty.
	scale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: k.ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 6}}
	if _, err := k.cs.AppsV1().Deployments(k.ns).UpdateScale(ctx, d.Name, scale, metav1.UpdateOptions{FieldManager: "horizontal-pod-autoscaler"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "6 ready pods", func() bool { return total(k.readyPods(t)) == 6 })
	if r := e.expect(0, "plan", "-detailed-exitcode", pw); !strings.Contains(r.stdout+r.stderr, "autoscaler") {
		t.Errorf("plan after the autoscaler scaled to 6 should change nothing and say the count is the autoscaler's:\n%s", r)
	}
	if _, err := k.cs.AppsV1().Deployments(k.ns).UpdateScale(ctx, d.Name, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: k.ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 4}}, metav1.UpdateOptions{FieldManager: "horizontal-pod-autoscaler"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "4 ready pods", func() bool { return total(k.readyPods(t)) == 4 })

	// A rolling update: watch the pods through it.
	oldImage := c.Image
	var mu sync.Mutex
	minReady, sawNew := 100, 0
	wctx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for wctx.Err() == nil {
			l, err := k.cs.CoreV1().Pods(k.ns).List(wctx, metav1.ListOptions{LabelSelector: "berth.sh/app=web"})
			if err != nil {
				continue
			}
			r := countReady(l.Items)
			mu.Lock()
			minReady = min(minReady, total(r))
			for img, n := range r {
				if img != oldImage {
					sawNew = max(sawNew, n)
				}
			}
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	b := e.start("apply", "-auto-approve", "-var=tag=v2", pw)
	oldName := d.Name
	var oldReplicas []int32
	for l := range b.lines {
		if strings.Contains(l, "wave 2/3 started") || strings.Contains(l, "wave 3/3 started") {
			old, ok := k.deployments(t)[oldName]
			if !ok {
				t.Fatalf("the old revision's Deployment is gone at %q", l)
			}
			oldReplicas = append(oldReplicas, *old.Spec.Replicas)
			// The autoscaler is paused through the rollout: it would grow
			// the old revision back to its minimum as berth shrinks it.
			if h, err := k.cs.AutoscalingV2().HorizontalPodAutoscalers(k.ns).Get(ctx, "web", metav1.GetOptions{}); err != nil || h.Spec.Behavior == nil ||
				h.Spec.Behavior.ScaleUp == nil || h.Spec.Behavior.ScaleUp.SelectPolicy == nil || *h.Spec.Behavior.ScaleUp.SelectPolicy != autoscalingv2.DisabledPolicySelect {
				t.Errorf("the HPA is not paused at %q: %v", l, err)
			} else if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas != 1 {
				t.Errorf("the paused HPA's minReplicas at %q: %v, want 1 (the autoscaler enforces its minimum whatever its policies)", l, h.Spec.MinReplicas)
			}
		}
	}
	if code := b.wait(); code != 0 {
		t.Fatalf("rollout: exit %d\n%s\n%s", code, &b.out, &b.errb)
	}
	stop()
	<-watched
	if fmt.Sprint(oldReplicas) != "[3 1]" {
		t.Errorf("the old revision had %v replicas when waves 2 and 3 started, want [3 1] (waves 1, 2, 1)\n%s", oldReplicas, &b.out)
	}
	if minReady < 4 {
		t.Errorf("only %d pods were ready at one point of the rollout; with max_unavailable 0 never fewer than 4", minReady)
	}
	if sawNew != 4 {
		t.Errorf("at most %d pods of the new image were ready, want 4", sawNew)
	}
	nd := k.onlyDeployment(t)
	if nd.Name == oldName || nd.Spec.Template.Spec.Containers[0].Image == oldImage || *nd.Spec.Replicas != 4 {
		t.Errorf("after the rollout: Deployment %s with %d replicas of %s", nd.Name, *nd.Spec.Replicas, nd.Spec.Template.Spec.Containers[0].Image)
	}
	if hpa, err := k.cs.AutoscalingV2().HorizontalPodAutoscalers(k.ns).Get(ctx, "web", metav1.GetOptions{}); err != nil || hpa.Spec.ScaleTargetRef.Name != nd.Name {
		t.Errorf("the HPA targets %v after the rollout, want %s (%v)", hpa.Spec.ScaleTargetRef, nd.Name, err)
	} else if b := hpa.Spec.Behavior; b != nil && b.ScaleUp != nil && b.ScaleUp.SelectPolicy != nil && *b.ScaleUp.SelectPolicy == autoscalingv2.DisabledPolicySelect {
		t.Errorf("the HPA is still paused after the rollout")
	} else if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != 2 {
		t.Errorf("the HPA's minReplicas after the rollout: %v, want the policy's 2", hpa.Spec.MinReplicas)
	}
	e.expect(0, "plan", "-detailed-exitcode", "-var=tag=v2", pw)

	e.ok("destroy", "-auto-approve", "-var=tag=v2", pw)
	if ds := k.deployments(t); len(ds) != 0 {
		t.Errorf("Deployments left after destroy: %v", keysOf(ds))
	}
	for _, check := range []func() error{
		func() error { _, err := k.cs.CoreV1().Services(k.ns).Get(ctx, "web", metav1.GetOptions{}); return err },
		func() error {
			_, err := k.cs.AutoscalingV2().HorizontalPodAutoscalers(k.ns).Get(ctx, "web", metav1.GetOptions{})
			return err
		},
	} {
		if err := check(); err == nil {
			t.Errorf("an object of the app is left after destroy")
		}
	}
	if n := total(k.readyPods(t)); n != 0 {
		t.Errorf("%d pods left after destroy", n)
	}
}

// TestE2EKubernetesFailedRollout: a rollout whose pods are never
// scheduled (a node selector no node matches) fails after the healthy
// deadline and reverts; the old pods serve throughout; the next plan
// proposes the rollout again.
func TestE2EKubernetesFailedRollout(t *testing.T) {
	k := newKubeTest(t, kubeApp)
	e, pw := k.e, k.pw
	e.ok("apply", "-auto-approve", pw)
	old := k.onlyDeployment(t)
	r := e.expect(1, "apply", "-auto-approve", "-var=pool=nowhere", pw)
	if !strings.Contains(r.stderr, "not scheduled") || !strings.Contains(r.stderr, "reverted") {
		t.Errorf("the failed rollout should say the pods were not scheduled and the rollout reverted:\n%s", r)
	}
	if d := k.onlyDeployment(t); d.Name != old.Name || *d.Spec.Replicas != 4 {
		t.Errorf("after the revert: Deployment %s with %d replicas, want %s with 4", d.Name, *d.Spec.Replicas, old.Name)
	}
	if n := total(k.readyPods(t)); n != 4 {
		t.Errorf("%d ready pods after the revert, want 4", n)
	}
	r = e.expect(2, "plan", "-detailed-exitcode", "-var=pool=nowhere", pw)
	if !strings.Contains(r.stdout, "wave 1") {
		t.Errorf("the next plan should propose the rollout again:\n%s", r)
	}
	e.ok("destroy", "-auto-approve", pw)
}

// TestE2EKubernetesDrift: edits behind berth's back (an image set with
// kubectl, the Service deleted, the Deployment scaled by hand) are found
// by drift and repaired by apply; a field another applier owns is a
// conflict naming that manager.
func TestE2EKubernetesDrift(t *testing.T) {
	k := newKubeTest(t, kubeApp)
	e, pw := k.e, k.pw
	ctx := context.Background()
	e.ok("apply", "-auto-approve", pw)
	d := k.onlyDeployment(t)
	image := d.Spec.Template.Spec.Containers[0].Image

	// kubectl set image: an Update by another manager.
	d.Spec.Template.Spec.Containers[0].Image = "registry.invalid/other:1"
	if _, err := k.cs.AppsV1().Deployments(k.ns).Update(ctx, &d, metav1.UpdateOptions{FieldManager: "kubectl-set"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pods of the edited image", func() bool { return k.readyPods(t)["registry.invalid/other:1"] == 4 })
	if r := e.expect(2, "drift", pw); !strings.Contains(r.stdout, "registry.invalid/other:1") {
		t.Errorf("drift should show the image set outside berth:\n%s", r)
	}
	e.ok("apply", "-auto-approve", pw)
	if got := k.onlyDeployment(t).Spec.Template.Spec.Containers[0].Image; got != image {
		t.Errorf("after the repair the image is %s, want %s", got, image)
	}
	if n := k.readyPods(t)[image]; n != 4 {
		t.Errorf("%d ready pods of the planned image after the repair, want 4", n)
	}
	e.expect(0, "plan", "-detailed-exitcode", pw)

	// The Service deleted, the Deployment scaled by hand.
	if err := k.cs.CoreV1().Services(k.ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.cs.AppsV1().Deployments(k.ns).UpdateScale(ctx, d.Name, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: k.ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 2}}, metav1.UpdateOptions{FieldManager: "kubectl-scale"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "2 pods", func() bool { return total(k.readyPods(t)) == 2 })
	e.expect(2, "drift", pw)
	e.ok("apply", "-auto-approve", pw)
	if _, err := k.cs.CoreV1().Services(k.ns).Get(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Errorf("the Service was not re-created: %v", err)
	}
	if n := total(k.readyPods(t)); n != 4 {
		t.Errorf("%d ready pods after the repair, want 4", n)
	}
	e.expect(0, "plan", "-detailed-exitcode", pw)

	// Another applier takes the env berth sets: a conflict, not a fight.
	patch := fmt.Sprintf(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":%q},"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"GREETING","value":"theirs"}]}]}}}}`, d.Name)
	if _, err := k.cs.AppsV1().Deployments(k.ns).Patch(ctx, d.Name, types.ApplyPatchType, []byte(patch), metav1.PatchOptions{FieldManager: "other-tool", Force: ptrTo(true)}); err != nil {
		t.Fatal(err)
	}
	r := e.expect(1, "apply", "-auto-approve", pw)
	if !strings.Contains(r.stderr, `"other-tool"`) || !strings.Contains(r.stderr, "GREETING") && !strings.Contains(r.stderr, "env") {
		t.Errorf("the conflict should name the other manager and the field:\n%s", r)
	}
	e.ok("destroy", "-auto-approve", pw)
}

// TestE2EKubernetesImport: an app whose state was lost is adopted by
// import from its Deployment, and the next plan is empty.
func TestE2EKubernetesImport(t *testing.T) {
	k := newKubeTest(t, kubeApp)
	e, pw := k.e, k.pw
	e.ok("apply", "-auto-approve", pw)
	d := k.onlyDeployment(t)
	e.ok("state", "rm", "app.web")
	e.ok("import", pw, "app.web", k.ns+"/"+d.Name)
	if r := e.expect(0, "plan", "-detailed-exitcode", pw); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("plan after import:\n%s", r)
	}
	r := e.expect(1, "import", pw, "app.web", k.ns+"/nothing-here")
	if !strings.Contains(r.stderr, "does not exist") && !strings.Contains(r.stderr, "already managed") {
		t.Errorf("import of a missing Deployment:\n%s", r)
	}
	e.ok("destroy", "-auto-approve", pw)
}

// TestE2EKubernetesManifest: kubernetes_manifest applies a ConfigMap and,
// in the same run, a CustomResourceDefinition and a custom resource of
// it (planned as known after apply); no perpetual diff; destroy removes
// them.
func TestE2EKubernetesManifest(t *testing.T) {
	group := placeName("g") + ".berth.test"
	k := newKubeTest(t, func(k kubeTest) string {
		return fmt.Sprintf(`
cluster "k" {
  kubernetes {
    kubeconfig = %q
    namespace  = %q
  }
}

resource "kubernetes_manifest" "settings" {
  cluster = cluster.k
  manifest = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "settings" }
    data       = { level = "info" }
  }
}

resource "kubernetes_manifest" "crd" {
  cluster = cluster.k
  manifest = {
    apiVersion = "apiextensions.k8s.io/v1"
    kind       = "CustomResourceDefinition"
    metadata   = { name = "widgets.%[3]s" }
    spec = {
      group = %[3]q
      names = { kind = "Widget", plural = "widgets", singular = "widget" }
      scope = "Namespaced"
      versions = [{
        name    = "v1"
        served  = true
        storage = true
        schema = { openAPIV3Schema = { type = "object", properties = { spec = { type = "object", properties = { size = { type = "integer" } } } } } }
      }]
    }
  }
}

resource "kubernetes_manifest" "widget" {
  cluster    = cluster.k
  depends_on = [kubernetes_manifest.crd]
  manifest = {
    apiVersion = "%[3]s/v1"
    kind       = "Widget"
    metadata   = { name = "w1" }
    spec       = { size = 3 }
  }
}
`, k.kubeconfig, k.ns, group)
	})
	e := k.e
	r := e.expect(2, "plan", "-detailed-exitcode")
	if !strings.Contains(r.stdout, "known after apply") {
		t.Errorf("the custom resource should plan as known after apply:\n%s", r)
	}
	e.ok("apply", "-auto-approve")
	cm, err := k.cs.CoreV1().ConfigMaps(k.ns).Get(context.Background(), "settings", metav1.GetOptions{})
	if err != nil || cm.Data["level"] != "info" {
		t.Fatalf("ConfigMap settings: %v %v", cm, err)
	}
	e.expect(0, "plan", "-detailed-exitcode")
	cm.Data["level"] = "debug"
	if _, err := k.cs.CoreV1().ConfigMaps(k.ns).Update(context.Background(), cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	if r := e.expect(2, "drift"); !strings.Contains(r.stdout, ".data") {
		t.Errorf("drift should list the edited field:\n%s", r)
	}
	e.ok("apply", "-auto-approve")
	if cm, _ := k.cs.CoreV1().ConfigMaps(k.ns).Get(context.Background(), "settings", metav1.GetOptions{}); cm == nil || cm.Data["level"] != "info" {
		t.Errorf("the edit was not repaired: %v", cm)
	}
	// Another applier takes a field the manifest sets: a conflict at
	// plan, naming it.
	theirs := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"level":"theirs"}}`
	if _, err := k.cs.CoreV1().ConfigMaps(k.ns).Patch(context.Background(), "settings", types.ApplyPatchType, []byte(theirs), metav1.PatchOptions{FieldManager: "other-tool", Force: ptrTo(true)}); err != nil {
		t.Fatal(err)
	}
	if r := e.expect(1, "plan"); !strings.Contains(r.stderr, `"other-tool"`) || !strings.Contains(r.stderr, "level") {
		t.Errorf("the plan should name the other applier and the field:\n%s", r)
	}
	e.ok("destroy", "-auto-approve")
	if _, err := k.cs.CoreV1().ConfigMaps(k.ns).Get(context.Background(), "settings", metav1.GetOptions{}); err == nil {
		t.Errorf("the ConfigMap is left after destroy")
	}
}

// TestE2EKubernetesUnknownCluster: a cluster berth cannot reach is an
// error naming it, never a fallback to another cluster.
func TestE2EKubernetesUnknownCluster(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(bad, []byte(`apiVersion: v1
kind: Config
clusters:
- name: gone
  cluster:
    server: https://127.0.0.1:1
contexts:
- name: gone
  context:
    cluster: gone
    user: u
users:
- name: u
  user:
    token: x
current-context: gone
`), 0o600); err != nil {
		t.Fatal(err)
	}
	k := newKubeTest(t, func(k kubeTest) string {
		k.kubeconfig = bad
		return kubeApp(k)
	})
	r := k.e.expect(1, "plan", k.pw)
	if !strings.Contains(r.stderr, `cluster "k"`) || !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("the error should name the cluster and its server:\n%s", r)
	}
}

func ptrTo[T any](v T) *T { return &v }

// waitFor polls cond (every 200 ms, up to a minute: a busy machine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
