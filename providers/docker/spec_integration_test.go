//go:build integration

package docker

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// command is the entrypoint, args the CMD (Kubernetes' meaning).
func TestIntegrationCommandIsEntrypoint(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("cm%d", time.Now().UnixNano()%1e6))
	h.mustApply(h.config(bareAppBody(h.e.image+":v1", 1, `command = ["/server"]`+"\nreadiness {\n http {\n path = \"/healthz\"\n port = \"http\"\n }\n period = \"200ms\"\n timeout = \"150ms\"\n}\n"), h.e.registry), nil)
	in := app.DecodeInstances(h.state)[0]
	eng, _, err := h.p.host(t.Context(), map[string]engine.HostConfig{h.e.hostA.Name: h.e.hostA, h.e.hostB.Name: h.e.hostB}[in.Host])
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.API().ContainerInspect(t.Context(), in.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Container.Config; !slices.Equal(c.Entrypoint, []string{"/server"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [/server] []", c.Entrypoint, c.Cmd)
	}
	if res.Container.Config.StopTimeout == nil || *res.Container.Config.StopTimeout != 10 {
		t.Errorf("stop timeout %v", res.Container.Config.StopTimeout)
	}
}
