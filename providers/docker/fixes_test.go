package docker

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

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

// command is the entrypoint, args the CMD, as in Kubernetes.
func TestContainerSpecCommandArgs(t *testing.T) {
	cl := clusterValue(t, "c", testHost{name: "a", endpoint: "unix:///x"})
	for _, tt := range []struct {
		src             string
		entrypoint, cmd []string
	}{
		{`command = ["/server"]`, []string{"/server"}, []string{}},
		{"command = [\"/server\"]\nargs = [\"-echo\", \"hi\"]", []string{"/server"}, []string{"-echo", "hi"}},
		{`args = ["-echo", "hi"]`, nil, []string{"-echo", "hi"}},
		{``, nil, nil},
	} {
		v := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n"+tt.src, cl, cty.NilVal, "web")
		a, err := decodeApp(v)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := a.containerSpec("web-1", "x86_64")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cs.Entrypoint, tt.entrypoint) || !slices.Equal(cs.Cmd, tt.cmd) || (tt.cmd != nil) != (cs.Cmd != nil) {
			t.Errorf("%s: entrypoint %q cmd %q, want %q %q", tt.src, cs.Entrypoint, cs.Cmd, tt.entrypoint, tt.cmd)
		}
	}
}

func TestStopTimeoutFromHooks(t *testing.T) {
	cl := clusterValue(t, "c", testHost{name: "a", endpoint: "unix:///x"})
	for src, want := range map[string]time.Duration{
		``:                        10 * time.Second,
		`hooks { drain = "5s" }`:  10 * time.Second,
		`hooks { drain = "20s" }`: 20 * time.Second,
		"hooks {\n before_stop {\n exec = [\"/x\"]\n timeout = \"15s\"\n }\n drain = \"5s\"\n}": 20 * time.Second,
		"hooks {\n before_stop {\n exec = [\"/x\"]\n }\n}":                                      30 * time.Second, // lang's default hook timeout
	} {
		v := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n"+src, cl, cty.NilVal, "web")
		a, err := decodeApp(v)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := a.containerSpec("web-1", "x86_64")
		if err != nil {
			t.Fatal(err)
		}
		if cs.StopTimeout != want || cs.RestartPolicy != "unless-stopped" {
			t.Errorf("%s: stop timeout %s restart %s, want %s", src, cs.StopTimeout, cs.RestartPolicy, want)
		}
	}
}

func TestValidateRefusesSSHEndpoint(t *testing.T) {
	cl := clusterValue(t, "c", testHost{name: "a", endpoint: "unix:///x"}, testHost{name: "edge-9", endpoint: "ssh://deploy@edge-9"})
	v := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n", cl, cty.NilVal, "web")
	resp := New().ValidateResourceConfig(t.Context(), providers.ValidateResourceConfigRequest{TypeName: TypeApp, Config: v})
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Unsupported Docker endpoint" ||
		!strings.Contains(resp.Diagnostics[0].Detail, `"edge-9"`) || !strings.Contains(resp.Diagnostics[0].Detail, "ssh://") {
		t.Fatalf("diagnostics %v", resp.Diagnostics)
	}
	if p := pathString(providers.DiagnosticPath(resp.Diagnostics[0])); p != "cluster.docker.host[1].endpoint" {
		t.Errorf("path %s", p)
	}
	if diags := Platform().CheckCluster(cl.GetAttr("docker")); len(diags) != 1 || pathString(providers.DiagnosticPath(diags[0])) != "host[1].endpoint" {
		t.Errorf("the platform's check of the docker block: %v", diags)
	}
}

// Planning again at apply time with the saved plan reuses its digest: the
// registry (unreachable here) is not asked again, so a tag that moved
// since the plan does not change what is deployed.
func TestPlanReusesSavedDigest(t *testing.T) {
	cl := clusterValue(t, "c")
	img := "127.0.0.1:1/berth/x:v1"
	cfg := appValue(t, "cluster = cluster.c\nreplicas = 0\nimage = \""+img+"\"\n", cl, registryValue("127.0.0.1:1", "u", "p"), "web")
	p := New()
	plan := func(saved cty.Value) providers.PlanResourceChangeResponse {
		return p.PlanResourceChange(t.Context(), providers.PlanResourceChangeRequest{TypeName: TypeApp,
			PriorState: nullAppForTest(), ProposedNewState: cfg, Config: cfg, SavedPlannedState: saved})
	}
	// Without a saved plan, the registry is asked (and fails here).
	if resp := plan(cty.NilVal); !resp.Diagnostics.HasErrors() || resp.Diagnostics[0].Summary != "Cannot resolve the app's image" {
		t.Fatalf("plan without saved state: %v", resp.Diagnostics)
	}
	digest := "127.0.0.1:1/berth/x@sha256:" + strings.Repeat("ab", 32)
	saved := withAttrs(cfg, map[string]cty.Value{"image_digest": cty.StringVal(digest), "config_hash": cty.UnknownVal(cty.String)})
	resp := plan(saved)
	if resp.Diagnostics.HasErrors() {
		t.Fatalf("plan with saved state: %v", resp.Diagnostics)
	}
	if got := str(resp.PlannedState, "image_digest"); got != digest {
		t.Errorf("image_digest %s, want the saved %s", got, digest)
	}
	// A saved plan of another image reference is not reused.
	other := withAttrs(cfg, map[string]cty.Value{"image": cty.StringVal("127.0.0.1:1/berth/x:v2"), "image_digest": cty.StringVal(digest)})
	if resp := plan(other); !resp.Diagnostics.HasErrors() {
		t.Errorf("a saved digest of another reference was reused: %s", str(resp.PlannedState, "image_digest"))
	}
}
