package app

import "math"

// Waves splits a rollout of n instances into waves: the first wave has
// InitialBatch instances, each following wave is Growth times the
// previous one (rounded up), and the last wave takes what remains. For 6
// instances, initial batch 1 and growth 2 it returns [1 2 3]. Values
// below 1 for InitialBatch or Growth count as 1; n <= 0 gives nil.
func (r Rollout) Waves(n int) []int {
	if n <= 0 {
		return nil
	}
	batch := max(r.InitialBatch, 1)
	growth := r.Growth
	if growth < 1 || math.IsNaN(growth) {
		growth = 1
	}
	var waves []int
	for remaining := n; remaining > 0; {
		k := min(batch, remaining)
		waves = append(waves, k)
		remaining -= k
		next := math.Ceil(float64(batch) * growth)
		if next > float64(n) {
			next = float64(n)
		}
		batch = max(int(next), 1)
	}
	return waves
}
