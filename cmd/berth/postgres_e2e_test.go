//go:build integration

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/state/backend/postgres"
	"github.com/berth-sh/berth/state/statemgr"
)

// TestE2EPostgresBackend: berth apply with backend "postgres" stores the
// state in the database (the connection string from PG_CONN_STR), not in
// a file, and a second apply changes nothing. The server is
// scripts/testenv/postgres.sh's (make integration starts it).
func TestE2EPostgresBackend(t *testing.T) {
	ctx := context.Background()
	conn, schema := postgresSchema(t)
	t.Setenv("PG_CONN_STR", conn)

	e := newE2E(t, lifecycleConfig)
	header := strings.Replace(e2eHeader, "berth {\n", "berth {\n  backend \"postgres\" {\n    schema = \""+schema+"\"\n  }\n", 1)
	if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(header+lifecycleConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("init") // the backend changed since newE2E's init
	e.ok("apply", "-auto-approve")
	if _, err := os.Stat(e.statePath()); !os.IsNotExist(err) {
		t.Errorf("a state file was written: %v", err)
	}
	read := func() (uint64, int) {
		t.Helper()
		s, err := statemgr.New(mustOpen(t, conn, schema)).Read(ctx)
		if err != nil || s == nil {
			t.Fatalf("reading the state from postgres: %v", err)
		}
		return s.Serial, s.InstanceCount()
	}
	serial, n := read()
	if n != 3 || serial == 0 {
		t.Fatalf("the state in postgres: serial %d, %d instances; want 3 instances", serial, n)
	}
	if r := e.ok("apply", "-auto-approve"); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("the second apply: %s", r)
	}
	if again, _ := read(); again != serial {
		t.Errorf("a no-op apply moved the serial from %d to %d", serial, again)
	}
	if jdata, found, err := mustOpen(t, conn, schema).GetJournal(ctx); err != nil || found {
		t.Errorf("the journal after the applies: %q, %v, %v", jdata, found, err)
	}
}

func mustOpen(t *testing.T, conn, schema string) *postgres.Postgres {
	t.Helper()
	b, err := postgres.New(postgres.Config{ConnStr: conn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}
