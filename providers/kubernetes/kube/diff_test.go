package kube

import (
	"encoding/json"
	"slices"
	"testing"
)

// obj decodes a JSON object; numbers decode as encoding/json makes them
// (float64), while the live and dry-run objects of the tests use int64 as
// the API's decoder does, to check that numbers compare by value.
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

func TestOwnedDiff(t *testing.T) {
	// applied: what berth sends. The container's cpu is written "1000m",
	// the server stores "1".
	const applied = `{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {"name": "web", "labels": {"app": "web", "app.kubernetes.io/managed-by": "berth"}},
		"spec": {
			"replicas": 2,
			"template": {"spec": {"containers": [{"name": "web", "image": "web:1", "resources": {"limits": {"cpu": "1000m"}}}]}}
		}
	}`
	// live: what exists: the server's normalised quantity and defaults,
	// another manager's annotation and sidecar, bookkeeping and status.
	const live = `{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {"name": "web", "namespace": "shop", "uid": "u1", "resourceVersion": "7", "generation": 3,
			"creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{"manager": "berth"}],
			"labels": {"app": "web", "app.kubernetes.io/managed-by": "berth"},
			"annotations": {"deployment.kubernetes.io/revision": "3"}},
		"spec": {
			"replicas": 2, "revisionHistoryLimit": 10,
			"template": {"spec": {"containers": [
				{"name": "web", "image": "web:1", "resources": {"limits": {"cpu": "1"}}, "imagePullPolicy": "IfNotPresent"},
				{"name": "mesh-proxy", "image": "proxy:9"}
			]}}
		},
		"status": {"replicas": 2, "readyReplicas": 1}
	}`
	for _, tt := range []struct {
		name    string
		applied string
		// dryRun and live edit the live object above (nil: as it is).
		dryRun, live func(m map[string]any)
		want         []string
	}{
		{name: "normalised quantity, defaults, other managers' fields: no difference", applied: applied},
		{name: "bookkeeping and status are never compared", applied: applied,
			dryRun: func(m map[string]any) {
				md := m["metadata"].(map[string]any)
				md["resourceVersion"], md["generation"], md["uid"] = "8", int64(4), "u2"
				md["managedFields"] = []any{}
				md["creationTimestamp"] = "2027-01-01T00:00:00Z"
				m["status"] = map[string]any{"replicas": int64(5)}
			}},
		{name: "a changed nested value", applied: applied,
			dryRun: func(m map[string]any) { spec(m)["replicas"] = int64(3) },
			want:   []string{".spec.replicas"}},
		{name: "a changed value inside a list: the list whole", applied: applied,
			dryRun: func(m map[string]any) { container(m, 0)["image"] = "web:2" },
			want:   []string{".spec.template.spec.containers"}},
		// The sidecar of another manager is in both dryRun and live in the
		// first case; the list compares whole, so a difference in it shows.
		{name: "a list berth sets compares whole, other managers' items included", applied: applied,
			live: func(m map[string]any) {
				podSpec(m)["containers"] = podSpec(m)["containers"].([]any)[:1]
			},
			want: []string{".spec.template.spec.containers"}},
		{name: "a field berth sets removed from live", applied: applied,
			live: func(m map[string]any) { delete(spec(m), "replicas") },
			want: []string{".spec.replicas"}},
		{name: "a label berth no longer sets, which the apply removes", applied: applied,
			live: func(m map[string]any) {
				m["metadata"].(map[string]any)["labels"].(map[string]any)["tier"] = "front"
			},
			want: []string{`.metadata.labels.tier`}},
		{name: "another manager's label, in dryRun as in live: no difference", applied: applied,
			dryRun: func(m map[string]any) {
				m["metadata"].(map[string]any)["labels"].(map[string]any)["tier"] = "front"
			},
			live: func(m map[string]any) {
				m["metadata"].(map[string]any)["labels"].(map[string]any)["tier"] = "front"
			}},
		{name: "keys that are not identifiers are quoted", applied: applied,
			dryRun: func(m map[string]any) {
				m["metadata"].(map[string]any)["labels"].(map[string]any)["app.kubernetes.io/managed-by"] = "other"
			},
			want: []string{`.metadata.labels["app.kubernetes.io/managed-by"]`}},
		{name: "a map replaced by a scalar", applied: applied,
			live: func(m map[string]any) { spec(m)["template"] = "broken" },
			want: []string{".spec.template"}},
		{name: "several, sorted", applied: applied,
			dryRun: func(m map[string]any) {
				spec(m)["replicas"] = int64(3)
				container(m, 0)["image"] = "web:2"
				m["metadata"].(map[string]any)["labels"].(map[string]any)["app"] = "web2"
			},
			want: []string{".metadata.labels.app", ".spec.replicas", ".spec.template.spec.containers"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dryRun, lv := apiObj(t, live), apiObj(t, live)
			if tt.dryRun != nil {
				tt.dryRun(dryRun)
			}
			if tt.live != nil {
				tt.live(lv)
			}
			got := OwnedDiff(obj(t, tt.applied), dryRun, lv)
			if !slices.Equal(got, tt.want) {
				t.Errorf("OwnedDiff = %q, want %q", got, tt.want)
			}
		})
	}
}

// apiObj decodes s with integers as int64, as unstructured objects from
// the API hold them.
func apiObj(t *testing.T, s string) map[string]any {
	t.Helper()
	return toInt64(obj(t, s)).(map[string]any)
}

func toInt64(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = toInt64(e)
		}
	case []any:
		for i, e := range x {
			x[i] = toInt64(e)
		}
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return v
}

func spec(m map[string]any) map[string]any { return m["spec"].(map[string]any) }

func podSpec(m map[string]any) map[string]any {
	return spec(m)["template"].(map[string]any)["spec"].(map[string]any)
}

func container(m map[string]any, i int) map[string]any {
	return podSpec(m)["containers"].([]any)[i].(map[string]any)
}
