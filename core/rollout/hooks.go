package rollout

import (
	"context"

	"github.com/berth-sh/berth/platform/app"
)

// Hooks run around the waves of a rollout: where a load balancer drains
// the instances that go and admits those that come. An error fails the
// wave (a wave that fails after its new instances started is reverted,
// when the rollout auto-reverts).
type Hooks interface {
	// BeforeStop is called before instances stop: they leave traffic and
	// drain. wave is 1-based, 0 during a revert.
	BeforeStop(ctx context.Context, wave int, leaving []app.Instance) error
	// AfterReady is called once new instances are ready (and have stayed
	// ready for min_healthy): they join traffic.
	AfterReady(ctx context.Context, wave int, joining []app.Instance) error
	// Canary makes canary the app's canary with weight percent of its
	// traffic, once each is healthy there; with weight 0 it retires the
	// canary: all traffic back to the stable instances first, then the
	// canary's instances leave (drained).
	Canary(ctx context.Context, weight int, canary []app.Instance) error
}

// NoHooks is the Hooks of an app nothing routes traffic to.
type NoHooks struct{}

// BeforeStop does nothing.
func (NoHooks) BeforeStop(context.Context, int, []app.Instance) error { return nil }

// AfterReady does nothing.
func (NoHooks) AfterReady(context.Context, int, []app.Instance) error { return nil }

// Canary does nothing.
func (NoHooks) Canary(context.Context, int, []app.Instance) error { return nil }
