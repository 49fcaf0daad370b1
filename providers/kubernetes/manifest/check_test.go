package manifest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

const appHead = `
cluster = cluster.prod
image   = "r/x:v1"
`

func TestCheckApp(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // summaries; nil: valid
		path string   // of the first diagnostic
		at   string   // where the language places it: the source there starts so
	}{
		{"valid", `
port "http" {
  container = 8080
}
port "dns" {
  container = 8080
  protocol  = "udp"
}
readiness {
  http {
    port    = "http"
    status  = [200, 204, 302]
    headers = { "X-Probe" = "1" }
  }
  success_threshold = 2
}
liveness {
  tcp {
    port = "http"
  }
  period        = "1m"
  initial_delay = "0s"
}
hooks {
  after_start {
    exec     = ["/warm"]
    required = false
    timeout  = "30s"
  }
  drain = "20s"
}
labels = { team = "core", "example.com/tier" = "" }
env    = { "my.env-name" = "1", "lower_ok" = "2" }
placement {
  node_selector = { "kubernetes.io/arch" = "arm64" }
}
`, nil, "", ""},
		{"port name with underscore", `
port "admin_http" {
  container = 8080
}
`, []string{"Port name not valid on Kubernetes"}, "port[0].name", `port "admin_http"`},
		{"port name too long", `
port "http" {
  container = 80
}
port "metrics-endpoint" {
  container = 9100
}
`, []string{"Port name not valid on Kubernetes"}, "port[1].name", `port "metrics-endpoint"`},
		{"host port", `
port "http" {
  container = 8080
  host      = 80
}
`, []string{"Fixed host ports not supported on Kubernetes"}, "port[0].host", `80`},
		{"two ports one number", `
port "http" {
  container = 8080
}
port "web" {
  container = 8080
}
`, []string{"Two ports with the same number"}, "port[1].container", `8080
}
`},
		{"probe period in milliseconds", `
readiness {
  exec {
    command = ["/ok"]
  }
  period = "1500ms"
}
`, []string{"Probe durations in whole seconds on Kubernetes"}, "readiness.period", `"1500ms"`},
		{"probe timeout under a second", `
startup {
  exec {
    command = ["/ok"]
  }
  timeout = "500ms"
}
`, []string{"Probe durations in whole seconds on Kubernetes"}, "startup.timeout", `"500ms"`},
		{"probe initial delay", `
liveness {
  exec {
    command = ["/ok"]
  }
  initial_delay = "2.5s"
}
`, []string{"Probe durations in whole seconds on Kubernetes"}, "liveness.initial_delay", `"2.5s"`},
		{"liveness success threshold", `
liveness {
  exec {
    command = ["/ok"]
  }
  success_threshold = 2
}
`, []string{"success_threshold of a liveness probe must be 1 on Kubernetes"}, "liveness.success_threshold", `2`},
		{"startup success threshold", `
startup {
  exec {
    command = ["/ok"]
  }
  success_threshold = 3
}
`, []string{"success_threshold of a startup probe must be 1 on Kubernetes"}, "startup.success_threshold", `3`},
		{"status outside 2xx and 3xx", `
port "http" {
  container = 8080
}
readiness {
  http {
    port   = "http"
    status = [200, 404]
  }
}
`, []string{"HTTP probe status outside 200-399 on Kubernetes"}, "readiness.http.status", `[200, 404]`},
		{"header name", `
readiness {
  http {
    port    = "8080"
    headers = { "X Probe" = "1" }
  }
}
`, []string{"HTTP header name not valid on Kubernetes"}, `readiness.http.headers["X Probe"]`, `{ "X Probe"`},
		{"after_start timeout", `
hooks {
  after_start {
    exec    = ["/warm"]
    timeout = "10s"
  }
}
`, []string{"Hook timeout not supported on Kubernetes"}, "hooks.after_start.timeout", `"10s"`},
		{"before_stop timeout", `
hooks {
  before_stop {
    exec    = ["/bye"]
    timeout = "1m"
  }
}
`, []string{"Hook timeout not supported on Kubernetes"}, "hooks.before_stop.timeout", `"1m"`},
		{"drain in milliseconds", `
hooks {
  drain = "2500ms"
}
`, []string{"Drain in whole seconds on Kubernetes"}, "hooks.drain", `"2500ms"`},
		{"drain after before_stop", `
hooks {
  before_stop {
    exec = ["/bye"]
  }
  drain = "10s"
}
`, []string{"Drain after a before_stop hook not honoured on Kubernetes"}, "hooks.drain", `"10s"`},
		{"label key", `
labels = { "bad key" = "x" }
`, []string{"Invalid label key on Kubernetes"}, `labels["bad key"]`, `{ `},
		{"label value", `
labels = { team = "two words" }
`, []string{"Invalid label value on Kubernetes"}, `labels["team"]`, `{ `},
		{"label of berth's", `
labels = { "berth.sh/app" = "other" }
`, []string{"Label reserved by berth"}, `labels["berth.sh/app"]`, `{ `},
		{"managed-by label", `
labels = { "app.kubernetes.io/managed-by" = "helm" }
`, []string{"Label reserved by berth"}, `labels["app.kubernetes.io/managed-by"]`, `{ `},
		{"node selector", `
placement {
  node_selector = { pool = "-core" }
}
`, []string{"Invalid node selector value on Kubernetes"}, `placement.node_selector["pool"]`, `{ pool`},
		{"env name", `
env = { "A=B" = "1" }
`, []string{"Environment variable name not valid on Kubernetes"}, `env["A=B"]`, `{ "A=B"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := appHead + tt.body
			// Through the language, as validate runs it.
			v, langDiags := decodeApp(t, src, "web", cty.NilVal, nil)
			if got := summaries(langDiags); !slices.Equal(got, tt.want) {
				t.Fatalf("language's diagnostics %q, want %q", got, tt.want)
			}
			if len(tt.want) > 0 {
				s := langDiags[0].Subject
				if s == nil || !strings.HasPrefix(src[s.Start.Byte:], tt.at) {
					t.Errorf("placed at %v (%q), want at %q", s, src[s.Start.Byte:min(len(src), s.Start.Byte+30)], tt.at)
				}
			}
			// Directly, with the attribute's path.
			diags := manifest.CheckApp(v)
			if got := summaries(diags); !slices.Equal(got, tt.want) {
				t.Fatalf("CheckApp %q, want %q", got, tt.want)
			}
			for _, d := range diags {
				if d.Detail == "" {
					t.Errorf("%q has no detail", d.Summary)
				}
				// Only what berth can still do, differently, is a warning.
				want := hcl.DiagError
				if strings.Contains(d.Summary, "not honoured") {
					want = hcl.DiagWarning
				}
				if d.Severity != want {
					t.Errorf("%q has severity %v, want %v", d.Summary, d.Severity, want)
				}
			}
			if len(diags) > 0 {
				if got := pathString(providers.DiagnosticPath(diags[0])); got != tt.path {
					t.Errorf("path %s, want %s", got, tt.path)
				}
			}
		})
	}
}

// TestCheckAppUnknown: validate runs CheckApp with values not known yet
// (a variable without a value, a resource's attribute); a rule skips what
// it cannot see.
func TestCheckAppUnknown(t *testing.T) {
	vars := map[string]cty.Value{
		"s":   cty.UnknownVal(cty.String),
		"n":   cty.UnknownVal(cty.Number),
		"m":   cty.UnknownVal(cty.Map(cty.String)),
		"l":   cty.UnknownVal(cty.List(cty.Number)),
		"any": cty.DynamicVal,
	}
	tests := []struct{ name, body string }{
		{"host port", `
port "http" {
  container = 8080
  host      = var.n
}
`},
		{"container port", `
port "a" {
  container = var.n
}
port "b" {
  container = 8080
}
`},
		{"probe durations", `
readiness {
  exec {
    command = ["/ok"]
  }
  period        = var.s
  timeout       = var.s
  initial_delay = var.s
}
liveness {
  exec {
    command = ["/ok"]
  }
  success_threshold = var.n
}
`},
		{"status and headers", `
readiness {
  http {
    port    = "8080"
    status  = var.l
    headers = var.m
  }
}
`},
		{"hooks", `
hooks {
  after_start {
    exec    = ["/warm"]
    timeout = var.s
  }
  before_stop {
    exec = ["/bye"]
  }
  drain = var.s
}
`},
		{"maps", `
labels = var.m
env    = var.m
placement {
  node_selector = var.m
}
`},
		{"label value", `
labels = { team = var.s }
`},
		{"whole probe", `
readiness = var.any
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, diags := decodeApp(t, appHead+tt.body, "web", cty.NilVal, vars)
			if diags.HasErrors() {
				t.Fatalf("language: %v", diags)
			}
			if v.IsWhollyKnown() {
				t.Fatal("the value is known: the test tests nothing")
			}
			if d := manifest.CheckApp(v); len(d) > 0 {
				t.Errorf("CheckApp on unknown values: %v", d)
			}
		})
	}
	if d := manifest.CheckApp(cty.UnknownVal(lang.AppSchema().ImpliedType())); len(d) > 0 {
		t.Errorf("CheckApp on an unknown app: %v", d)
	}
	if d := manifest.CheckApp(cty.NullVal(lang.AppSchema().ImpliedType())); len(d) > 0 {
		t.Errorf("CheckApp on a null app: %v", d)
	}
}

// TestCheckAppSensitive: a sensitive value is checked, and not shown.
func TestCheckAppSensitive(t *testing.T) {
	vars := map[string]cty.Value{"secret": cty.StringVal("not a label value!").Mark(lang.Sensitive)}
	v, _ := decodeApp(t, appHead+`labels = { token = var.secret }`, "web", cty.NilVal, vars)
	diags := manifest.CheckApp(v)
	if got := summaries(diags); !slices.Equal(got, []string{"Invalid label value on Kubernetes"}) {
		t.Fatalf("diagnostics %q", got)
	}
	if strings.Contains(diags[0].Detail, "not a label value!") {
		t.Errorf("the sensitive value is shown: %s", diags[0].Detail)
	}
}

func TestCheckScalingPolicy(t *testing.T) {
	const noResources = appHead
	tests := []struct {
		name, policy, app string
		want              []string
		path              string
	}{
		{"valid", designPolicy, designApp, nil, ""},
		{"min zero", `
app = app.web
min = 0
max = 3
`, designApp, []string{"Scaling to zero not supported on Kubernetes"}, "min"},
		{"cooldown in milliseconds", `
app      = app.web
max      = 3
cooldown = "90500ms"
`, designApp, []string{"Cooldown in whole seconds on Kubernetes"}, "cooldown"},
		{"cooldown over an hour", `
app      = app.web
max      = 3
cooldown = "2h"
`, designApp, []string{"Cooldown over 1h on Kubernetes"}, "cooldown"},
		{"cpu utilization without a limit", `
app = app.web
max = 3
metric "cpu" {
  target_utilization = 50
}
`, noResources, []string{"Utilization of cpu without a cpu limit"}, "metric[0].target_utilization"},
		{"memory utilization without a limit", `
app = app.web
max = 3
metric "cpu" {
  target = 0.5
}
metric "memory" {
  target_utilization = 80
}
`, appHead + `
resources {
  cpu = 1
}
`, []string{"Utilization of memory without a memory limit"}, "metric[1].target_utilization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, diags := decodePolicy(t, tt.policy, tt.app)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got := manifest.CheckScalingPolicy(v)
			if !slices.Equal(summaries(got), tt.want) {
				t.Fatalf("diagnostics %q, want %q", summaries(got), tt.want)
			}
			if len(got) > 0 {
				if p := pathString(providers.DiagnosticPath(got[0])); p != tt.path {
					t.Errorf("path %s, want %s", p, tt.path)
				}
			}
		})
	}
	// Unknown values are skipped: min, cooldown, the app's resources.
	vars := map[string]cty.Value{"n": cty.UnknownVal(cty.Number), "s": cty.UnknownVal(cty.String)}
	v, diags := decodePolicyVars(t, `
app      = app.web
min      = var.n
max      = 3
cooldown = var.s
metric "cpu" {
  target_utilization = 50
}
`, appHead+`
resources {
  cpu = var.s
}
`, vars)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if d := manifest.CheckScalingPolicy(v); len(d) > 0 {
		t.Errorf("CheckScalingPolicy on unknown values: %v", d)
	}
	if d := manifest.CheckScalingPolicy(cty.DynamicVal); len(d) > 0 {
		t.Errorf("CheckScalingPolicy on an unknown policy: %v", d)
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
			if s.Key.Type() == cty.String {
				fmt.Fprintf(&sb, "[%q]", s.Key.AsString())
			} else {
				fmt.Fprintf(&sb, "[%s]", s.Key.AsBigFloat().String())
			}
		}
	}
	return sb.String()
}
