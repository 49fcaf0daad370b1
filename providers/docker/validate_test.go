package docker

import (
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

func TestValidateApp(t *testing.T) {
	cl := clusterValue(t, "c", testHost{name: "a", endpoint: "unix:///x"})
	zoned := clusterValue(t, "c", testHost{name: "a", endpoint: "unix:///x", labels: map[string]string{"zone": "x", "pool": "web"}},
		testHost{name: "b", endpoint: "unix:///y", labels: map[string]string{"zone": "y", "pool": "web"}},
		testHost{name: "build", endpoint: "unix:///z"})
	tests := []struct {
		name    string
		src     string
		want    []string // summaries; nil: valid
		path    string
		cluster cty.Value // cl when NilVal
	}{
		{"valid", `
cluster = cluster.c
image = "r/x:v1"
port "http" { container = 8080 }
readiness {
  http {
    port = "http"
  }
}
liveness {
  tcp {
    port = "http"
  }
}
`, nil, "", cty.NilVal},
		{"grpc readiness", `
cluster = cluster.c
image = "r/x:v1"
port "grpc" { container = 9000 }
readiness {
  grpc {
    port = "grpc"
  }
}
`, []string{"gRPC readiness probe not supported on Docker hosts"}, "readiness.grpc", cty.NilVal},
		{"fixed host port", `
cluster = cluster.c
image = "r/x:v1"
port "http" {
  container = 8080
  host = 80
}
`, nil, "", cty.NilVal},
		{"one host port published twice", `
cluster = cluster.c
image = "r/x:v1"
port "http" {
  container = 8080
  host = 80
}
port "admin" {
  container = 9090
  host = 80
}
`, []string{"Host port published twice"}, "port[1].host", cty.NilVal},
		{"a fixed host port and a canary", `
cluster = cluster.c
image = "r/x:v1"
port "http" {
  container = 8080
  host = 80
}
rollout {
  strategy = "canary"
}
`, []string{"Canary with a fixed host port"}, "port[0].host", cty.NilVal},
		{"spread by zone on a host without a zone", `
cluster = cluster.c
image = "r/x:v1"
placement {
  spread = "zone"
}
`, []string{"Spread by zone on hosts without a zone"}, "placement.spread", zoned},
		{"spread by zone on the zoned hosts of the node selector", `
cluster = cluster.c
image = "r/x:v1"
placement {
  node_selector = { pool = "web" }
  spread = "zone"
}
`, nil, "", zoned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The language runs the platform's check as it decodes the app
			// (validate, offline); the provider checks again at plan.
			c := tt.cluster
			if c == cty.NilVal {
				c = cl
			}
			v, langDiags := decodeAppValue(t, tt.src, c, cty.NilVal, "web")
			var fromLang []string
			for _, d := range langDiags {
				fromLang = append(fromLang, d.Summary)
			}
			if !slices.Equal(fromLang, tt.want) {
				t.Errorf("language's diagnostics %q, want %q", fromLang, tt.want)
			}
			resp := New().ValidateResourceConfig(t.Context(), providers.ValidateResourceConfigRequest{TypeName: TypeApp, Config: v})
			var got []string
			for _, d := range resp.Diagnostics {
				got = append(got, d.Summary)
				if p := providers.DiagnosticPath(d); tt.path != "" && pathString(p) != tt.path {
					t.Errorf("path %s, want %s", pathString(p), tt.path)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
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

func pathString(p cty.Path) string {
	var sb strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case cty.GetAttrStep:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(s.Name)
		case cty.IndexStep:
			i, _ := s.Key.AsBigFloat().Int64()
			sb.WriteString("[" + string(rune('0'+i)) + "]")
		}
	}
	return sb.String()
}
