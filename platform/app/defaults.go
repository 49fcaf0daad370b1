package app

import "time"

// The defaults of an app's parts, stated once: the language declares the
// app block's schema with them, and platforms and the probe runner read
// values that have them applied.
const (
	DefaultProbePeriod           = 10 * time.Second
	DefaultProbeTimeout          = 1 * time.Second
	DefaultProbeInitialDelay     = 0 * time.Second
	DefaultProbeFailureThreshold = 3
	DefaultProbeSuccessThreshold = 1

	DefaultRolloutInitialBatch    = 1
	DefaultRolloutGrowth          = 2
	DefaultRolloutMaxUnavailable  = 0
	DefaultRolloutMinHealthy      = 10 * time.Second
	DefaultRolloutHealthyDeadline = 5 * time.Minute
	DefaultRolloutAutoRevert      = true
	DefaultCanaryInstances        = 1
	DefaultCanaryWeight           = 10

	DefaultHookTimeout = 30 * time.Second
	DefaultReplicas    = 1
	DefaultProtocol    = "tcp"
	DefaultSpread      = SpreadNone
	DefaultHTTPPath    = "/"
	DefaultHTTPScheme  = "HTTP"
)

// Spread values of a placement.
const (
	SpreadNone = "none"
	SpreadHost = "host"
	SpreadZone = "zone"
)

// Rollout strategies.
const (
	StrategyRolling = "rolling"
	StrategyCanary  = "canary"
)

// DefaultRollout is the rollout of an app that does not write one.
func DefaultRollout() Rollout {
	return Rollout{
		InitialBatch: DefaultRolloutInitialBatch, Growth: DefaultRolloutGrowth, MaxUnavailable: DefaultRolloutMaxUnavailable,
		MinHealthy: DefaultRolloutMinHealthy, HealthyDeadline: DefaultRolloutHealthyDeadline, AutoRevert: DefaultRolloutAutoRevert,
	}
}

// WithDefaults fills the zero fields of p with the defaults: a probe built
// in code (not decoded from configuration) needs only its check.
func (p Probe) WithDefaults() Probe {
	if p.Period <= 0 {
		p.Period = DefaultProbePeriod
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultProbeTimeout
	}
	if p.FailureThreshold <= 0 {
		p.FailureThreshold = DefaultProbeFailureThreshold
	}
	if p.SuccessThreshold <= 0 {
		p.SuccessThreshold = DefaultProbeSuccessThreshold
	}
	return p
}
