//go:build integration

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2ERemoteStatePostgres: berth_remote_state reads the outputs of a
// configuration whose states are in postgres, in two workspaces, with the
// connection string from PG_CONN_STR or from config (then redacted). The
// server is scripts/testenv/postgres.sh's (make integration starts it).
func TestE2ERemoteStatePostgres(t *testing.T) {
	conn, schema := postgresSchema(t)
	_, none := postgresSchema(t) // a schema with no state
	t.Setenv("PG_CONN_STR", conn)

	network := newE2E(t, "")
	header := strings.Replace(e2eHeader, "berth {\n", "berth {\n  backend \"postgres\" {\n    schema = \""+schema+"\"\n  }\n", 1)
	if err := os.WriteFile(filepath.Join(network.dir, "main.berth.hcl"), []byte(header+networkConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	network.ok("init", "-reconfigure")
	network.ok("apply", "-auto-approve")
	network.ok("workspace", "new", "prod")
	network.ok("apply", "-auto-approve", "-var", "subnet=10.9.0.0/24")

	app := newE2E(t, "")
	app.write(fmt.Sprintf(`
data "berth_remote_state" "network" {
  backend = "postgres"
  config  = { schema = %[1]q }
}

data "berth_remote_state" "prod" {
  backend   = "postgres"
  config    = { conn_str = %[2]q, schema = %[1]q }
  workspace = "prod"
}

output "subnet" {
  value = data.berth_remote_state.network.outputs.subnet
}

output "prod_subnet" {
  value = data.berth_remote_state.prod.outputs.subnet
}

output "token" {
  value     = data.berth_remote_state.prod.outputs.token
  sensitive = true
}
`, schema, conn))
	app.ok("apply", "-auto-approve")
	for name, want := range map[string]string{"subnet": `"10.1.0.0/24"`, "prod_subnet": `"10.9.0.0/24"`, "token": "<sensitive>"} {
		if r := app.ok("output", name); strings.TrimSpace(r.stdout) != want {
			t.Errorf("berth output %s = %q, want %s", name, r.stdout, want)
		}
	}
	r := app.ok("show")
	mustContain(t, "show", r.stdout, "data.berth_remote_state.prod", "conn_str = (sensitive value)")
	if strings.Contains(r.stdout, conn) {
		t.Errorf("berth show prints the connection string:\n%s", r.stdout)
	}

	// The network's change shows in the app's plan.
	network.ok("apply", "-auto-approve", "-var", "subnet=10.8.0.0/24")
	r = app.expect(2, "plan", "-detailed-exitcode")
	mustContain(t, "plan", r.stdout, `~ prod_subnet = "10.9.0.0/24" -> "10.8.0.0/24"`)

	// A workspace the backend does not have, and a schema with no state.
	for _, tt := range []struct{ block, want string }{
		{fmt.Sprintf(`backend = "postgres"
  config = { schema = %q }
  workspace = "staging"`, schema), `no workspace "staging"; it has "default" and "prod"`},
		{fmt.Sprintf(`backend = "postgres"
  config = { schema = %q }`, none), "No remote state"},
	} {
		app.write(fmt.Sprintf("data \"berth_remote_state\" \"x\" {\n  %s\n}\n", tt.block))
		r := app.expect(1, "plan")
		mustContain(t, "plan", r.stderr, tt.want, "data.berth_remote_state.x")
	}
}
