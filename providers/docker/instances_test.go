package docker

import (
	"testing"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/docker/engine"
)

func TestExecTarget(t *testing.T) {
	ins := []app.Instance{
		{Name: "web-1", Status: statusNotReady},
		{Name: "web-1", Status: statusRunning, Ready: true},
		{Name: "web-2", Status: "exited"},
		{Name: "web-3", Status: statusUnhealthy},
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
		if got := execTarget(ins, tt.name); got != tt.want {
			t.Errorf("execTarget(%q) = %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := execTarget([]app.Instance{{Name: "web-1", Status: statusNotReady}}, ""); got != -1 {
		t.Errorf("execTarget without a ready instance = %d, want -1", got)
	}
}

func TestContainerMessage(t *testing.T) {
	tests := []struct {
		info engine.ContainerInfo
		want string
	}{
		{engine.ContainerInfo{Status: "running"}, ""},
		{engine.ContainerInfo{Status: "exited", ExitCode: 3}, "exited with code 3"},
		{engine.ContainerInfo{Status: "running", Health: "unhealthy"}, "failing its liveness check"},
		{engine.ContainerInfo{Status: "created", Error: "port is already allocated"}, "port is already allocated"},
	}
	for _, tt := range tests {
		if got := containerMessage(tt.info); got != tt.want {
			t.Errorf("containerMessage(%+v) = %q, want %q", tt.info, got, tt.want)
		}
	}
}
