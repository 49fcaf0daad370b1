//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestE2EKubernetesDayTwo: berth status reads an app's pods; logs and
// exec go through the API server to a kubelet, which the test
// environment's kwok nodes lack (fake pods, no containers), so there they
// can only fail, with an error naming the instance (docs/kubernetes.md).
// The Docker tests (daytwo_docker_e2e_test.go) cover their success.
func TestE2EKubernetesDayTwo(t *testing.T) {
	k := newKubeTest(t, kubeApp)
	e, pw := k.e, k.pw
	e.ok("apply", "-auto-approve", pw)
	t.Cleanup(func() { e.run("destroy", "-auto-approve", pw) })

	r := e.ok("status", "-json", pw, "app.web")
	var doc statusDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("status -json: %v\n%s", err, r.stdout)
	}
	if len(doc.Apps) != 1 || doc.Apps[0].Provider != "kubernetes" || doc.Apps[0].Rollout == nil || doc.Apps[0].Rollout.Phase != "settled" ||
		len(doc.Apps[0].Instances) != 4 {
		t.Fatalf("status -json of a settled 4-replica app:\n%s", r.stdout)
	}
	for i, in := range doc.Apps[0].Instances {
		if want := fmt.Sprintf("web-%d", i); in.Name != want || !in.Ready || in.Status != "running" || in.Role != "stable" ||
			in.Host == "" || in.Started == nil || !strings.Contains(in.ImageDigest, "@sha256:") {
			t.Errorf("instance %d, want %s running and ready on a node: %+v", i, want, in)
		}
	}
	r = e.ok("status", "-no-color", pw)
	mustContain(t, "status text", r.stdout, "app.web: no rollout in progress", "web-0", "web-3")

	r = e.expect(1, "logs", "-instance", "web-0", pw, "app.web")
	t.Logf("logs on kwok:\n%s", r.stderr)
	mustContain(t, "logs on kwok", r.stderr, "Cannot read the output of instance web-0")
	r = e.expect(1, "exec", "-instance", "web-1", pw, "app.web", "--", "/server", "-echo", "x")
	t.Logf("exec on kwok:\n%s", r.stderr)
	mustContain(t, "exec on kwok", r.stderr, "Cannot run the command in instance web-1")
}
