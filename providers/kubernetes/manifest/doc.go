// Package manifest turns berth's app contract (platform/app) and scaling
// policies into the Kubernetes objects berth applies: a Deployment per
// revision of an app, a Service for its named ports, a dockerconfigjson
// pull Secret for its registry and an autoscaling/v2
// HorizontalPodAutoscaler for its scaling policy. It also holds the
// Kubernetes rules that `berth validate` checks offline (CheckApp,
// CheckScalingPolicy).
//
// Everything here is a pure function: no API access, no clock, no
// randomness. The objects are *unstructured.Unstructured holding only JSON
// types (string, bool, int64, float64, map[string]any, []any), so they can
// be applied with server-side apply as they are.
//
// Decisions:
//
//   - berth writes only what it means. A field the API server would
//     default to the same value is still written when berth has an opinion
//     on it (protocol "TCP", scheme "HTTP", Service type ClusterIP), and
//     left out when berth has none (imagePullPolicy, Deployment strategy),
//     so it is the server's, not berth's. Zero values of fields the API
//     drops when zero (initialDelaySeconds: 0) are left out: a field the
//     server does not echo back would show as a difference.
//   - Quantities are written in the form Kubernetes prints canonically
//     (CPU, Memory): the server stores and returns exactly what berth
//     sent, so a plan never shows "1" against "1000m".
//   - Names are valid DNS-1035 labels (ObjectName), which every kind
//     accepts; a name that had to change to be valid gets a hash of the
//     original, so two apps never share an object.
//   - The pod template (PodTemplate) is built without the revision's
//     labels and annotations, so hashing it gives the config hash of the
//     spec; Deployment adds them.
package manifest
