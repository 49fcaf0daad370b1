package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// The network configuration whose outputs another one reads.
const networkConfig = `
variable "subnet" {
  type    = string
  default = "10.1.0.0/24"
}

output "subnet" {
  value = var.subnet
}

output "zones" {
  value = ["a", "b"]
}

output "router" {
  value = { ip = "10.1.0.1", port = 179 }
}

output "token" {
  value     = "s3cret"
  sensitive = true
}
`

// appConfig reads the network's default workspace by a path relative to
// berth's working directory, and its prod workspace by an absolute one.
func appConfig(rel, abs string) string {
	return fmt.Sprintf(`
data "berth_remote_state" "network" {
  backend = "local"
  config  = { path = %q }
}

data "berth_remote_state" "prod" {
  backend   = "local"
  config    = { path = %q }
  workspace = "prod"
  defaults  = { dns = "10.0.0.53", subnet = "unused" }
}

output "subnet" {
  value = data.berth_remote_state.network.outputs.subnet
}

output "router_port" {
  value = data.berth_remote_state.network.outputs.router.port
}

output "zones" {
  value = data.berth_remote_state.network.outputs.zones
}

output "prod_subnet" {
  value = data.berth_remote_state.prod.outputs.subnet
}

output "prod_dns" {
  value = data.berth_remote_state.prod.outputs.dns
}

output "token" {
  value     = data.berth_remote_state.network.outputs.token
  sensitive = true
}
`, rel, abs)
}

func TestE2ERemoteState(t *testing.T) {
	network := newE2E(t, networkConfig)
	network.ok("apply", "-auto-approve")
	network.ok("workspace", "new", "prod")
	network.ok("apply", "-auto-approve", "-var", "subnet=10.9.0.0/24")
	network.ok("workspace", "select", "default")

	app := newE2E(t, "")
	rel, err := filepath.Rel(app.dir, network.statePath())
	if err != nil {
		t.Fatal(err)
	}
	app.write(appConfig(rel, network.statePath()))
	r := app.ok("apply", "-auto-approve")
	mustContain(t, "apply", r.stdout, `subnet = "10.1.0.0/24"`, `prod_subnet = "10.9.0.0/24"`, "token = <sensitive>")

	// berth output shows the network's values, the sensitive one redacted.
	want := map[string]string{
		"subnet":      `"10.1.0.0/24"`,
		"router_port": "179",
		"prod_subnet": `"10.9.0.0/24"`,
		"prod_dns":    `"10.0.0.53"`,
		"token":       "<sensitive>",
	}
	for name, v := range want {
		if r := app.ok("output", name); strings.TrimSpace(r.stdout) != v {
			t.Errorf("berth output %s = %q, want %s", name, r.stdout, v)
		}
	}
	var outs map[string]struct {
		Sensitive bool `json:"sensitive"`
		Value     any  `json:"value"`
	}
	if err := json.Unmarshal([]byte(app.ok("output", "-json").stdout), &outs); err != nil {
		t.Fatal(err)
	}
	if outs["token"].Value != "s3cret" || !outs["token"].Sensitive || fmt.Sprint(outs["zones"].Value) != "[a b]" {
		t.Errorf("output -json = %+v", outs)
	}
	app.expect(0, "plan", "-detailed-exitcode")

	// A change of the network's output is a change of the app's plan.
	network.ok("apply", "-auto-approve", "-var", "subnet=10.2.0.0/24")
	r = app.expect(2, "plan", "-detailed-exitcode")
	mustContain(t, "plan after the network changed", r.stdout, "Changes to Outputs:", `~ subnet = "10.1.0.0/24" -> "10.2.0.0/24"`)
	if strings.Contains(r.stdout, "prod_subnet") {
		t.Errorf("the prod workspace did not change, its output did:\n%s", r.stdout)
	}

	// The remote state's sensitive output is sensitive here too: exposing
	// it needs sensitive = true.
	app.write(appConfig(rel, network.statePath()) + `
output "leak" {
  value = data.berth_remote_state.network.outputs.token
}
`)
	r = app.expect(1, "plan")
	mustContain(t, "plan exposing a sensitive output", r.stderr, "Output refers to sensitive values", "leak")
	if strings.Contains(r.stdout+r.stderr, "s3cret") {
		t.Errorf("the secret is shown:\n%s", r)
	}
}

func TestE2ERemoteStateErrors(t *testing.T) {
	network := newE2E(t, networkConfig)
	network.ok("apply", "-auto-approve")

	tests := []struct {
		name, block string
		want        []string
	}{
		{"a workspace that does not exist", `backend = "local"
  config = { path = %q }
  workspace = "staging"`, []string{"Workspace not found", `no workspace "staging"`, "data.berth_remote_state.x"}},
		{"a backend this build lacks", `backend = "s4"
  config = { path = %q }`, []string{`not "s4"`, "data.berth_remote_state.x"}},
		{"a setting the backend lacks", `backend = "local"
  config = { file = %q }`, []string{"Unsupported backend setting", `no setting "file"`, "data.berth_remote_state.x"}},
		{"no state there", `backend = "local"
  config = { path = "%s.missing" }`, []string{"No remote state", "data.berth_remote_state.x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newE2E(t, "")
			app.write(fmt.Sprintf("data \"berth_remote_state\" \"x\" {\n  "+tt.block+"\n}\n", network.statePath()))
			r := app.expect(1, "plan")
			mustContain(t, "plan", r.stderr, tt.want...)
		})
	}
}
