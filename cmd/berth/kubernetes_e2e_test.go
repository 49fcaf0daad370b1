//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/backend/kubernetes"
	"github.com/berth-sh/berth/state/statemgr"
)

// TestE2EKubernetesBackend: berth apply with backend "kubernetes" (the
// kubeconfig from KUBECONFIG) stores the state in the cluster, not in a
// file; a second apply changes nothing; a second workspace has a state of
// its own; and a berth killed with SIGKILL while it holds the lock does
// not stop the next one, which takes the lock once the lease expired.
// The cluster is scripts/testenv/kube.sh's (make integration starts it).
func TestE2EKubernetesBackend(t *testing.T) {
	kubeconfig := os.Getenv("BERTH_TEST_KUBECONFIG")
	if kubeconfig == "" {
		t.Fatal("BERTH_TEST_KUBECONFIG is not set: start the test environment with scripts/testenv/kube.sh start and eval \"$(scripts/testenv/kube.sh env)\" (make integration does both)")
	}
	ctx := context.Background()
	var b [3]byte
	_, _ = rand.Read(b[:])
	suffix := "e2e-" + hex.EncodeToString(b[:])
	t.Setenv("KUBECONFIG", kubeconfig)
	cfg := kubernetes.Config{ConfigPath: kubeconfig, SecretSuffix: suffix}
	ws, err := kubernetes.NewWorkspaces(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, name := range []string{"dev"} {
			_ = ws.DeleteWorkspace(context.Background(), name)
		}
		if k, err := ws.Workspace(backend.DefaultWorkspace); err == nil {
			_ = k.PutJournal(context.Background(), nil)
		}
	})

	e := newE2E(t, lifecycleConfig)
	header := strings.Replace(e2eHeader, "berth {\n", "berth {\n  backend \"kubernetes\" {\n    secret_suffix = \""+suffix+"\"\n  }\n", 1)
	if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(header+lifecycleConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("init", "-reconfigure")
	e.ok("apply", "-auto-approve")
	if _, err := os.Stat(e.statePath()); !os.IsNotExist(err) {
		t.Errorf("a state file was written: %v", err)
	}
	read := func(workspace string) (uint64, int) {
		t.Helper()
		k, err := ws.Workspace(workspace)
		if err != nil {
			t.Fatal(err)
		}
		s, err := statemgr.New(k).Read(ctx)
		if err != nil || s == nil {
			t.Fatalf("reading workspace %s's state from the cluster: %v, %v", workspace, s, err)
		}
		return s.Serial, s.InstanceCount()
	}
	serial, n := read(backend.DefaultWorkspace)
	if n != 3 || serial == 0 {
		t.Fatalf("the state in the cluster: serial %d, %d instances; want 3 instances", serial, n)
	}
	if r := e.ok("apply", "-auto-approve"); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("the second apply: %s", r)
	}
	if again, _ := read(backend.DefaultWorkspace); again != serial {
		t.Errorf("a no-op apply moved the serial from %d to %d", serial, again)
	}
	k, _ := ws.Workspace(backend.DefaultWorkspace)
	if jdata, found, err := k.GetJournal(ctx); err != nil || found {
		t.Errorf("the journal after the applies: %q, %v, %v", jdata, found, err)
	}

	// A workspace of its own: its state is separate.
	e.ok("workspace", "new", "dev")
	e.ok("apply", "-auto-approve")
	if _, n := read("dev"); n != 3 {
		t.Errorf("dev's state holds %d instances, want 3", n)
	}
	if again, _ := read(backend.DefaultWorkspace); again != serial {
		t.Errorf("applying dev moved default's serial from %d to %d", serial, again)
	}
	if r := e.ok("workspace", "list"); !strings.Contains(r.stdout, "default") || !strings.Contains(r.stdout, "* dev") {
		t.Errorf("workspace list: %s", r)
	}
	e.ok("workspace", "select", "default")

	// SIGKILL of the lock holder: the next apply waits for the lease to
	// expire and goes on, with no force-unlock.
	slow := strings.Replace(lifecycleConfig, `value  = "one"`, `value  = "two"`, 1)
	if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(header+slow), 0o644); err != nil {
		t.Fatal(err)
	}
	// -lock-timeout: the polling below takes the lock for a moment when
	// it finds it free.
	first := e.start("apply", "-auto-approve", "-lock-timeout=60s", "-var", "delay_ms=60000")
	// Killed once it holds the lock (its provider calls are slow: it is
	// in the middle of its run).
	for deadline := time.Now().Add(60 * time.Second); ; {
		holder, err := statemgr.New(k).Holder(ctx)
		if err == nil && holder != nil && holder.PID == first.cmd.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first apply did not take the lock in 60 s: %+v, %v", holder, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // into its run, and a renewal or so
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.wait()
	killed := time.Now()
	r := e.ok("apply", "-auto-approve", "-lock-timeout=60s")
	took := time.Since(killed)
	t.Logf("the apply after the SIGKILL got the lock and finished %s after the kill (lease %s)", took.Round(time.Millisecond), kubernetes.DefaultLeaseDuration)
	if took > kubernetes.DefaultLeaseDuration+30*time.Second {
		t.Errorf("the apply after the SIGKILL took %s", took)
	}
	if !strings.Contains(r.stdout, "Apply complete!") {
		t.Errorf("the apply after the SIGKILL: %s", r)
	}
	if r := e.ok("apply", "-auto-approve"); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("the apply after the recovery: %s", r)
	}
}
