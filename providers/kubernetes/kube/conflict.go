package kube

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConflictError is an apply refused because other field managers own
// fields berth sets. errors.As finds it.
type ConflictError struct {
	// Cluster is berth's name of the cluster.
	Cluster string
	// Object names the object: "Deployment shop/web".
	Object string
	// Conflicts are the fields, in the server's order.
	Conflicts []Conflict
}

// Conflict is one field another manager owns.
type Conflict struct {
	// Manager is the other field manager ("kubectl-edit").
	Manager string
	// Field is the field's path:
	// `.spec.template.spec.containers[name="web"].image`.
	Field string
	// Subresource is the subresource the manager wrote through ("scale"
	// for an autoscaler), "" for the object itself.
	Subresource string
}

// Error names every manager and field:
// `cluster "prod": Deployment shop/web: field .spec.replicas is owned by "kubectl-edit"`.
func (e *ConflictError) Error() string {
	var b strings.Builder
	if e.Cluster != "" {
		fmt.Fprintf(&b, "cluster %q: ", e.Cluster)
	}
	b.WriteString(e.Object)
	b.WriteString(": ")
	for i, c := range e.Conflicts {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "field %s is owned by %q", c.Field, c.Manager)
		if c.Subresource != "" {
			fmt.Fprintf(&b, " (through its %s subresource)", c.Subresource)
		}
	}
	return b.String()
}

// conflictFrom returns the ConflictError err is (a 409 whose causes are
// field manager conflicts), nil for any other error.
func conflictFrom(err error, object string) *ConflictError {
	var se apierrors.APIStatus
	if !errors.As(err, &se) || !apierrors.IsConflict(err) {
		return nil
	}
	st := se.Status()
	if st.Details == nil {
		return nil
	}
	ce := &ConflictError{Object: object}
	for _, cause := range st.Details.Causes {
		if cause.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		manager, sub := parseManager(cause.Message)
		ce.Conflicts = append(ce.Conflicts, Conflict{Manager: manager, Field: cause.Field, Subresource: sub})
	}
	if len(ce.Conflicts) == 0 {
		return nil
	}
	return ce
}

// parseManager reads the manager (and subresource) of a cause's message,
// as the API server writes it: `conflict with "kubectl-edit" using
// apps/v1`, `conflict with "hpa" with subresource "scale" using
// autoscaling/v1 at 2001-02-03T04:05:06Z`, `conflict with "other"`. A
// message of another form is kept whole as the manager.
func parseManager(msg string) (manager, subresource string) {
	rest, ok := strings.CutPrefix(msg, "conflict with ")
	if !ok {
		return msg, ""
	}
	manager, rest, ok = leadingQuoted(rest)
	if !ok {
		return strings.TrimSpace(rest), ""
	}
	if after, ok := strings.CutPrefix(rest, " with subresource "); ok {
		if sub, _, ok := leadingQuoted(after); ok {
			subresource = sub
		}
	}
	return manager, subresource
}

// leadingQuoted unquotes the Go-quoted string s starts with and returns
// it and what follows.
func leadingQuoted(s string) (string, string, bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", s, false
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return "", s, false
	}
	return v, s[len(q):], true
}
