package kube

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestConflictFrom(t *testing.T) {
	image := `.spec.template.spec.containers[name="web"].image`
	cause := func(msg, field string) metav1.StatusCause {
		return metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Message: msg, Field: field}
	}
	for _, tt := range []struct {
		name      string
		err       error
		want      []Conflict
		wantError string
	}{
		{name: "one Update manager",
			err:       apierrors.NewApplyConflict([]metav1.StatusCause{cause(`conflict with "kubectl-edit" using apps/v1`, image)}, "Apply failed with 1 conflict"),
			want:      []Conflict{{Manager: "kubectl-edit", Field: image}},
			wantError: `cluster "prod": Deployment shop/web: field ` + image + ` is owned by "kubectl-edit"`},
		{name: "several managers, a subresource, an apply manager",
			err: apierrors.NewApplyConflict([]metav1.StatusCause{
				cause(`conflict with "kube-controller-manager" with subresource "scale" using autoscaling/v1 at 2001-02-03T04:05:06Z`, ".spec.replicas"),
				cause(`conflict with "helm"`, ".metadata.labels.tier"),
				{Type: metav1.CauseTypeFieldValueInvalid, Message: "not a conflict", Field: ".x"},
				cause(`conflict with "with \"quotes\"" using v1`, ".data.k"),
			}, "Apply failed with 3 conflicts"),
			want: []Conflict{
				{Manager: "kube-controller-manager", Field: ".spec.replicas", Subresource: "scale"},
				{Manager: "helm", Field: ".metadata.labels.tier"},
				{Manager: `with "quotes"`, Field: ".data.k"},
			},
			wantError: `cluster "prod": Deployment shop/web: field .spec.replicas is owned by "kube-controller-manager" (through its scale subresource); ` +
				`field .metadata.labels.tier is owned by "helm"; field .data.k is owned by "with \"quotes\""`},
		{name: "a message of another form is kept",
			err:  apierrors.NewApplyConflict([]metav1.StatusCause{cause(`owned elsewhere`, ".spec")}, "Apply failed"),
			want: []Conflict{{Manager: "owned elsewhere", Field: ".spec"}}},
		{name: "wrapped", err: fmt.Errorf("x: %w", apierrors.NewApplyConflict([]metav1.StatusCause{cause(`conflict with "a"`, ".f")}, "m")),
			want: []Conflict{{Manager: "a", Field: ".f"}}},
		{name: "a conflict of resource versions is none",
			err: apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("the object has been modified"))},
		{name: "another error", err: apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, "x")},
		{name: "not an API error", err: errors.New("dial tcp: refused")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ce := conflictFrom(tt.err, "Deployment shop/web")
			if tt.want == nil {
				if ce != nil {
					t.Fatalf("a ConflictError: %v", ce)
				}
				return
			}
			if ce == nil {
				t.Fatal("no ConflictError")
			}
			if !slices.Equal(ce.Conflicts, tt.want) {
				t.Errorf("conflicts %+v, want %+v", ce.Conflicts, tt.want)
			}
			ce.Cluster = "prod"
			if tt.wantError != "" && ce.Error() != tt.wantError {
				t.Errorf("Error() = %s\nwant      %s", ce.Error(), tt.wantError)
			}
			var as *ConflictError
			if !errors.As(fmt.Errorf("planning: %w", ce), &as) || as != ce {
				t.Error("errors.As does not find the ConflictError")
			}
		})
	}
}
