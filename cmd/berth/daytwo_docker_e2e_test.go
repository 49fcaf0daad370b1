//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The day-2 commands (status, logs, exec) against the Docker test
// environment: a 2-replica app of the test server, one instance on each
// host.

// statusInstance is an instance of berth status -json.
type statusInstance struct {
	Name        string            `json:"name"`
	Role        string            `json:"role"`
	Host        string            `json:"host"`
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	Ready       bool              `json:"ready"`
	ImageDigest string            `json:"image_digest"`
	ConfigHash  string            `json:"config_hash"`
	Started     *time.Time        `json:"started"`
	Restarts    int               `json:"restarts"`
	Addresses   map[string]string `json:"addresses"`
}

// statusDoc is the part of berth status -json the tests read.
type statusDoc struct {
	Apps []struct {
		Address   string           `json:"address"`
		Provider  string           `json:"provider"`
		Instances []statusInstance `json:"instances"`
		Rollout   *struct {
			Phase string `json:"phase"`
		} `json:"rollout"`
		Diagnostics []json.RawMessage `json:"diagnostics"`
	} `json:"apps"`
}

// newDayTwoTest is dockerApp with 2 replicas (one on each host), applied.
func newDayTwoTest(t *testing.T, prefix string) dockerTest {
	d := newDockerTest(t, prefix)
	d.e.write(strings.Replace(dockerApp(d.hostA, d.hostB, d.registry, d.app, d.image), "replicas = 4", "replicas = 2", 1))
	d.e.ok("apply", "-auto-approve", "-var=tag=v1", d.pw)
	return d
}

// status runs berth status -json and decodes it.
func (d dockerTest) status(t *testing.T) statusDoc {
	t.Helper()
	r := d.e.ok("status", "-json", "-var=tag=v1", d.pw, "app."+d.app)
	var doc statusDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("status -json: %v\n%s", err, r.stdout)
	}
	if len(doc.Apps) != 1 || doc.Apps[0].Address != "app."+d.app {
		t.Fatalf("status -json of app.%s: %s", d.app, r.stdout)
	}
	return doc
}

func TestE2EDockerStatus(t *testing.T) {
	d := newDayTwoTest(t, "st")
	e, app, pw := d.e, d.app, d.pw
	read := time.Now()

	doc := d.status(t)
	a := doc.Apps[0]
	if a.Provider != "docker" || len(a.Diagnostics) != 0 || a.Rollout == nil || a.Rollout.Phase != "settled" || len(a.Instances) != 2 {
		t.Fatalf("status -json of a settled 2-replica app: %+v", a)
	}
	var hosts []string
	for i, in := range a.Instances {
		if want := fmt.Sprintf("%s-%d", app, i+1); in.Name != want || !in.Ready || in.Status != "running" || in.Role != "stable" ||
			in.ID == "" || !strings.Contains(in.ImageDigest, "@sha256:") || in.ConfigHash == "" || in.Restarts != 0 || in.Addresses["http"] == "" {
			t.Errorf("instance %d, want %s running, ready and stable on v1: %+v", i, want, in)
		}
		// Started by the apply, before the status was read.
		if in.Started == nil || in.Started.After(read) || read.Sub(*in.Started) > 30*time.Minute {
			t.Errorf("instance %s started at %v; the status was read at %v", in.Name, in.Started, read)
		}
		hosts = append(hosts, in.Host)
	}
	if slices.Sort(hosts); !slices.Equal(hosts, []string{"a", "b"}) {
		t.Errorf("instances on hosts %v, want one on a and one on b", hosts)
	}

	// A container removed behind berth's back: status shows what runs,
	// not what the state records.
	onB := a.Instances[slices.IndexFunc(a.Instances, func(in statusInstance) bool { return in.Host == "b" })]
	if out, err := exec.Command("docker", "-H", d.hostB, "rm", "-f", onB.ID).CombinedOutput(); err != nil {
		t.Fatalf("docker rm: %v\n%s", err, out)
	}
	r := e.ok("status", "-no-color", "-var=tag=v1", pw)
	mustContain(t, "status text", r.stdout, "app."+app+": no rollout in progress", "INSTANCE", "RESTARTS")
	if strings.Contains(r.stdout, onB.Name) || len(d.status(t).Apps[0].Instances) != 1 {
		t.Errorf("status after %s was removed still lists it:\n%s", onB.Name, r.stdout)
	}
	// The state was not changed: drift still sees the container missing.
	e.expect(2, "drift", "-var=tag=v1", pw)
}

func TestE2EDockerLogs(t *testing.T) {
	d := newDayTwoTest(t, "lg")
	e, app, pw := d.e, d.app, d.pw
	doc := d.status(t)

	// Both instances' output, each line behind its instance's name.
	r := e.ok("logs", "-no-color", "-var=tag=v1", pw, "app."+app)
	for _, in := range doc.Apps[0].Instances {
		mustContain(t, "logs", r.stdout, in.Name+" | testserver v1 listening on")
	}
	r = e.ok("logs", "-no-color", "-instance", app+"-2", "-tail", "1", "-var=tag=v1", pw, "app."+app)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], app+"-2 | ") {
		t.Errorf("logs -instance %s-2 -tail 1:\n%s", app, r.stdout)
	}
	r = e.expect(1, "logs", "-instance", app+"-9", "-var=tag=v1", pw, "app."+app)
	mustContain(t, "logs of an unknown instance", r.stderr, "No such instance", app+"-9")

	// -f sees a line written after it started, then Ctrl-C ends it with 0.
	b := e.start("logs", "-f", "-no-color", "-timestamps", "-var=tag=v1", pw, "app."+app)
	waitLine(t, b, app+"-1", "testserver v1 listening on")
	marker := fmt.Sprintf("written-after-start-%d", os.Getpid())
	first := doc.Apps[0].Instances[0]
	resp, err := http.Get("http://" + first.Addresses["http"] + "/log?stream=stderr&line=" + url.QueryEscape(marker))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	waitLine(t, b, first.Name, marker)
	if err := b.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := b.wait(); code != 0 {
		t.Fatalf("logs -f after Ctrl-C: exit %d\n%s\n%s", code, &b.out, &b.errb)
	}
	if b.errb.Len() > 0 {
		t.Errorf("logs -f after Ctrl-C wrote to stderr:\n%s", &b.errb)
	}
}

// waitLine waits until b prints a line of instance containing text; it
// fails the test when b ends first. b's lines are its whole output, so
// the wait is bounded by the process, not by a clock.
func waitLine(t *testing.T, b *background, instance, text string) {
	t.Helper()
	for l := range b.lines {
		if strings.HasPrefix(l, instance+" ") && strings.Contains(l, text) {
			return
		}
	}
	t.Fatalf("berth logs ended without printing %q for %s:\n%s\n%s", text, instance, &b.out, &b.errb)
}

func TestE2EDockerExec(t *testing.T) {
	d := newDayTwoTest(t, "ex")
	e, app, pw := d.e, d.app, d.pw

	// The command's output, and its exit code passed through.
	r := e.expect(3, "exec", "-var=tag=v1", pw, "app."+app, "--", "/server", "-echo", "from inside", "-exit", "3")
	if strings.TrimSpace(r.stdout) != "from inside" || r.stderr != "" {
		t.Errorf("exec -exit 3: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	r = e.ok("exec", "-instance", app+"-2", "-var=tag=v1", pw, "app."+app, "--", "/server", "-echo", "ok")
	if strings.TrimSpace(r.stdout) != "ok" {
		t.Errorf("exec in %s-2: %q", app, r.stdout)
	}
	// A command the image lacks: the engine's own exit code for it (126 or
	// 127, as with docker exec), and its message.
	r = e.run("exec", "-var=tag=v1", pw, "app."+app, "--", "/no/such/command")
	if r.code != 126 && r.code != 127 {
		t.Errorf("exec of a missing command: exit %d, want 126 or 127\n%s", r.code, r)
	}
	mustContain(t, "exec of a missing command", r.stdout+r.stderr, "no/such/command")
	r = e.expect(1, "exec", "-instance", app+"-9", "-var=tag=v1", pw, "app."+app, "--", "/server", "-echo", "x")
	mustContain(t, "exec in an unknown instance", r.stderr, "No such instance", app+"-9")
	r = e.expect(1, "exec", "-var=tag=v1", pw, "app."+app)
	mustContain(t, "exec without --", r.stderr, "needs the command after --")
}
