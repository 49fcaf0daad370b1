package core

import (
	"runtime"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/core/rollout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state"
	"github.com/zclconf/go-cty/cty"
)

// DefaultParallelism bounds the provider calls in flight, like Terraform's
// -parallelism.
const DefaultParallelism = 10

// ReadBatchSize is the number of objects refreshed per ReadResources call.
const ReadBatchSize = 1000

// Engine plans and applies one configuration against one state.
type Engine struct {
	Config *lang.Config
	// Variables are the input variables' values (lang.CollectVariables).
	Variables map[string]cty.Value
	Launcher  Launcher
	// Parallelism bounds the provider calls in flight (default 10);
	// ProviderParallelism bounds those to one provider (0: no own bound).
	Parallelism         int
	ProviderParallelism int
	// Events receives progress; it may be nil. It is called from many
	// goroutines at once and must be safe for that.
	Events func(Event)
	// RolloutHooks, when set, replaces the hooks that run around each wave
	// of the rollout of the object at addr. Unset, the load balancers in
	// front of an app drain and admit its instances there (traffic.go);
	// tests set it, and so does the test-only switch that shows what a
	// rollout without that coordination does to clients.
	RolloutHooks func(addr addrs.Instance) rollout.Hooks
}

// PlanOptions select what a plan covers.
type PlanOptions struct {
	Mode plans.Mode
	// Refresh reads the objects' live state first (the default; -refresh=false turns it off).
	Refresh bool
	Targets []addrs.Instance
	Replace []addrs.Instance
	// Canary asks for a part of the canary rollout in progress of an
	// object, by its address: plans.CanaryPromote or plans.CanaryAbort
	// (berth rollout promote and abort).
	Canary map[string]plans.CanaryPart
}

func (e *Engine) parallelism() int {
	if e.Parallelism > 0 {
		return e.Parallelism
	}
	return DefaultParallelism
}

// walkParallelism bounds the graph vertices walked at once. Vertices are
// mostly evaluation and waiting on provider calls, which Parallelism bounds.
func (e *Engine) walkParallelism() int {
	return max(4*runtime.NumCPU(), 2*e.parallelism())
}

func (e *Engine) emit(ev Event) {
	if e.Events != nil {
		e.Events(ev)
	}
}

// priorState returns a usable state: an empty one when there is none.
func priorState(st *state.State) *state.State {
	if st == nil {
		return state.New()
	}
	return st
}
