package providers

import "github.com/berth-sh/berth/platform/app"

// NewRollout is the rollout of the instances work under an app's rollout
// settings: work split into growing waves (app.Rollout.Waves), in order,
// with the settings the core's rollout driver reads.
func NewRollout(r app.Rollout, work []WaveInstance) *Rollout {
	out := &Rollout{
		MinHealthy: r.MinHealthy, HealthyDeadline: r.HealthyDeadline,
		AutoRevert: r.AutoRevert, MaxUnavailable: r.MaxUnavailable,
	}
	if c := r.Canary; c != nil && len(work) > 0 {
		out.Canary = &Canary{Instances: min(c.Instances, len(work)), Weight: c.Weight}
	}
	i := 0
	for _, n := range r.Waves(len(work)) {
		out.Waves = append(out.Waves, Wave{Instances: work[i : i+n : i+n]})
		i += n
	}
	return out
}
