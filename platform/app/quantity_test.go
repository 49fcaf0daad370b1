package app

import (
	"strings"
	"testing"
)

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in    string
		value int64 // Value(): whole units, rounded up
		milli int64 // MilliValue(): thousandths, rounded up
		err   string
	}{
		{in: "2Gi", value: 2 << 30, milli: 2 << 30 * 1000},
		{in: "512Mi", value: 512 << 20, milli: 512 << 20 * 1000},
		{in: "500m", value: 1, milli: 500},
		{in: "0.5", value: 1, milli: 500},
		{in: "2", value: 2, milli: 2000},
		{in: "1k", value: 1000, milli: 1e6},
		{in: "1.5G", value: 1.5e9, milli: 1.5e12},
		{in: "0.1m", value: 1, milli: 1}, // Kubernetes rounds a fraction of a millicore up
		{in: "1.", value: 1, milli: 1000},
		{in: ".25", value: 1, milli: 250},
		{in: "8Ei", value: 1<<63 - 1, milli: 1<<63 - 1}, // saturated
		{in: "", err: "is not a quantity"},
		{in: "lots", err: "is not a quantity"},
		{in: "2GB", err: "is not a quantity"},
		{in: "-1", err: "must not be negative"},
		{in: "Gi", err: "is not a quantity"},
		{in: "1e3", err: "is not a quantity"},
		{in: "9Ei", err: "too large; the maximum is 8Ei"},
	}
	for _, tt := range tests {
		q, err := ParseQuantity(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseQuantity(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseQuantity(%q): %v", tt.in, err)
			continue
		}
		if q.Value() != tt.value || q.MilliValue() != tt.milli {
			t.Errorf("ParseQuantity(%q) = %d units, %d milli; want %d, %d", tt.in, q.Value(), q.MilliValue(), tt.value, tt.milli)
		}
	}
}

// TestQuantitiesCompareExactly: what Kubernetes writes one way and a
// configuration another is the same amount, never a difference.
func TestQuantitiesCompareExactly(t *testing.T) {
	for _, pair := range [][2]string{
		{"1", "1000m"}, {"1Gi", "1073741824"}, {"0.5", "500m"}, {"1.5k", "1500"}, {"0.1", "100m"},
	} {
		a, b := MustParseQuantity(pair[0]), MustParseQuantity(pair[1])
		if a.Cmp(b) != 0 {
			t.Errorf("%s and %s differ", pair[0], pair[1])
		}
	}
	if MustParseQuantity("1001m").Cmp(MustParseQuantity("1")) <= 0 {
		t.Error("1001m is not more than 1")
	}
	var zero Quantity
	if !zero.IsZero() || zero.Value() != 0 || zero.String() != "0" {
		t.Errorf("zero quantity: %v %d %q", zero.IsZero(), zero.Value(), zero.String())
	}
}

func TestQuantityRequest(t *testing.T) {
	r := Resources{CPU: MustParseQuantity("2"), Memory: MustParseQuantity("3Gi"), CPUOvercommit: 4, MemoryOvercommit: 2}
	if got := r.CPURequest().MilliValue(); got != 500 {
		t.Errorf("cpu request %dm, want 500m", got)
	}
	if got := r.MemoryRequest().Value(); got != 3<<30/2 {
		t.Errorf("memory request %d, want %d", got, 3<<30/2)
	}
	if got := MustParseQuantity("1").Div(3).MilliValue(); got != 334 {
		t.Errorf("1/3 core = %dm, want 334m (rounded up)", got)
	}
	if got := MustParseQuantity("0.5").String(); got != "0.5" {
		t.Errorf("String() = %q", got)
	}
}
