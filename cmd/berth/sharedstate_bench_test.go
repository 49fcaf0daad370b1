//go:build integration

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchObjects is the size of the state in BenchmarkSharedState: the
// issue's 10,000 (BERTH_BENCH_OBJECTS for a quicker look).
func benchObjects() int {
	n := 10000
	if v := os.Getenv("BERTH_BENCH_OBJECTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	return n
}

// benchConfig: count objects, the first 1% following var.value.
const benchConfig = `
variable "value" {
  type    = string
  default = "v0"
}

variable "n" {
  type = number
}

resource "test_object" "o" {
  count = var.n
  name  = "o${count.index}"
  value = count.index < var.n / 100 ? var.value : "v0"
}
`

// BenchmarkSharedState: a no-op plan and an apply changing 1% of the
// objects of a 10,000-object state, through the berth binary, in each
// backend. The state is created once in the local backend and pushed to
// the others (berth state push), so that every backend holds the same
// state over the same objects.
//
//	make bench-state   (or: go test -tags integration -run '^$' -bench SharedState -benchtime 3x ./cmd/berth/)
func BenchmarkSharedState(b *testing.B) {
	n := benchObjects()
	nVar := fmt.Sprintf("n=%d", n)
	store := filepath.Join(b.TempDir(), "store.json")
	seed := newSharedDirWith(b, `backend "local" {}`, store, nil, benchConfig)
	seed.ok("apply", "-auto-approve", "-parallelism=32", "-var", nVar)
	statePath := filepath.Join(seed.dir, "berth.state")
	for _, sb := range sharedBackends {
		block, env := sb.place(b)
		dir := newSharedDirWith(b, block, store, env, benchConfig)
		dir.ok("state", "push", statePath)
		b.Run(sb.name+"/noop-plan", func(b *testing.B) {
			for b.Loop() {
				dir.expect(0, "plan", "-detailed-exitcode", "-var", nVar)
			}
		})
		b.Run(sb.name+"/apply-1pct", func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				dir.ok("apply", "-auto-approve", "-parallelism=32", "-var", nVar, "-var", fmt.Sprintf("value=v%d", i))
			}
		})
		// The objects are shared: put them back as the seed state
		// records them, or the next backend's plan finds them changed.
		dir.ok("apply", "-auto-approve", "-parallelism=32", "-var", nVar, "-var", "value=v0")
	}
}
