package manifest_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

func TestCPU(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1", "1"},
		{"2", "2"},
		{"1000m", "1"},
		{"0.5", "500m"},
		{"0.25", "250m"},
		{"1.5", "1500m"},
		{"1500m", "1500m"},
		{"0.0001", "1m"},      // rounded up to a millicore, as Kubernetes does
		{"0.3333334", "334m"}, // a limit / overcommit
		{"1000000", "1M"},
		{"1k", "1k"},
	}
	for _, tt := range tests {
		got := manifest.CPU(app.MustParseQuantity(tt.in))
		if got != tt.want {
			t.Errorf("CPU(%s) = %q, want %q", tt.in, got, tt.want)
		}
		assertCanonical(t, got)
	}
	// A request derived from a limit never exceeds it.
	r := app.Resources{CPU: app.MustParseQuantity("1"), CPUOvercommit: 3}
	if got := manifest.CPU(r.CPURequest()); got != "334m" {
		t.Errorf("1 core / 3 = %q, want 334m", got)
	}
}

func TestMemory(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1073741824", "1Gi"},
		{"1Gi", "1Gi"},
		{"536870912", "512Mi"},
		{"512Mi", "512Mi"},
		{"2Gi", "2Gi"},
		{"1.5Gi", "1536Mi"},
		{"1234", "1234"},
		{"1536", "1536"}, // 1.5Ki: binary prints it in bytes
		{"1000", "1k"},
		{"1G", "1G"}, // printed in bytes it would come back as 1G
		{"1000000000", "1G"},
		{"1500000", "1500k"},
		{"0.5", "1"}, // rounded up to a whole byte
		{"100m", "1"},
	}
	for _, tt := range tests {
		got := manifest.Memory(app.MustParseQuantity(tt.in))
		if got != tt.want {
			t.Errorf("Memory(%s) = %q, want %q", tt.in, got, tt.want)
		}
		assertCanonical(t, got)
		if q := resource.MustParse(got); q.Value() != app.MustParseQuantity(tt.in).Value() {
			t.Errorf("Memory(%s) = %q is %d bytes, want %d", tt.in, got, q.Value(), app.MustParseQuantity(tt.in).Value())
		}
	}
	// Every amount up to 64Ki and a range of larger ones is written in a
	// form the server keeps.
	for n := int64(0); n < 1<<16; n++ {
		assertCanonical(t, manifest.Memory(app.MustParseQuantity(resource.NewQuantity(n, resource.DecimalSI).String())))
	}
	for n := int64(1 << 20); n < 1<<40; n = n*3 + 7 {
		assertCanonical(t, manifest.Memory(app.MustParseQuantity(resource.NewQuantity(n, resource.DecimalSI).String())))
	}
}

// assertCanonical: the API server, which parses a quantity and prints it
// canonically, returns s unchanged.
func assertCanonical(t *testing.T, s string) {
	t.Helper()
	q, err := resource.ParseQuantity(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	if q.String() != s {
		t.Errorf("%q comes back from the server as %q", s, q.String())
	}
}
