package plugin_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/berth-sh/berth/providers"
)

// BenchmarkReadResources measures the per-call overhead of the plugin
// protocol: refreshing 10,000 small objects through the real plugin
// process in one call, in batches of 500, and with one call per object.
// One op is the refresh of all 10,000. The provider caches its parsed
// store, so what is measured is the protocol, not the test provider.
func BenchmarkReadResources(b *testing.B) {
	const n = 10_000
	c, _ := launchConfigured(b, settings{cacheStore: true})
	store := filepath.Join(b.TempDir(), "bench.json")
	_, states := seedStore(b, store, n, 0)
	resp := c.ConfigureProvider(context.Background(), providers.ConfigureProviderRequest{Config: providerConfig(store, settings{cacheStore: true})})
	noErrors(b, "ConfigureProvider", resp.Diagnostics)
	objects := make([]providers.ReadObject, n)
	for i := range objects {
		objects[i] = providers.ReadObject{ID: fmt.Sprintf("resource.object.o[%d]", i), TypeName: "object", State: states[i]}
	}

	for _, batch := range []int{n, 500, 1} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				for start := 0; start < n; start += batch {
					resp := c.ReadResources(ctx, providers.ReadResourcesRequest{Objects: objects[start:min(start+batch, n)]})
					if resp.Diagnostics.HasErrors() || len(resp.Results) != min(batch, n-start) || resp.Results[0].Gone {
						b.Fatalf("ReadResources: %s (%d results)", diagsString(resp.Diagnostics), len(resp.Results))
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/object")
		})
	}
}
