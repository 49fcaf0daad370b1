package providers

import (
	"strings"
	"testing"

	"github.com/berth-sh/berth/platform/app"
)

func TestExecInstance(t *testing.T) {
	ins := []app.Instance{
		{Name: "web-1", Status: "not_ready"},
		{Name: "web-1", Status: "running", Ready: true},
		{Name: "web-2", Status: "exited"},
		{Name: "web-3", Status: "unhealthy"},
	}
	tests := []struct {
		name string
		want int
	}{
		{"", 1},       // the first ready one
		{"web-1", 1},  // the ready one of two
		{"web-2", -1}, // exited: nothing to run in
		{"web-3", 3},  // running, though unhealthy: a shell helps find why
		{"web-9", -1},
	}
	for _, tt := range tests {
		if got := ExecInstance(ins, tt.name); got != tt.want {
			t.Errorf("ExecInstance(%q) = %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := ExecInstance([]app.Instance{{Name: "web-1", Status: "not_ready"}}, ""); got != -1 {
		t.Errorf("execTarget without a ready instance = %d, want -1", got)
	}
}

func TestMissingInstances(t *testing.T) {
	found := map[string]bool{"web-1": true}
	if d := MissingInstances([]string{"web-1"}, found); len(d) != 0 {
		t.Errorf("found instance reported: %v", d)
	}
	d := MissingInstances([]string{"web-1", "web-7"}, found)
	if len(d) != 1 || !d.HasErrors() || !strings.Contains(d[0].Detail, `"web-7"`) {
		t.Errorf("MissingInstances = %v, want one error naming web-7", d)
	}
}
