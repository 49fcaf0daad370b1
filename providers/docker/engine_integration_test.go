//go:build integration

package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/probe"
	"github.com/berth-sh/berth/platform/registry"
	"github.com/berth-sh/berth/providers/docker/engine"
)

func TestIntegrationHostsCapacity(t *testing.T) {
	e := env(t)
	hosts, err := engine.ConnectAll(t.Context(), []engine.HostConfig{e.hostA, e.hostB})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		info, err := h.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s CPU, %d bytes, engine %s, API %s, %s", h.Config.Name, info.CPU, info.Memory, info.ServerVersion, info.APIVersion, info.Architecture)
		if info.CPU < 1000 || info.Memory < 1<<20 || info.ServerVersion == "" || info.APIVersion == "" {
			t.Errorf("%s: implausible info %+v", h.Config.Name, info)
		}
		h.Close()
	}
}

func TestIntegrationUnreachableHost(t *testing.T) {
	e := env(t)
	_, err := engine.ConnectAll(t.Context(), []engine.HostConfig{e.hostA, {Name: "gone", Endpoint: "unix:///tmp/berth-testenv/nope.sock"}})
	var he *engine.HostError
	if !errors.As(err, &he) || he.Host != "gone" || !strings.Contains(err.Error(), "unix:///tmp/berth-testenv/nope.sock") {
		t.Fatalf("err = %v, want a engine.HostError naming host gone and its endpoint", err)
	}
}

func TestIntegrationContainerLifecycle(t *testing.T) {
	e := env(t)
	ctx := t.Context()
	a, b := connect(t, e.hostA), connect(t, e.hostB)
	id := testID(t, a, b)
	img, err := e.registry.Resolve(ctx, e.image+":v1")
	if err != nil {
		t.Fatal(err)
	}
	pulled(t, b, e.registry, img.Pinned())

	labels := engine.InstanceLabels{ID: id, App: "web", Instance: "web-1", ConfigHash: "h1", Image: img.Reference, CPURequest: 250, MemoryRequest: 32 << 20}
	spec := engine.ContainerSpec{
		Name:          "berth-" + id + "-web-1",
		Image:         img.Pinned(),
		Env:           map[string]string{"READY_AFTER": "1s", "VERSION": "from-env"},
		Ports:         []engine.PortSpec{{Container: 8080}},
		CPU:           500,
		Memory:        64 << 20,
		RestartPolicy: "on-failure",
		MaxRetries:    2,
		StopTimeout:   3 * time.Second,
		Labels:        labels.Map(),
	}
	cid, err := b.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	// A container that is not berth's, on the same host: never listed.
	other, err := b.Create(ctx, engine.ContainerSpec{Name: "not-berth-" + id, Image: img.Pinned(), Labels: map[string]string{engine.LabelID: id}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Remove(context.Background(), other) })

	started := time.Now()
	if err := b.Start(ctx, cid); err != nil {
		t.Fatal(err)
	}
	info, err := b.Inspect(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	port := info.HostPort(8080, "tcp")
	if !info.Running || port == 0 {
		t.Fatalf("after start: %+v", info)
	}

	// The engine recorded the limits and policies.
	raw, err := b.API().ContainerInspect(ctx, cid, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := raw.Container.HostConfig
	if hc.NanoCPUs != 500_000_000 || hc.Memory != 64<<20 || hc.RestartPolicy.Name != "on-failure" || hc.RestartPolicy.MaximumRetryCount != 2 || *raw.Container.Config.StopTimeout != 3 {
		t.Errorf("host config: NanoCPUs %d Memory %d restart %+v stop %v", hc.NanoCPUs, hc.Memory, hc.RestartPolicy, raw.Container.Config.StopTimeout)
	}
	if got := raw.Container.NetworkSettings.Ports; got == nil {
		t.Errorf("no ports")
	}

	// Readiness from the berth process, against the published port.
	base := fmt.Sprintf("http://%s:%d", b.Address(), port)
	var attempts int
	var sawNotReady bool
	readiness := probe.Probe{Check: probe.HTTPCheck{URL: base + "/healthz", Status: []int{200}}, Probe: app.Probe{Period: 200 * time.Millisecond}}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	err = probe.WaitReady(wctx, readiness, func(at probe.Attempt) {
		attempts++
		if at.Err != nil && strings.Contains(at.Err.Error(), "503") {
			sawNotReady = true
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawNotReady || time.Since(started) < time.Second {
		t.Errorf("ready after %s and %d attempts without a 503 first: READY_AFTER=1s ignored?", time.Since(started), attempts)
	}
	body := get(t, base+"/version")
	if body != "from-env\n" {
		t.Errorf("/version = %q", body)
	}
	if err := (probe.Probe{Check: probe.TCPCheck{Address: fmt.Sprintf("%s:%d", b.Address(), port)}}).Once(ctx); err != nil {
		t.Errorf("tcp probe: %v", err)
	}

	// Exec: output and exit code.
	res, err := b.Exec(ctx, cid, []string{"/server", "-echo", "hello from the hook", "-exit", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.Stdout != "hello from the hook\n" {
		t.Errorf("exec: %+v", res)
	}
	// Exec probes, with room for a busy machine (the default timeout is
	// 1s; what is checked here is the outcome, not the speed).
	slow := app.Probe{Timeout: 15 * time.Second}
	if err := (probe.Probe{Check: engine.ExecCheck{Host: b, Container: cid, Command: []string{"/server", "-probe", "http://127.0.0.1:8080/healthz"}}, Probe: slow}).Once(ctx); err != nil {
		t.Errorf("exec probe: %v", err)
	}
	err = (probe.Probe{Check: engine.ExecCheck{Host: b, Container: cid, Command: []string{"/server", "-probe", "http://127.0.0.1:8080/nope"}}, Probe: slow}).Once(ctx)
	if err == nil || !strings.Contains(err.Error(), "exit code 1") || !strings.Contains(err.Error(), "404") {
		t.Errorf("failing exec probe: %v", err)
	}

	// Listing: exactly berth's containers of this id, on B only.
	listed, err := b.ListManaged(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != cid || listed[0].Labels != labels || listed[0].State != "running" || listed[0].Ports["8080/tcp"] != port || listed[0].Image != img.Pinned() {
		t.Errorf("listed %+v", listed)
	}
	if onA, err := a.ListManaged(ctx, id); err != nil || len(onA) != 0 {
		t.Errorf("host A lists %v %v", onA, err)
	}
	binfo, err := b.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sh := SchedulerHost(e.hostB, binfo, listed, "api"); sh.UsedCPU != 250 || sh.UsedMemory != 32<<20 {
		t.Errorf("scheduler host %+v", sh)
	}

	// Stop honours SIGTERM (the test server shuts down at once), remove.
	stopStart := time.Now()
	if err := b.Stop(ctx, cid, -1); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(stopStart); d > 6*time.Second { // well under the 10s SIGKILL timeout
		t.Errorf("stop took %s", d)
	}
	if info, err := b.Inspect(ctx, cid); err != nil || info.Running || info.ExitCode != 0 {
		t.Errorf("after stop: %+v %v", info, err)
	}
	if err := b.Remove(ctx, cid); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, cid); err != nil {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := b.Inspect(ctx, cid); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("inspect removed: %v", err)
	}
	if listed, _ := b.ListManaged(ctx, id); len(listed) != 0 {
		t.Errorf("after remove: %+v", listed)
	}
}

func TestIntegrationNeverReady(t *testing.T) {
	e := env(t)
	ctx := t.Context()
	a := connect(t, e.hostA)
	id := testID(t, a)
	img, err := e.registry.Resolve(ctx, e.image+":never-ready")
	if err != nil {
		t.Fatal(err)
	}
	pulled(t, a, e.registry, img.Pinned())
	cid, err := a.Create(ctx, engine.ContainerSpec{Name: "berth-" + id, Image: img.Pinned(), Ports: []engine.PortSpec{{Container: 8080}},
		Labels: engine.InstanceLabels{ID: id, App: "web", Instance: "web-1"}.Map()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx, cid); err != nil {
		t.Fatal(err)
	}
	info, err := a.Inspect(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://%s:%d/healthz", a.Address(), info.HostPort(8080, ""))
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	err = probe.WaitReady(wctx, probe.Probe{Check: probe.HTTPCheck{URL: url}, Probe: app.Probe{Period: 200 * time.Millisecond}}, nil)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("WaitReady = %v, want not ready (503) at the deadline", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("gave up after %s, deadline was 2s", d)
	}
	// The app itself serves: only readiness fails.
	if got := get(t, strings.TrimSuffix(url, "/healthz")+"/version"); got != "never-ready\n" {
		t.Errorf("/version = %q", got)
	}
}

// pulled makes sure h holds img, pulled from the registry with its
// credentials (after removing any local copy, so the pull really happens).
func pulled(t *testing.T, h *engine.Host, reg registry.Registry, img string) {
	t.Helper()
	// By ID: removing by reference would only untag an image that other
	// tags still name.
	if in, err := h.API().ImageInspect(t.Context(), img); err == nil {
		if _, err := h.API().ImageRemove(t.Context(), in.ID, client.ImageRemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Pull(t.Context(), img, ""); err == nil {
		t.Errorf("pull without credentials succeeded")
	}
	auth, err := reg.PullAuth()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Pull(t.Context(), img, auth); err != nil {
		t.Fatal(err)
	}
	if ok, err := h.HasImage(t.Context(), img); err != nil || !ok {
		t.Fatalf("after pull: HasImage %v %v", ok, err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
