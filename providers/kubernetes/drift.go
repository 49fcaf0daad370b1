package kubernetes

import (
	"encoding/json"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// statusModified marks an instance whose Deployment, Service or pull
// Secret was changed outside berth on a field berth sets: the next apply
// takes the field back.
const statusModified = "modified"

// modified says whether an object was changed outside berth on a field
// berth sets: the fields berth owns of the live object (extracted from
// its managedFields) differ from what berth applies. A field that an
// imperative edit (kubectl edit, set, patch) changed is no longer berth's,
// so it is missing from the extraction; fields other managers own
// (the autoscaler's replicas, an injected sidecar, a controller's
// annotations) are never compared. The replica count is left out: pods
// tell whether it holds. want is nil when berth applies no such object;
// then the object must not exist.
func modified(want, live *unstructured.Unstructured) (bool, error) {
	switch {
	case want == nil:
		return false, nil
	case live == nil:
		return true, nil
	}
	got, err := extract(live)
	if err != nil {
		return false, err
	}
	applied, err := normalise(want)
	if err != nil {
		return false, err
	}
	return !reflect.DeepEqual(got, applied), nil
}

// extract is the fields berth owns of o, as a JSON-decoded map without
// the fields compare leaves out.
func extract(o *unstructured.Unstructured) (map[string]any, error) {
	var ac any
	switch o.GetKind() {
	case "Deployment":
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
			return nil, err
		}
		x, err := appsv1ac.ExtractDeployment(&d, kube.FieldManager)
		if err != nil {
			return nil, err
		}
		ac = x
	case "Service":
		var s corev1.Service
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &s); err != nil {
			return nil, err
		}
		x, err := corev1ac.ExtractService(&s, kube.FieldManager)
		if err != nil {
			return nil, err
		}
		ac = x
	case "Secret":
		var s corev1.Secret
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &s); err != nil {
			return nil, err
		}
		x, err := corev1ac.ExtractSecret(&s, kube.FieldManager)
		if err != nil {
			return nil, err
		}
		ac = x
	default:
		return nil, fmt.Errorf("no extraction of kind %s", o.GetKind())
	}
	b, err := json.Marshal(ac)
	if err != nil {
		return nil, err
	}
	return trimCompared(b, o.GetKind())
}

// normalise is what berth applies, through the same typed apply
// configuration as extract, so that both sides are spelled alike.
func normalise(o *unstructured.Unstructured) (map[string]any, error) {
	b, err := json.Marshal(o.Object)
	if err != nil {
		return nil, err
	}
	var ac any
	switch o.GetKind() {
	case "Deployment":
		ac = &appsv1ac.DeploymentApplyConfiguration{}
	case "Service":
		ac = &corev1ac.ServiceApplyConfiguration{}
	case "Secret":
		ac = &corev1ac.SecretApplyConfiguration{}
	default:
		return nil, fmt.Errorf("no extraction of kind %s", o.GetKind())
	}
	if err := json.Unmarshal(b, ac); err != nil {
		return nil, err
	}
	if b, err = json.Marshal(ac); err != nil {
		return nil, err
	}
	return trimCompared(b, o.GetKind())
}

// trimCompared decodes b and removes what is not compared: the replica
// count, and the create key that only a create sets.
func trimCompared(b []byte, kind string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if kind == "Deployment" {
		unstructured.RemoveNestedField(m, "spec", "replicas")
	}
	unstructured.RemoveNestedField(m, "metadata", "annotations", annotationCreateKey)
	if ann, found, _ := unstructured.NestedMap(m, "metadata", "annotations"); found && len(ann) == 0 {
		unstructured.RemoveNestedField(m, "metadata", "annotations")
	}
	return m, nil
}

// appDrift says which of the app's objects berth applies were changed
// outside berth: the revision's Deployments by name, and shared (the
// Service or the pull Secret).
func appDrift(a *deployment, ns string, l *live, revisions map[string]string) (deployments map[string]bool, shared bool, err error) {
	deployments = map[string]bool{}
	for name, h := range revisions {
		d := l.Deployments[name]
		if d == nil {
			continue
		}
		replicas, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		want := manifest.Deployment(a.Spec, ns, a.revision(h, a.Pinned), int(replicas))
		m, err := modified(want, d)
		if err != nil {
			return nil, false, fmt.Errorf("comparing Deployment %s: %w", name, err)
		}
		deployments[name] = m
	}
	for _, o := range []struct{ want, live *unstructured.Unstructured }{
		{manifest.Service(a.Spec, ns), l.Service},
		{manifest.PullSecret(a.Spec, ns), l.Secret},
	} {
		m, err := modified(o.want, o.live)
		if err != nil {
			return nil, false, err
		}
		shared = shared || m
	}
	return deployments, shared, nil
}
