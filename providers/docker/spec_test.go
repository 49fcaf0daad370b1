package docker

import (
	"slices"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers/docker/engine"
)

// containerSpecOf is the container of instance web-1, on an x86_64 host, of
// the app whose body after its cluster and image is src.
func containerSpecOf(t *testing.T, src string) engine.ContainerSpec {
	t.Helper()
	cl := clusterValue(t, "c", testHost{name: "a", endpoint: "unix:///x"})
	a, err := decodeApp(appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n"+src, cl, cty.NilVal, "web"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := a.containerSpec("web-1", "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// command is the entrypoint, args the CMD, as in Kubernetes.
func TestContainerSpecCommandArgs(t *testing.T) {
	for _, tt := range []struct {
		src             string
		entrypoint, cmd []string
	}{
		{`command = ["/server"]`, []string{"/server"}, []string{}},
		{"command = [\"/server\"]\nargs = [\"-echo\", \"hi\"]", []string{"/server"}, []string{"-echo", "hi"}},
		{`args = ["-echo", "hi"]`, nil, []string{"-echo", "hi"}},
		{``, nil, nil},
	} {
		cs := containerSpecOf(t, tt.src)
		if !slices.Equal(cs.Entrypoint, tt.entrypoint) || !slices.Equal(cs.Cmd, tt.cmd) || (tt.cmd != nil) != (cs.Cmd != nil) {
			t.Errorf("%s: entrypoint %q cmd %q, want %q %q", tt.src, cs.Entrypoint, cs.Cmd, tt.entrypoint, tt.cmd)
		}
	}
}

func TestStopTimeoutFromHooks(t *testing.T) {
	for src, want := range map[string]time.Duration{
		``:                        10 * time.Second,
		`hooks { drain = "5s" }`:  10 * time.Second,
		`hooks { drain = "20s" }`: 20 * time.Second,
		"hooks {\n before_stop {\n exec = [\"/x\"]\n timeout = \"15s\"\n }\n drain = \"5s\"\n}": 20 * time.Second,
		"hooks {\n before_stop {\n exec = [\"/x\"]\n }\n}":                                      30 * time.Second, // lang's default hook timeout
	} {
		cs := containerSpecOf(t, src)
		if cs.StopTimeout != want || cs.RestartPolicy != "unless-stopped" {
			t.Errorf("%s: stop timeout %s restart %s, want %s", src, cs.StopTimeout, cs.RestartPolicy, want)
		}
	}
}
