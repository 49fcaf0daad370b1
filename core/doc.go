// Package core is berth's engine: it builds the dependency graph of a
// configuration and its recorded state, refreshes the state through the
// providers, plans the changes and applies them in dependency order, in
// parallel, persisting the state as it goes. It never prints: results are
// values and hcl.Diagnostics, progress is reported as Events that the CLI
// renders as text or JSON.
//
// # Walks
//
// Plan and apply are both walks of one graph (see graph.go) whose vertices
// are the configuration's objects (variables, locals, clusters, registries,
// probes, provider configurations, resource blocks, outputs) plus the
// resources that exist only in state. A resource vertex expands into its
// instances (count / for_each) when it runs, and plans or applies them
// concurrently; the number of provider calls in flight is bounded by
// Parallelism (and by a per-provider bound when set), the number of
// vertices walked at once is not (evaluating an expression is cheap).
//
// # Rollouts
//
// When a provider plans a change as a rollout (providers.Rollout), apply
// drives it one wave at a time through ApplyResourceChange with a
// RolloutStep, emitting an event per wave; when a wave fails and the
// rollout has AutoRevert, the core asks the provider to revert
// (StepRevert) and records what the provider reports as the state.
package core
