//go:build integration

package docker

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/platform/app"
)

// freeTCPPort is a port of 127.0.0.1 that nothing listens on now.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// fixedPortBody is appBody with the http port published on host port.
func fixedPortBody(image string, replicas, port int) string {
	return strings.Replace(fmt.Sprintf(appBody, image, replicas, 0), "  container = 8080\n", fmt.Sprintf("  container = 8080\n  host      = %d\n", port), 1)
}

// A fixed host port: the app answers on it; a rollout stops the old
// container before the new one starts (the plan says so and plans waves
// that stop first), and the app answers on the same port with the new
// version after it.
func TestIntegrationFixedHostPortRollout(t *testing.T) {
	h := newHarness(t, fmt.Sprintf("fp%d", time.Now().UnixNano()%1e6))
	port := freeTCPPort(t)
	at := app.Address{IP: "127.0.0.1", Port: port}
	v1 := h.configHosts(fixedPortBody(h.e.image+":v1", 1, port), h.e.hostA)
	h.mustApply(v1, nil)
	if code, body := httpGet(at, "/version"); code != 200 || !strings.Contains(body, "v1") {
		t.Fatalf("GET /version on the fixed port %d: %d %q, want v1", port, code, body)
	}
	ins := app.DecodeInstances(h.state)
	if len(ins) != 1 || ins[0].Addresses["http"].Port != port {
		t.Fatalf("instances %+v, want the http address on port %d", ins, port)
	}

	v2 := h.configHosts(fixedPortBody(h.e.image+":v2", 1, port), h.e.hostA)
	pl := h.plan(v2)
	if pl.Rollout == nil || pl.Rollout.MaxUnavailable != 1 || len(pl.Rollout.Waves) != 1 {
		t.Fatalf("rollout %+v, want one wave that stops its old instance first", pl.Rollout)
	}
	var warned bool
	for _, d := range pl.Diagnostics {
		warned = warned || strings.Contains(d.Summary, "stops instances before their replacements start") && strings.Contains(d.Detail, fmt.Sprint(port))
	}
	if !warned {
		t.Errorf("the plan does not say the rollout stops first: %v", pl.Diagnostics)
	}
	h.mu.Lock()
	h.events = nil
	h.mu.Unlock()
	if diags := h.apply(v2, pl, nil); diags.HasErrors() {
		t.Fatalf("rollout of a fixed-port app: %v", diags)
	}
	if code, body := httpGet(at, "/version"); code != 200 || !strings.Contains(body, "v2") {
		t.Errorf("GET /version on port %d after the rollout: %d %q, want v2", port, code, body)
	}
	stopped, started := -1, -1
	h.mu.Lock()
	for i, ev := range h.events {
		if ev.Kind == "instance_stopped" && stopped < 0 {
			stopped = i
		}
		if ev.Kind == "instance_started" && started < 0 {
			started = i
		}
	}
	h.mu.Unlock()
	if stopped < 0 || started < 0 || stopped > started {
		t.Errorf("the old container stopped at event %d, the new one started at %d: want the stop first", stopped, started)
	}
	if live := h.containersOf(str(h.state, "deployment_id")); len(live) != 1 {
		t.Errorf("%d containers after the rollout, want 1", len(live))
	}

	// A version that never turns ready: the revert stops it (it holds the
	// port) before v2 starts again, and v2 answers on the port again.
	bad := h.configHosts(strings.Replace(fixedPortBody(h.e.image+":never-ready", 1, port), "rollout {", "rollout {\n  auto_revert = true", 1), h.e.hostA)
	diags := h.apply(bad, h.plan(bad), nil)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "reverted to the previous spec") {
		t.Fatalf("a never-ready version of a fixed-port app: %v; want a failed wave, reverted", diags)
	}
	if code, body := httpGet(at, "/version"); code != 200 || !strings.Contains(body, "v2") {
		t.Errorf("GET /version on port %d after the revert: %d %q, want v2", port, code, body)
	}
	if live := h.containersOf(str(h.state, "deployment_id")); len(live) != 1 {
		t.Errorf("%d containers after the revert, want 1", len(live))
	}
}

// Two apps asking for the same host port: the second is placed on a host
// where the port is free, and refused at plan when there is none, naming
// the app that holds it.
func TestIntegrationFixedHostPortPlacedApart(t *testing.T) {
	first := newHarness(t, fmt.Sprintf("fa%d", time.Now().UnixNano()%1e6))
	port := freeTCPPort(t)
	first.mustApply(first.configHosts(fixedPortBody(first.e.image+":v1", 1, port), first.e.hostA), nil)

	second := newHarness(t, fmt.Sprintf("fb%d", time.Now().UnixNano()%1e6))
	one := second.configHosts(fixedPortBody(second.e.image+":v1", 1, port), second.e.hostA, second.e.hostB)
	pl := second.plan(one)
	if pl.Diagnostics.HasErrors() {
		t.Fatalf("plan: %v", pl.Diagnostics)
	}
	if ins := app.DecodeInstances(pl.PlannedState); len(ins) != 1 || ins[0].Host != second.e.hostB.Name {
		t.Errorf("planned %+v, want the instance on %s: %s holds port %d on %s", ins, second.e.hostB.Name, first.name, port, first.e.hostA.Name)
	}
	two := second.configHosts(fixedPortBody(second.e.image+":v1", 2, port), second.e.hostA, second.e.hostB)
	pl = second.plan(two)
	want := fmt.Sprintf("port %d is taken by app.%s", port, first.name)
	if !pl.Diagnostics.HasErrors() || !strings.Contains(pl.Diagnostics.Error(), want) {
		t.Errorf("plan of 2 replicas on 2 hosts, one of which another app holds port %d on: %v; want an error saying %q", port, pl.Diagnostics, want)
	}
}
