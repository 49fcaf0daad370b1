package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-sh/berth/providers/kubernetes/kube"
)

// applyOwned applies obj as berth's. A field an imperative edit took from
// berth (a manager whose entry is an Update: kubectl edit, set, patch) is
// drift, which berth takes back (taken lists those fields); a field
// another applier owns (operation Apply: another tool, another berth
// configuration) is a conflict, which berth reports with the manager's
// name and the field, without forcing. With o.DryRun nothing changes: a
// plan learns whether the apply would succeed.
func applyOwned(ctx context.Context, c *kube.Cluster, obj *unstructured.Unstructured, o kube.ApplyOptions) (out *unstructured.Unstructured, taken string, err error) {
	o.Force = false
	out, err = c.Apply(ctx, obj, o)
	var ce *kube.ConflictError
	if !errors.As(err, &ce) {
		return out, "", err
	}
	cur, gerr := c.Get(ctx, obj.GroupVersionKind(), obj.GetName())
	if gerr != nil || cur == nil {
		return nil, "", err
	}
	for _, cf := range ce.Conflicts {
		// A rollout's pause of an autoscaler (rolloutManager) is berth's
		// own, as the imperative edits berth takes back are.
		if cf.Manager != rolloutManager && managerOperation(cur, cf.Manager) != "Update" {
			return nil, "", fmt.Errorf("%w; berth does not force fields another applier owns: remove them from one of the two, or hand the field over (kubectl apply --server-side --force-conflicts --field-manager=berth)", err)
		}
	}
	o.Force = true
	out, err = c.Apply(ctx, obj, o)
	return out, conflictFields(ce), err
}

// managerOperation is the operation ("Apply", "Update") of manager's
// entries in o's managedFields; "" when it has none.
func managerOperation(o *unstructured.Unstructured, manager string) string {
	op := ""
	for _, e := range o.GetManagedFields() {
		if e.Manager == manager {
			if string(e.Operation) == "Apply" {
				return "Apply"
			}
			op = string(e.Operation)
		}
	}
	return op
}

func conflictFields(ce *kube.ConflictError) string {
	var fs []string
	for _, c := range ce.Conflicts {
		fs = append(fs, c.Field+" from "+c.Manager)
	}
	return strings.Join(fs, ", ")
}
