package engine

import "testing"

func TestHealthFromStatus(t *testing.T) {
	for status, want := range map[string]string{
		"Up 3 minutes (unhealthy)":        "unhealthy",
		"Up 10 seconds (healthy)":         "healthy",
		"Up 2 seconds (health: starting)": "starting",
		"Up 5 minutes":                    "",
		"Exited (0) 2 minutes ago":        "",
	} {
		if got := healthFromStatus(status); got != want {
			t.Errorf("%q: %q, want %q", status, got, want)
		}
	}
}
