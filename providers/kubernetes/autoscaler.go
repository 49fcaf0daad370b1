package kubernetes

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// rolloutManager is the field manager of a rollout's pause of the app's
// autoscaler: fields apart from the scaling policy's own ("berth"), so
// that releasing them restores the policy as written.
const rolloutManager = "berth-rollout"

// pauseAutoscaler stops the app's HorizontalPodAutoscaler from scaling
// while a rollout moves replicas between revisions: without it, the
// autoscaler would grow the previous revision back to its minimum as
// berth shrinks it, and fight every wave. Both directions' selectPolicy
// is Disabled until resumeAutoscaler.
func (ap *applier) pauseAutoscaler(ctx context.Context) error {
	h, err := ap.autoscaler(ctx)
	if h == nil || err != nil {
		return err
	}
	disabled := map[string]any{"selectPolicy": "Disabled"}
	o := autoscalerPatch(h)
	o.Object["spec"] = map[string]any{"behavior": map[string]any{"scaleUp": disabled, "scaleDown": disabled}}
	_, err = ap.c.Apply(ctx, o, kube.ApplyOptions{Manager: rolloutManager, Force: true})
	return err
}

// resumeAutoscaler releases the pause: the rollout is over (complete or
// reverted).
func (ap *applier) resumeAutoscaler(ctx context.Context) error {
	h, err := ap.autoscaler(ctx)
	if h == nil || err != nil || managerOperation(h, rolloutManager) == "" {
		return err
	}
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
