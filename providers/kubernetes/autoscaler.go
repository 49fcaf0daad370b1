package kubernetes

import (
	"context"
	"strconv"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	autoscalingv2ac "k8s.io/client-go/applyconfigurations/autoscaling/v2"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// rolloutManager is the field manager of a rollout's pause of the app's
// autoscaler: fields apart from the scaling policy's own ("berth"), so
// that releasing them restores the policy as written.
const rolloutManager = "berth-rollout"

// annotationPausedMin keeps, while a rollout pauses the autoscaler, the
// minReplicas the scaling policy set.
const annotationPausedMin = "berth.sh/paused-min-replicas"

// pauseAutoscaler stops the app's HorizontalPodAutoscaler from scaling
// while a rollout moves replicas between revisions: without it, the
// autoscaler would grow the previous revision back to its minimum as
// berth shrinks it, and fight every wave. Both directions' selectPolicy
// is Disabled, and minReplicas 1 (the autoscaler enforces the minimum
// before its policies); the policy's minimum waits in an annotation until
// resumeAutoscaler. A pause already in place (an interrupted rollout) is
// kept as it is.
func (ap *applier) pauseAutoscaler(ctx context.Context) error {
	h, err := ap.autoscaler(ctx)
	if h == nil || err != nil || managerOperation(h, rolloutManager) != "" {
		return err
	}
	lo, _, _ := unstructured.NestedInt64(h.Object, "spec", "minReplicas")
	disabled := map[string]any{"selectPolicy": "Disabled"}
	o := autoscalerPatch(h)
	unstructured.SetNestedStringMap(o.Object, map[string]string{annotationPausedMin: strconv.FormatInt(lo, 10)}, "metadata", "annotations")
	o.Object["spec"] = map[string]any{"minReplicas": int64(1), "behavior": map[string]any{"scaleUp": disabled, "scaleDown": disabled}}
	ap.emit("progress", "", "pausing HorizontalPodAutoscaler %s for the rollout", h.GetName())
	_, err = ap.c.Apply(ctx, o, kube.ApplyOptions{Manager: rolloutManager, Force: true})
	return err
}

// resumeAutoscaler ends the pause once the rollout is over (complete or
// reverted): the scaling policy's minimum goes back to berth's own fields,
// then the pause's fields are released.
func (ap *applier) resumeAutoscaler(ctx context.Context) error {
	h, err := ap.autoscaler(ctx)
	if h == nil || err != nil || managerOperation(h, rolloutManager) == "" {
		return err
	}
	if lo, err := strconv.ParseInt(h.GetAnnotations()[annotationPausedMin], 10, 32); err == nil && lo > 0 {
		var typed autoscalingv2.HorizontalPodAutoscaler
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(h.Object, &typed); err != nil {
			return err
		}
		ac, err := autoscalingv2ac.ExtractHorizontalPodAutoscaler(&typed, kube.FieldManager)
		if err != nil {
			return err
		}
		if ac.Spec == nil {
			ac.Spec = autoscalingv2ac.HorizontalPodAutoscalerSpec()
		}
		ac.Spec.WithMinReplicas(int32(lo))
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ac)
		if err != nil {
			return err
		}
		if _, err := ap.c.Apply(ctx, &unstructured.Unstructured{Object: m}, kube.ApplyOptions{Force: true}); err != nil {
			return err
		}
	}
	ap.emit("progress", "", "resuming HorizontalPodAutoscaler %s", h.GetName())
	_, err = ap.c.Apply(ctx, autoscalerPatch(h), kube.ApplyOptions{Manager: rolloutManager})
	return err
}

// autoscaler is the app's HorizontalPodAutoscaler, nil when it has none.
func (ap *applier) autoscaler(ctx context.Context) (*unstructured.Unstructured, error) {
	h, err := ap.c.Get(ctx, gvkHPA, ap.a.Object)
	if err != nil || h == nil || h.GetLabels()[manifest.LabelApp] != ap.a.Object {
		return nil, err
	}
	return h, nil
}

// autoscalerPatch is an apply configuration of h naming it and nothing
// else.
func autoscalerPatch(h *unstructured.Unstructured) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": h.GetAPIVersion(), "kind": h.GetKind(),
		"metadata": map[string]any{"name": h.GetName(), "namespace": h.GetNamespace()},
	}}
}
