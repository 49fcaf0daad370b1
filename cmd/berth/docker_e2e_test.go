//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-sh/berth/views/jsondoc"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
)

// The Docker scenarios of issue 5 through the berth binary: the engine
// drives the docker provider (a plugin process of berth itself) against
// two real dockerd hosts and a registry with htpasswd auth, started by
// scripts/testenv/docker.sh (make integration).

func dockerEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: the Docker test environment is missing. Run\n"+
			"  scripts/testenv/docker.sh start && eval \"$(scripts/testenv/docker.sh env)\"", name)
	}
	return v
}

// containers lists the ids of the app's running containers on one host.
func containers(t *testing.T, endpoint, app string) []string {
	t.Helper()
	return dockerPS(t, endpoint, app)
}

// dockerPS lists the ids `docker ps -q` gives for the app's containers on
// one host, with the extra options.
func dockerPS(t *testing.T, endpoint, app string, options ...string) []string {
	t.Helper()
	args := append([]string{"-H", endpoint, "ps", "-q", "--filter", "label=sh.berth.app=" + app}, options...)
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker ps: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

// dockerApp is the configuration of a 4-replica app of the test server
// spread over the two test hosts, with its image tag and the registry's
// password as variables.
func dockerApp(hostA, hostB, registry, app, image string) string {
	return fmt.Sprintf(`
variable "tag" {
  type = string
}
variable "registry_password" {
  type      = string
  sensitive = true
}
cluster "edge" {
  docker {
    host "a" {
      endpoint = %q
      labels   = { pool = "core" }
    }
    host "b" {
      endpoint = %q
      labels   = { pool = "batch" }
    }
  }
}
registry "test" {
  address  = %q
  username = "berth"
  password = var.registry_password
}
app %q {
  cluster  = cluster.edge
  image    = "%s:${var.tag}"
  replicas = 4
  port "http" {
    container = 8080
  }
  placement {
    spread = "host"
  }
  readiness {
    http {
      path = "/healthz"
      port = "http"
    }
    period  = "1s"
    timeout = "500ms"
  }
  rollout {
    initial_batch    = 1
    growth           = 2
    min_healthy      = "1s"
    healthy_deadline = "8s"
  }
}
output "first_port" {
  value = app.%[4]s.instances[0].addresses["http"].port
}
`, hostA, hostB, registry, app, image)
}

// dockerTest is an end-to-end test of dockerApp through the binary,
// against the test environment.
type dockerTest struct {
	e                                      *e2e
	hostA, hostB, registry, image, app, pw string
}

// newDockerTest sets up dockerApp as app <prefix><pid> in a new working
// directory; the app is destroyed when the test ends.
func newDockerTest(t *testing.T, prefix string) dockerTest {
	d := dockerTest{
		hostA: dockerEnv(t, "BERTH_TEST_DOCKER_A"), hostB: dockerEnv(t, "BERTH_TEST_DOCKER_B"),
		registry: dockerEnv(t, "BERTH_TEST_REGISTRY"), image: dockerEnv(t, "BERTH_TEST_IMAGE"),
		app: fmt.Sprintf("%s%d", prefix, os.Getpid()),
		pw:  "-var=registry_password=" + dockerEnv(t, "BERTH_TEST_REGISTRY_PASSWORD"),
	}
	d.e = newE2E(t, dockerApp(d.hostA, d.hostB, d.registry, d.app, d.image))
	t.Cleanup(func() { d.e.run("destroy", "-auto-approve", "-var=tag=v1", d.pw) })
	return d
}

// addr is the app's address.
func (d dockerTest) addr(t *testing.T) addrs.Instance {
	t.Helper()
	a, err := addrs.ParseInstance("app." + d.app)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// interruptedRollout deploys v1, then interrupts the rollout of v2 when
// its second wave starts, and returns that apply, which exited 1.
func (d dockerTest) interruptedRollout(t *testing.T) *background {
	t.Helper()
	d.e.ok("apply", "-auto-approve", "-var=tag=v1", d.pw)
	b := d.e.start("apply", "-auto-approve", "-var=tag=v2", d.pw)
	interruptAt(t, b, "wave 2/3 started")
	if code := b.wait(); code != 1 {
		t.Fatalf("interrupted rollout: exit %d\n%s\n%s", code, &b.out, &b.errb)
	}
	return b
}

// interruptAt sends SIGINT to b when it prints a line containing line.
func interruptAt(t *testing.T, b *background, line string) {
	t.Helper()
	for l := range b.lines {
		if strings.Contains(l, line) {
			if err := b.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("berth never printed %q", line)
}

func TestE2EDockerRollout(t *testing.T) {
	d := newDockerTest(t, "e2e")
	e, hostA, hostB, app, pw := d.e, d.hostA, d.hostB, d.app, d.pw
	registry, image := d.registry, d.image

	// Create: 4 replicas spread over the two hosts.
	e.ok("apply", "-auto-approve", "-var=tag=v1", pw)
	if a, b := len(containers(t, hostA, app)), len(containers(t, hostB, app)); a != 2 || b != 2 {
		t.Fatalf("containers on host a: %d, on host b: %d; want 2 and 2", a, b)
	}
	if r := e.run("plan", "-detailed-exitcode", "-var=tag=v1", pw); r.code != 0 {
		t.Fatalf("plan after create is not empty:\n%s", r)
	}
	// What the platform reports is usable in configuration.
	if r := e.ok("output", "-raw", "first_port"); !regexp.MustCompile(`^[0-9]+$`).MatchString(strings.TrimSpace(r.stdout)) {
		t.Fatalf("output first_port is not a host port: %q", r.stdout)
	}

	// A new image: the plan shows the waves, apply runs them in order.
	r := e.expect(2, "plan", "-detailed-exitcode", "-var=tag=v2", pw)
	mustContain(t, "plan", r.stdout, "wave 1: 1 instance", "wave 2: 2 instances", "wave 3: 1 instance", "@sha256:")
	r = e.ok("apply", "-auto-approve", "-var=tag=v2", pw)
	// The core's line says which wave it is and what it replaces where;
	// the provider's events of the wave say nothing of waves.
	if strings.Contains(r.stdout, "wave 1 of 3") || !regexp.MustCompile(`wave 1/3 started \(1 instance: \S+-1 on `).MatchString(r.stdout) {
		t.Errorf("apply's wave lines:\n%s", r.stdout)
	}
	last := -1
	for _, line := range []string{"wave 1/3 started", "wave 1/3 complete", "wave 2/3 started", "wave 2/3 complete", "wave 3/3 started", "wave 3/3 complete"} {
		i := strings.Index(r.stdout, line)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order in:\n%s", line, r.stdout)
		}
		last = i
	}
	mustContain(t, "apply", r.stdout, "0 added, 1 changed, 0 destroyed")

	// A version that never gets ready: the first wave fails after
	// healthy_deadline and auto_revert brings v2 back, exactly.
	r = e.expect(1, "apply", "-auto-approve", "-var=tag=never-ready", pw)
	mustContain(t, "failed rollout", r.stdout+r.stderr, "revert")
	if r := e.run("plan", "-detailed-exitcode", "-var=tag=v2", pw); r.code != 0 {
		t.Fatalf("after the revert, v2 is not what runs:\n%s", r)
	}
	if n := len(containers(t, hostA, app)) + len(containers(t, hostB, app)); n != 4 {
		t.Fatalf("%d containers after the revert, want 4", n)
	}

	// A wrong registry password fails the plan with the registry's message.
	r = e.expect(1, "plan", "-var=tag=v2", "-var=registry_password=wrong")
	mustContain(t, "plan with a wrong password", r.stderr, "UNAUTHORIZED", registry)

	// A container removed behind berth's back is drift, and apply repairs it.
	victim := containers(t, hostA, app)[0]
	if out, err := exec.Command("docker", "-H", hostA, "rm", "-f", victim).CombinedOutput(); err != nil {
		t.Fatalf("docker rm: %v\n%s", err, out)
	}
	r = e.expect(2, "drift", "-json", "-var=tag=v2", pw)
	var rep jsondoc.DriftReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("drift -json: %v\n%s", err, r.stdout)
	}
	// The report names the removed instance, and only it.
	if len(rep.Objects) != 1 || len(rep.Objects[0].Instances) != 1 ||
		rep.Objects[0].Instances[0].Change != "missing" || !strings.HasPrefix(rep.Objects[0].Instances[0].ID, victim) {
		t.Errorf("drift -json after container %s was removed:\n%s", victim, r.stdout)
	}
	e.ok("apply", "-auto-approve", "-var=tag=v2", pw)
	if n := len(containers(t, hostA, app)) + len(containers(t, hostB, app)); n != 4 {
		t.Fatalf("%d containers after the repair, want 4", n)
	}
	e.ok("drift", "-var=tag=v2", pw)

	// The state is lost: import adopts the running containers by their
	// deployment id, and nothing needs to change after it (no second copy
	// of the app is started).
	out, err := exec.Command("docker", "-H", hostA, "ps", "--format", `{{.Label "sh.berth.id"}}`, "--filter", "label=sh.berth.app="+app).Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	id := strings.Fields(string(out))[0]
	for _, f := range []string{"berth.state", "berth.state.backup"} {
		if err := os.Remove(filepath.Join(e.dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	r = e.expect(1, "import", "-var=tag=v2", pw, "app."+app, "no-such-deployment")
	mustContain(t, "import of an unknown id", r.stderr, "Cannot import non-existent object", "no-such-deployment")
	r = e.ok("import", "-var=tag=v2", pw, "app."+app, id)
	mustContain(t, "import", r.stdout, "Import successful!")
	// Only the outputs, lost with the state, are to be recorded again.
	r = e.expect(2, "plan", "-detailed-exitcode", "-var=tag=v2", pw)
	if !strings.Contains(r.stdout, "Changes to Outputs") || strings.Contains(r.stdout, "Plan:") {
		t.Fatalf("plan after the import changes more than the outputs:\n%s", r)
	}
	// The configuration moved on while the state was lost: the imported
	// app rolls out to it, in waves, with no container left behind.
	r = e.expect(2, "plan", "-detailed-exitcode", "-var=tag=v1", pw)
	mustContain(t, "plan after import, another tag", r.stdout, "wave 1: 1 instance", "0 to add, 1 to change, 0 to destroy",
		`~ image        = "`+image+`:v2" -> "`+image+`:v1"`)

	// Destroy removes exactly berth's containers of this app.
	e.ok("destroy", "-auto-approve", "-var=tag=v2", pw)
	if n := len(containers(t, hostA, app)) + len(containers(t, hostB, app)); n != 0 {
		t.Fatalf("%d containers left after destroy", n)
	}
}

// allContainers lists the full ids of the app's containers on one host,
// running or not.
func allContainers(t *testing.T, endpoint, app string) []string {
	t.Helper()
	return dockerPS(t, endpoint, app, "-a", "--no-trunc")
}

// Ctrl-C in the middle of a rollout: berth stops after the wave in flight
// (no revert: nothing new starts after an interrupt), the state records
// exactly the containers that exist, and the next apply finishes the
// rollout with no container left over.
func TestE2EDockerInterruptedRollout(t *testing.T) {
	d := newDockerTest(t, "e2ei")
	e, hostA, hostB, app, pw := d.e, d.hostA, d.hostB, d.app, d.pw
	b := d.interruptedRollout(t)
	out := b.out.String() + b.errb.String()
	// Where it stops depends on when the stop reaches the provider: during
	// wave 2, or (when wave 2 was about to complete) before wave 3.
	mustContain(t, "interrupted rollout", out, "Interrupt received.", "Rollout interrupted")
	if !strings.Contains(out, "interrupted during wave 2 of 3") && !strings.Contains(out, "stopped before wave 3 of 3") {
		t.Errorf("the interrupted rollout does not say where it stopped:\n%s", out)
	}
	if strings.Contains(out, "reverting") || strings.Contains(out, "reverted") {
		t.Errorf("an interrupt started a revert:\n%s", out)
	}

	// The state records exactly the containers that exist.
	var recorded []string
	addr := d.addr(t)
	inst := e.state().Instance(addr).Value.GetAttr("instances")
	for it := inst.ElementIterator(); it.Next(); {
		_, v := it.Element()
		recorded = append(recorded, v.GetAttr("id").AsString())
	}
	live := append(allContainers(t, hostA, app), allContainers(t, hostB, app)...)
	slices.Sort(recorded)
	slices.Sort(live)
	if !slices.Equal(recorded, live) {
		t.Fatalf("the state records containers %v, the hosts have %v", recorded, live)
	}

	// The next apply finishes the rollout: 4 containers, all on v2.
	e.ok("apply", "-auto-approve", "-var=tag=v2", pw)
	if r := e.run("plan", "-detailed-exitcode", "-var=tag=v2", pw); r.code != 0 {
		t.Fatalf("plan after finishing the rollout:\n%s", r)
	}
	if n := len(allContainers(t, hostA, app)) + len(allContainers(t, hostB, app)); n != 4 {
		t.Fatalf("%d containers after finishing the rollout, want 4", n)
	}
}

// A first deployment whose instances never get ready fails, but the app is
// not tainted: the next apply keeps the deployment and replaces only the
// instances that failed (here all of them, with a version that works).
func TestE2EDockerFailedCreateIsResumable(t *testing.T) {
	d := newDockerTest(t, "e2ef")
	e, hostA, hostB, app, pw := d.e, d.hostA, d.hostB, d.app, d.pw

	r := e.expect(1, "apply", "-auto-approve", "-var=tag=never-ready", pw)
	mustContain(t, "failed create", r.stdout+r.stderr, "not ready within healthy_deadline")
	addr := d.addr(t)
	obj := e.state().Instance(addr)
	if obj == nil || obj.Status == state.ObjectTainted {
		t.Fatalf("after the failed create the app is %+v, want recorded and not tainted", obj)
	}
	id := obj.Value.GetAttr("deployment_id").AsString()

	r = e.expect(2, "plan", "-detailed-exitcode", "-var=tag=v1", pw)
	if strings.Contains(r.stdout, "must be replaced") || !strings.Contains(r.stdout, "0 to add, 1 to change, 0 to destroy") {
		t.Fatalf("plan after the failed create:\n%s", r.stdout)
	}
	e.ok("apply", "-auto-approve", "-var=tag=v1", pw)
	if got := e.state().Instance(addr).Value.GetAttr("deployment_id").AsString(); got != id {
		t.Errorf("deployment id %s after the repair, want the first one %s", got, id)
	}
	if n := len(containers(t, hostA, app)) + len(containers(t, hostB, app)); n != 4 {
		t.Fatalf("%d containers after the repair, want 4", n)
	}
	e.expect(0, "plan", "-detailed-exitcode", "-var=tag=v1", pw)
}

// A rollout interrupted half-way, then a version that never gets ready:
// auto_revert goes back to the spec the app is recorded with (v1, the
// rollout to v2 never completed), never to the spec that failed, and
// leaves no container of it behind.
func TestE2EDockerRevertAfterAnInterruptedRollout(t *testing.T) {
	d := newDockerTest(t, "e2er")
	e, hostA, hostB, app, pw := d.e, d.hostA, d.hostB, d.app, d.pw
	d.interruptedRollout(t)

	// The rollout to v2 did not complete: the app is recorded on v1.
	addr := d.addr(t)
	if img := e.state().Instance(addr).Value.GetAttr("image"); !strings.HasSuffix(img.AsString(), ":v1") {
		t.Fatalf("after the interrupted rollout the app is recorded with image %s", img.AsString())
	}
	r := e.expect(1, "apply", "-auto-approve", "-var=tag=never-ready", pw)
	mustContain(t, "failed rollout", r.stdout+r.stderr, "The rollout was reverted to the previous spec")
	// Only the outputs, which a failed apply does not record, may change.
	if r := e.run("plan", "-detailed-exitcode", "-var=tag=v1", pw); r.code == 1 || strings.Contains(r.stdout, "Plan:") {
		t.Fatalf("after the revert, v1 is not what runs:\n%s", r)
	}
	if n := len(allContainers(t, hostA, app)) + len(allContainers(t, hostB, app)); n != 4 {
		t.Fatalf("%d containers after the revert, want 4", n)
	}
}
