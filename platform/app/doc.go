// Package app is the platform-neutral contract of an app: what every
// platform (Docker hosts, Kubernetes, ...) receives for an app block and
// what it reports back about the app's instances.
//
// It is a leaf: it knows the evaluated value of an app (a cty object of
// the app block's type, defaults applied) only through Decode, and no
// language, provider or platform. The language (package lang) declares the
// app block's schema with the defaults stated here (Default*), platforms
// decode what they receive with Decode, and the engine's rollout driver
// and the load balancers read instances with DecodeInstances.
//
// Decisions:
//
//   - Durations are Go/HCL durations ("10s", "5m"), never negative, at
//     most MaxDuration; ParseDuration is the one parser.
//   - Resource amounts are Kubernetes quantities, held exactly (Quantity):
//     "1" and "1000m" are the same CPU amount, and a platform rounds as
//     Kubernetes does (MilliValue and Value round up).
//   - A cluster's kind-specific settings are the platform's business: the
//     contract carries them as the value of the cluster's kind block
//     (Cluster.Settings), decoded by the platform that registered the kind.
//   - An instance is what a load balancer can route to on any platform: a
//     name, whether it is ready, the spec it runs (ConfigHash, ImageDigest)
//     and its addresses (IP and port per named port of the app).
package app
