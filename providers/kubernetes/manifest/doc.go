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
//
// How an app maps (one container, named ObjectName(app)):
//
//	command, args          command, args
//	env                    env, sorted by name (an empty value written without "value")
//	labels                 labels of every object and of the pods
//	port                   containerPort/name/protocol; a Service port each (targetPort by name)
//	resources              limits; requests = limit / overcommit, rounded up
//	placement              nodeSelector; spread: topologySpreadConstraints (maxSkew 1,
//	                       ScheduleAnyway) on kubernetes.io/hostname or topology.kubernetes.io/zone
//	readiness/liveness/    readinessProbe/livenessProbe/startupProbe: httpGet (status codes
//	startup                are Kubernetes' 200-399), tcpSocket, exec, grpc (a port name
//	                       resolved to its number); durations in seconds
//	hooks.after_start      lifecycle.postStart.exec
//	hooks.before_stop      lifecycle.preStop.exec
//	hooks.drain            lifecycle.preStop.sleep when there is no before_stop hook
//	                       terminationGracePeriodSeconds = drain (+ the before_stop
//	                       hook's timeout) + 30s, since Kubernetes counts the grace
//	                       period from the start of preStop
//	registry               a kubernetes.io/dockerconfigjson Secret and imagePullSecrets
//	scaling_policy         an autoscaling/v2 HorizontalPodAutoscaler (HPA)
package manifest
