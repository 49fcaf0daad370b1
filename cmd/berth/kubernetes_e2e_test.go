//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/backend/kubernetes"
	"github.com/berth-sh/berth/state/statemgr"
)

// TestE2EKubernetesBackend: berth apply with backend "kubernetes" (the
// kubeconfig from KUBECONFIG) stores the state in the cluster, not in a
// file; a second apply changes nothing; a second workspace has a state of
// its own. The cluster is scripts/testenv/kube.sh's (make integration
// starts it). The tests of every backend (sharedstate_e2e_test.go) run on
// it too: concurrent applies, workspaces, a killed lock holder.
func TestE2EKubernetesBackend(t *testing.T) {
	kubeconfig := testKubeconfig(t)
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
	t.Cleanup(func() { deleteKubernetesObjects(t, kubeconfig, suffix) })

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
}

// testKubeconfig is the test environment's kubeconfig.
func testKubeconfig(t testing.TB) string {
	t.Helper()
	path := os.Getenv("BERTH_TEST_KUBECONFIG")
	if path == "" {
		t.Fatal("BERTH_TEST_KUBECONFIG is not set: start the test environment with scripts/testenv/kube.sh start and eval \"$(scripts/testenv/kube.sh env)\" (make integration does both)")
	}
	return path
}

// kubernetesPlace is a fresh secret_suffix in the test cluster's default
// namespace; its objects are deleted when the test ends.
func kubernetesPlace(t testing.TB) (string, []string) {
	kubeconfig := testKubeconfig(t)
	suffix := placeName("shared-")
	t.Cleanup(func() { deleteKubernetesObjects(t, kubeconfig, suffix) })
	return fmt.Sprintf("backend \"kubernetes\" {\n    secret_suffix = %q\n  }", suffix), []string{"KUBECONFIG=" + kubeconfig}
}

// deleteKubernetesObjects deletes the Secrets and Leases berth made under
// suffix in the default namespace.
func deleteKubernetesObjects(t testing.TB, kubeconfig, suffix string) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Error(err)
		return
	}
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: "berth.sh/secret-suffix=" + suffix}
	core, err := corev1.NewForConfig(rc)
	if err == nil {
		err = core.Secrets(kubernetes.DefaultNamespace).DeleteCollection(ctx, metav1.DeleteOptions{}, sel)
	}
	if err != nil {
		t.Errorf("deleting the test's Secrets: %v", err)
	}
	coord, err := coordinationv1.NewForConfig(rc)
	if err == nil {
		err = coord.Leases(kubernetes.DefaultNamespace).DeleteCollection(ctx, metav1.DeleteOptions{}, sel)
	}
	if err != nil {
		t.Errorf("deleting the test's Leases: %v", err)
	}
}
