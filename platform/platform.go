// Package platform is what a container platform (Docker hosts,
// Kubernetes) registers with berth, beside its provider: the kind of
// cluster it deploys apps onto, with the schema of the cluster's kind
// block and the platform's offline rules, so that `berth validate` refuses
// without a network what the platform would refuse at plan.
//
// A platform registers through providers/builtin (one list of built-ins);
// the language asks that list for the cluster kinds. What a platform does
// with an app is the provider's: it receives the app as the contract of
// package platform/app, reports instances in that contract's shape, runs
// the core's rollout steps (docs/providers.md) and probes with
// platform/probe where berth probes itself.
package platform

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// Platform describes one kind of cluster.
type Platform struct {
	// Kind is the name of the cluster's kind block, and of the provider
	// that serves the apps of such clusters: cluster "edge" { docker {...} }.
	Kind string
	// Description completes "a cluster is ...": "a set of Docker hosts".
	Description string
	// Cluster is the schema of the kind block. Attribute defaults apply
	// (providers.Attribute.Default); a NestingMap block is written with
	// one label, its key (host "edge-1" { ... }), and decodes as a list of
	// objects with the label as "name", in source order.
	Cluster *providers.Block
	// CheckCluster checks a kind block's value; CheckApp checks an app on a
	// cluster of this kind (the app's whole value, its cluster included).
	// Both run offline: in validate, where values may be unknown (a rule
	// skips what is unknown), at plan with every value known, and in the
	// provider. A diagnostic about one attribute carries its
	// providers.AttributePath, relative to the value checked, so berth can
	// point at the configuration. Either may be nil.
	CheckCluster func(settings cty.Value) hcl.Diagnostics
	CheckApp     func(app cty.Value) hcl.Diagnostics
}
