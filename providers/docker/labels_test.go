package docker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
)

func TestLabelsRoundTrip(t *testing.T) {
	in := InstanceLabels{ID: "lineage-1", App: "web", Instance: "web-3", ConfigHash: "abc", Image: "r/web:v1", CPURequest: 500, MemoryRequest: 1 << 29}
	m := in.Map()
	if m[LabelManaged] != "true" || m["sh.berth.instance"] != "web-3" || m["sh.berth.cpu-request"] != "500" {
		t.Errorf("labels %v", m)
	}
	out, ok := ParseLabels(m)
	if !ok {
		t.Fatal("ParseLabels: not berth's")
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	if _, ok := ParseLabels(map[string]string{LabelApp: "web"}); ok {
		t.Error("a container without sh.berth.managed=true read as berth's")
	}
}

func TestConfigHashStable(t *testing.T) {
	a, _ := ConfigHash(map[string]any{"image": "x", "env": map[string]string{"B": "2", "A": "1"}})
	b, _ := ConfigHash(map[string]any{"env": map[string]string{"A": "1", "B": "2"}, "image": "x"})
	c, _ := ConfigHash(map[string]any{"image": "y"})
	if a != b || a == c || len(a) != 16 {
		t.Errorf("hashes %q %q %q", a, b, c)
	}
}

func TestSchedulerHostCountsOtherAppsOnly(t *testing.T) {
	cs := []Container{
		{Labels: InstanceLabels{App: "web", CPURequest: 500, MemoryRequest: 100}},
		{Labels: InstanceLabels{App: "api", CPURequest: 250, MemoryRequest: 10}},
		{Labels: InstanceLabels{App: "db", CPURequest: 1000, MemoryRequest: 1}},
	}
	h := SchedulerHost(HostConfig{Name: "a", Labels: map[string]string{"pool": "core"}}, HostInfo{CPU: 4000, Memory: 1000}, cs, "web")
	if h.UsedCPU != 1250 || h.UsedMemory != 11 || h.CPU != 4000 || h.Labels["pool"] != "core" {
		t.Errorf("host %+v", h)
	}
}

func TestPullAuth(t *testing.T) {
	reg := Registry{Address: "127.0.0.1:5055", Username: "berth", Password: "berth-test"}
	enc, err := reg.PullAuth()
	if err != nil {
		t.Fatal(err)
	}
	got, err := authconfig.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	want := &registry.AuthConfig{Username: "berth", Password: "berth-test", ServerAddress: "127.0.0.1:5055"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("auth (-want +got):\n%s", diff)
	}
	if enc, _ := (Registry{Address: "x"}).PullAuth(); enc != "" {
		t.Errorf("anonymous registry: auth %q, want none", enc)
	}
}

func TestConnectErrorsNameTheHost(t *testing.T) {
	tests := []struct {
		cfg  HostConfig
		want string
	}{
		{HostConfig{Name: "edge-1", Endpoint: "unix:///nonexistent/d.sock"}, `docker host "edge-1" (unix:///nonexistent/d.sock): cannot reach the Docker Engine`},
		{HostConfig{Name: "edge-2", Endpoint: "tcp://127.0.0.1:1"}, `docker host "edge-2" (tcp://127.0.0.1:1): cannot reach the Docker Engine`},
		{HostConfig{Name: "edge-3", Endpoint: "ssh://x"}, `docker host "edge-3" (ssh://x): unsupported endpoint scheme "ssh"`},
		{HostConfig{Name: "edge-4", Endpoint: "unix:///x", TLS: &TLSFiles{}}, `docker host "edge-4" (unix:///x): tls is only for tcp endpoints`},
		{HostConfig{Name: "edge-5", Endpoint: "tcp://10.0.0.1:2376", TLS: &TLSFiles{CAFile: "/nonexistent/ca.pem"}}, `docker host "edge-5" (tcp://10.0.0.1:2376): configure TLS`},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Name, func(t *testing.T) {
			h, err := Connect(t.Context(), tt.cfg)
			if err == nil {
				h.Close()
				t.Fatal("Connect succeeded")
			}
			if got := err.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Errorf("error\n got: %s\nwant prefix: %s", got, tt.want)
			}
		})
	}
}
