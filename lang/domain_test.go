package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestDomainBounds covers the bounds of numbers, quantities and durations
// and the domain checks that are not about types.
func TestDomainBounds(t *testing.T) {
	app := func(body string) string {
		return baseCluster + "app \"web\" {\n  cluster = cluster.prod\n  image   = \"x\"\n" + body + "\n}\n"
	}
	tests := []struct {
		name, src string
		summary   string // "" for a valid configuration
		detail    string
	}{
		{"replicas huge", app(`replicas = 99999999999999999999999999`), `Invalid value for "replicas"`, "must be a whole number between 0 and 2147483647, got 99999999999999999999999999"},
		{"replicas 2^63", app(`replicas = 9223372036854775808`), `Invalid value for "replicas"`, "between 0 and 2147483647"},
		{"replicas 1e400", app(`replicas = 1e400`), `Invalid value for "replicas"`, "between 0 and 2147483647"},
		{"replicas max", app(`replicas = 2147483647`), "", ""},
		{"count huge", app(`count = 99999999999999999999`), "Invalid count argument", "count must be a whole number between 0 and 2147483647"},
		{"cpu 1e300", app(`resources { cpu = 1e300 }`), `Invalid value for "cpu"`, "at most 1000000 cores"},
		{"cpu negative", app(`resources { cpu = -1 }`), `Invalid value for "cpu"`, "must be positive"},
		{"cpu zero", app(`resources { cpu = "0" }`), `Invalid value for "cpu"`, "must be positive"},
		{"memory zero", app(`resources { memory = "0" }`), `Invalid value for "memory"`, "must be positive"},
		{"memory huge", app(`resources { memory = "99999999999999999999999Ei" }`), `Invalid value for "memory"`, "too large; the maximum is 8Ei"},
		{"memory 8Ei", app(`resources { memory = "8Ei" }`), "", ""},
		{"overcommit huge", app(`resources { cpu_overcommit = 1e20 }`), `Invalid value for "cpu_overcommit"`, "between 1 and 2147483647"},
		{"port huge", app(`port "http" { container = 99999999999999999999 }`), `Invalid value for "container"`, "from 1 to 65535"},
		{"drain huge", app(`hooks { drain = "99999999999h" }`), `Invalid value for "drain"`, "too long; the maximum is 24h"},
		{"drain 25h", app(`hooks { drain = "25h" }`), `Invalid value for "drain"`, "too long"},
		{"initial batch huge", app(`rollout { initial_batch = 1e10 }`), `Invalid value for "initial_batch"`, "between 1 and 2147483647"},
		{"probe timeout 0s", `probe "p" {
  timeout = "0s"
  tcp { port = 80 }
}`, `Invalid value for "timeout"`, "must be positive"},
		// Whole seconds are a Kubernetes rule, not the language's: berth
		// probes on Docker hosts itself.
		{"probe timeout 500ms on docker", app(`readiness {
    period  = "1s"
    timeout = "500ms"
    tcp { port = 80 }
  }`), "", ""},
		{"probe failure threshold huge", `probe "p" {
  failure_threshold = 1e12
  tcp { port = 80 }
}`, `Invalid value for "failure_threshold"`, "between 1 and 2147483647"},
		{"status 99", `probe "p" {
  http {
    port   = 80
    status = [200, 99]
  }
}`, `Invalid value for "status"`, "from 100 to 599, got 99"},
		{"status 600", `probe "p" {
  http {
    port   = 80
    status = [600]
  }
}`, `Invalid value for "status"`, "from 100 to 599, got 600"},
		{"status empty", `probe "p" {
  http {
    port   = 80
    status = []
  }
}`, `Invalid value for "status"`, "at least one status code"},
		{"exec empty", app(`hooks {
    after_start { exec = [] }
  }`), `Invalid value for "exec"`, "must not be empty"},
		{"probe exec empty", `probe "p" {
  exec { command = [] }
}`, `Invalid value for "command"`, "must not be empty"},
		{"unknown metric", app("") + `scaling_policy "web" {
  app = app.web
  max = 3
  metric "cpux" { target_utilization = 70 }
}`, "Unknown scaling metric", `Did you mean "cpu"?`},
		{"concurrency utilization", app("") + `scaling_policy "web" {
  app = app.web
  max = 3
  metric "concurrency" { target_utilization = 70 }
}`, "Utilization of a metric without a request", "target"},
		{"two policies", app("") + `scaling_policy "a" {
  app = app.web
  max = 3
}
scaling_policy "b" {
  app = app.web
  max = 4
}`, "Two scaling policies for one app", "scaling_policy.a (at "},
		{"spread typo", app(`placement { spread = "hots" }`), `Invalid value for "spread"`, `did you mean "host"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := loadValidate(t, tt.src)
			var first *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					first = d
					break
				}
			}
			if tt.summary == "" {
				if first != nil {
					t.Fatalf("unexpected error: %s", diags.Error())
				}
				return
			}
			if first == nil || first.Summary != tt.summary || !strings.Contains(strings.ToLower(first.Detail), strings.ToLower(tt.detail)) {
				t.Fatalf("got %v; want %q with %q", diags, tt.summary, tt.detail)
			}
		})
	}
}

func TestDuplicateMessagesArticle(t *testing.T) {
	_, diags := loadValidate(t, baseCluster+`
app "web" {
  cluster = cluster.prod
  image   = "x"
}
app "web" {
  cluster = cluster.prod
  image   = "x"
}
output "o" { value = 1 }
output "o" { value = 2 }
`)
	var text string
	for _, d := range diags {
		text += d.Detail + "\n"
	}
	for _, want := range []string{`An app "web" was already declared`, `An output "o" was already declared`} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q: %s", want, text)
		}
	}
}
