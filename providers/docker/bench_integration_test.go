//go:build integration

package docker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/providers"
)

// BenchmarkIntegrationRollout50 creates 50 replicas of the test server on
// host A, then rolls them v1 → v2 with initial_batch 5 and growth 2 (waves
// 5, 10, 20, 15). Besides wall time it reports berth's overhead: each
// step's wall time minus the longest probe wait (readiness and
// min_healthy) of an instance in it, i.e. the time not spent waiting for
// the app.
//
//	go test -tags integration -run '^$' -bench Rollout50 -benchtime 1x ./providers/docker/
func BenchmarkIntegrationRollout50(b *testing.B) {
	for range b.N {
		h := newHarnessB(b, fmt.Sprintf("bench%d", time.Now().UnixNano()%1e6))
		var mu sync.Mutex
		var longest time.Duration
		h.p.observeProbe = func(_ string, d time.Duration) {
			mu.Lock()
			longest = max(longest, d)
			mu.Unlock()
		}
		body := func(tag string) string {
			return fmt.Sprintf(`
image    = %q
replicas = 50
port "http" {
  container = 8080
}
readiness {
  http {
    path = "/healthz"
    port = "http"
  }
  period  = "200ms"
  timeout = "150ms"
}
placement {
  node_selector = { pool = "core" }
}
rollout {
  initial_batch    = 5
  growth           = 2
  min_healthy      = "1s"
  healthy_deadline = "2m"
}
`, h.e.image+":"+tag)
		}
		var wall, probe time.Duration
		step := func(name string, f func()) {
			mu.Lock()
			longest = 0
			mu.Unlock()
			t0 := time.Now()
			f()
			d := time.Since(t0)
			wall += d
			probe += longest
			b.Logf("%-7s %6.2fs wall, %5.2fs longest probe wait, %5.2fs overhead", name, d.Seconds(), longest.Seconds(), (d - longest).Seconds())
		}
		v1 := h.config(body("v1"), h.e.registry)
		pl := h.plan(v1)
		step("create", func() {
			if diags := h.apply(v1, pl, nil); diags.HasErrors() {
				b.Fatal(diags)
			}
		})
		v2 := h.config(body("v2"), h.e.registry)
		t0 := time.Now()
		pl = h.plan(v2)
		planTime := time.Since(t0)
		if pl.Diagnostics.HasErrors() || pl.Rollout == nil {
			b.Fatalf("plan: %v", pl.Diagnostics)
		}
		step("rollout", func() {
			if diags := h.apply(v2, pl, nil); diags.HasErrors() {
				b.Fatal(diags)
			}
		})
		t0 = time.Now()
		_ = h.read()
		readTime := time.Since(t0)
		b.Logf("plan of the rollout %.2fs, refresh of 50 instances %.3fs", planTime.Seconds(), readTime.Seconds())
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(probe.Seconds(), "probe-wait-s")
		b.ReportMetric((wall - probe).Seconds(), "overhead-s")
		// Clean up now, not at the end of the benchmark binary.
		resp := h.p.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{TypeName: TypeApp, PriorState: h.state, PlannedState: nullAppForTest()}, nil)
		if resp.Diagnostics.HasErrors() {
			b.Fatal(resp.Diagnostics)
		}
	}
}
