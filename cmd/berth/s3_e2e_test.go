//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/backend/s3"
	"github.com/berth-sh/berth/state/statemgr"
)

// TestE2ES3Backend: with backend "s3" (the bucket and endpoint given to
// init with -backend-config, the credentials from the environment), berth
// apply stores the state in the bucket, not in a file, and a second apply
// changes nothing; workspaces keep their states apart at Terraform's keys.
// The server is scripts/testenv/s3.sh's (make integration starts it).
func TestE2ES3Backend(t *testing.T) {
	ctx := context.Background()
	e, cfg := newS3E2E(t)
	bucket, endpoint := cfg.Bucket, cfg.Endpoint
	e.ok("apply", "-auto-approve")
	if _, err := os.Stat(e.statePath()); !os.IsNotExist(err) {
		t.Errorf("a state file was written: %v", err)
	}
	ws, err := s3.NewWorkspaces(cfg)
	if err != nil {
		t.Fatal(err)
	}
	open := func(name string) backend.Backend {
		t.Helper()
		b, err := ws.Workspace(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	read := func(name string) (uint64, int) {
		t.Helper()
		s, err := statemgr.New(open(name)).Read(ctx)
		if err != nil || s == nil {
			t.Fatalf("reading workspace %s's state from S3: %v", name, err)
		}
		return s.Serial, s.InstanceCount()
	}
	serial, n := read(backend.DefaultWorkspace)
	if n != 3 || serial == 0 {
		t.Fatalf("the state in S3: serial %d, %d instances; want 3 instances", serial, n)
	}
	if r := e.ok("apply", "-auto-approve"); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("the second apply: %s", r)
	}
	if again, _ := read(backend.DefaultWorkspace); again != serial {
		t.Errorf("a no-op apply moved the serial from %d to %d", serial, again)
	}
	if jdata, found, err := open(backend.DefaultWorkspace).GetJournal(ctx); err != nil || found {
		t.Errorf("the journal after the applies: %q, %v, %v", jdata, found, err)
	}
	if r := e.ok("state", "lock", "show"); !strings.Contains(strings.ToLower(r.stdout), "not locked") {
		t.Errorf("state lock show after the applies: %s", r)
	}

	// A workspace of its own: created, selected, applied to apart.
	e.ok("workspace", "new", "dev")
	r := e.ok("workspace", "list")
	if r.stdout != "  default\n* dev\n" {
		t.Errorf("workspace list:\n%s", r.stdout)
	}
	e.ok("apply", "-auto-approve")
	if _, n := read("dev"); n != 3 {
		t.Errorf("workspace dev's state: %d instances, want 3", n)
	}
	if again, _ := read(backend.DefaultWorkspace); again != serial {
		t.Errorf("an apply in dev moved default's serial from %d to %d", serial, again)
	}
	if _, found, err := open("dev").Get(ctx); err != nil || !found || open("dev").Location() != "s3://"+bucket+"/"+cfg.WorkspaceKeyPrefix+"/dev/"+cfg.Key+" at "+endpoint {
		t.Errorf("dev's state object %s: %v, %v", open("dev").Location(), found, err)
	}
	e.ok("workspace", "select", "default")
	if r := e.ok("workspace", "show"); r.stdout != "default\n" {
		t.Errorf("workspace show: %q", r.stdout)
	}
	if r := e.ok("apply", "-auto-approve"); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("default's apply after dev's: %s", r)
	}
}

// newS3E2E sets up a working directory whose backend "s3" block names a
// key of the test's own, and inits it with the bucket, the endpoint and
// the other settings (extra: KEY=VALUE) as -backend-config values.
func newS3E2E(t *testing.T, extra ...string) (*e2e, s3.Config) {
	t.Helper()
	endpoint, bucket := os.Getenv("BERTH_TEST_S3_ENDPOINT"), os.Getenv("BERTH_TEST_S3_BUCKET")
	if endpoint == "" || bucket == "" {
		t.Fatal("BERTH_TEST_S3_ENDPOINT or BERTH_TEST_S3_BUCKET is not set: start the server with scripts/testenv/s3.sh start and eval \"$(scripts/testenv/s3.sh env)\" (make integration does both)")
	}
	// A key and a workspace prefix of this test's own, in the shared
	// bucket.
	suffix := make([]byte, 4)
	rand.Read(suffix)
	run := "e2e-" + hex.EncodeToString(suffix)
	cfg := s3.Config{Bucket: bucket, Key: run + "/berth.state", Endpoint: endpoint, UsePathStyle: true,
		WorkspaceKeyPrefix: run + "-env", LeaseDuration: s3.DefaultLeaseDuration}

	e := newE2E(t, lifecycleConfig)
	header := strings.Replace(e2eHeader, "berth {\n", "berth {\n  backend \"s3\" {\n    key            = \""+cfg.Key+"\"\n    use_path_style = true\n  }\n", 1)
	if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(header+lifecycleConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	// Without the bucket, the backend says which setting is missing.
	r := e.expect(1, "init", "-reconfigure")
	mustContain(t, "init without a bucket", r.stderr, "needs a bucket")
	args := []string{"init", "-reconfigure", "-backend-config", "bucket=" + bucket, "-backend-config", "endpoint=" + endpoint,
		"-backend-config", "workspace_key_prefix=" + cfg.WorkspaceKeyPrefix}
	for _, kv := range extra {
		args = append(args, "-backend-config", kv)
	}
	e.ok(args...)
	return e, cfg
}
