package docker

import (
	"testing"

	"github.com/berth-sh/berth/providers/docker/engine"
)

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
