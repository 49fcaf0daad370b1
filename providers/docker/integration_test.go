//go:build integration

// Integration tests against two real dockerd daemons and a real registry
// with htpasswd auth, started by scripts/testenv/docker.sh:
//
//	scripts/testenv/docker.sh start
//	eval "$(scripts/testenv/docker.sh env)"
//	go test -tags integration ./providers/docker/...
//
// They fail (never skip) when the environment is missing.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/probe"
)

type testEnv struct {
	hostA, hostB HostConfig
	registry     Registry
	image        string // repository without tag: 127.0.0.1:5055/berth/testserver
}

func env(t testing.TB) testEnv {
	t.Helper()
	get := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set: the Docker test environment is missing. Run\n"+
				"  scripts/testenv/docker.sh start && eval \"$(scripts/testenv/docker.sh env)\"\n"+
				"before go test -tags integration", name)
		}
		return v
	}
	return testEnv{
		hostA:    HostConfig{Name: "host-a", Endpoint: get("BERTH_TEST_DOCKER_A"), Labels: map[string]string{"pool": "core"}},
		hostB:    HostConfig{Name: "host-b", Endpoint: get("BERTH_TEST_DOCKER_B"), Labels: map[string]string{"pool": "batch"}},
		registry: Registry{Address: get("BERTH_TEST_REGISTRY"), Username: get("BERTH_TEST_REGISTRY_USER"), Password: get("BERTH_TEST_REGISTRY_PASSWORD")},
		image:    get("BERTH_TEST_IMAGE"),
	}
}

func connect(t *testing.T, cfg HostConfig) *Host {
	t.Helper()
	h, err := Connect(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// testID is a berth id unique to this test run, so that listings see only
// this run's containers; everything carrying it is removed at the end.
func testID(t *testing.T, hosts ...*Host) string {
	id := fmt.Sprintf("test-%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), time.Now().UnixNano())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, h := range hosts {
			cs, _ := h.ListManaged(ctx, id)
			for _, c := range cs {
				_ = h.Remove(ctx, c.ID)
			}
		}
	})
	return id
}

func TestIntegrationHostsCapacity(t *testing.T) {
	e := env(t)
	hosts, err := ConnectAll(t.Context(), []HostConfig{e.hostA, e.hostB})
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
	_, err := ConnectAll(t.Context(), []HostConfig{e.hostA, {Name: "gone", Endpoint: "unix:///tmp/berth-testenv/nope.sock"}})
	var he *HostError
	if !errors.As(err, &he) || he.Host != "gone" || !strings.Contains(err.Error(), "unix:///tmp/berth-testenv/nope.sock") {
		t.Fatalf("err = %v, want a HostError naming host gone and its endpoint", err)
	}
}

func TestIntegrationResolve(t *testing.T) {
	e := env(t)
	v1, err := e.registry.Resolve(t.Context(), e.image+":v1")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.registry.Resolve(t.Context(), e.image+":v2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v1.Digest, "sha256:") || v1.Digest == v2.Digest {
		t.Errorf("digests v1 %s v2 %s", v1.Digest, v2.Digest)
	}
	if v1.Pinned() != e.image+"@"+v1.Digest {
		t.Errorf("pinned %s", v1.Pinned())
	}
	// Resolving the pinned reference answers the same digest.
	again, err := e.registry.Resolve(t.Context(), v1.Pinned())
	if err != nil || again.Digest != v1.Digest {
		t.Errorf("resolve pinned: %v %v", again, err)
	}

	wrong := e.registry
	wrong.Password = "wrong"
	tests := []struct {
		name     string
		reg      Registry
		ref      string
		want     []string
		notFound bool
		unauth   bool
	}{
		{name: "missing tag", reg: e.registry, ref: e.image + ":nope", notFound: true,
			want: []string{"registry " + e.registry.Address, e.image + ":nope", "MANIFEST_UNKNOWN"}},
		{name: "missing repository", reg: e.registry, ref: e.registry.Address + "/no/such:v1", notFound: true,
			want: []string{e.registry.Address + "/no/such:v1", "MANIFEST_UNKNOWN"}},
		{name: "wrong password", reg: wrong, ref: e.image + ":v1", unauth: true,
			want: []string{"registry " + e.registry.Address, "UNAUTHORIZED", "authentication required"}},
		{name: "no credentials", reg: Registry{Address: e.registry.Address}, ref: e.image + ":v1", unauth: true,
			want: []string{"UNAUTHORIZED"}},
		{name: "reference on another registry", reg: e.registry, ref: "127.0.0.1:1/x:v1",
			want: []string{"on registry 127.0.0.1:1, not " + e.registry.Address}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.reg.Resolve(t.Context(), tt.ref)
			var re *RegistryError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a RegistryError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if re.NotFound() != tt.notFound || re.Unauthorized() != tt.unauth {
				t.Errorf("NotFound %v Unauthorized %v (status %d)", re.NotFound(), re.Unauthorized(), re.Status)
			}
		})
	}
}

// pulled makes sure h holds img, pulled from the registry with its
// credentials (after removing any local copy, so the pull really happens).
func pulled(t *testing.T, h *Host, reg Registry, img string) {
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

	labels := InstanceLabels{ID: id, App: "web", Instance: "web-1", ConfigHash: "h1", Image: img.Reference, CPURequest: 250, MemoryRequest: 32 << 20}
	spec := ContainerSpec{
		Name:          "berth-" + id + "-web-1",
		Image:         img.Pinned(),
		Env:           map[string]string{"READY_AFTER": "1s", "VERSION": "from-env"},
		Ports:         []PortSpec{{Container: 8080}},
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
	other, err := b.Create(ctx, ContainerSpec{Name: "not-berth-" + id, Image: img.Pinned(), Labels: map[string]string{LabelID: id}})
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
	if err := (probe.Probe{Check: ExecCheck{Host: b, Container: cid, Command: []string{"/server", "-probe", "http://127.0.0.1:8080/healthz"}}}).Once(ctx); err != nil {
		t.Errorf("exec probe: %v", err)
	}
	err = (probe.Probe{Check: ExecCheck{Host: b, Container: cid, Command: []string{"/server", "-probe", "http://127.0.0.1:8080/nope"}}}).Once(ctx)
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
	if _, err := b.Inspect(ctx, cid); !errors.Is(err, ErrNotFound) {
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
	cid, err := a.Create(ctx, ContainerSpec{Name: "berth-" + id, Image: img.Pinned(), Ports: []PortSpec{{Container: 8080}},
		Labels: InstanceLabels{ID: id, App: "web", Instance: "web-1"}.Map()})
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

// TestIntegrationLivenessHelperInScratchImage checks the approach of
// docs/docker.md: the probe helper copied into a created container of a
// FROM scratch image serves as its HEALTHCHECK for http and tcp liveness.
func TestIntegrationLivenessHelperInScratchImage(t *testing.T) {
	e := env(t)
	ctx := t.Context()
	a := connect(t, e.hostA)
	id := testID(t, a)
	helper := filepath.Join(t.TempDir(), "probe")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", helper, "./probehelper")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the probe helper: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(helper)
	if err != nil {
		t.Fatal(err)
	}
	img, err := e.registry.Resolve(ctx, e.image+":v1")
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := e.registry.PullAuth()
	if err := a.Pull(ctx, img.Pinned(), auth); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		test []string
		want string
	}{
		{name: "http-live", test: []string{"CMD", "/.berth/probe", "-status", "200", "http://127.0.0.1:8080/livez"}, want: "healthy"},
		{name: "tcp-live", test: []string{"CMD", "/.berth/probe", "tcp://127.0.0.1:8080"}, want: "healthy"},
		{name: "http-dead", env: map[string]string{"LIVE_FAIL_AFTER": "1ms"}, test: []string{"CMD", "/.berth/probe", "http://127.0.0.1:8080/livez"}, want: "unhealthy"},
		{name: "tcp-dead", test: []string{"CMD", "/.berth/probe", "tcp://127.0.0.1:9"}, want: "unhealthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env == nil {
				tt.env = map[string]string{}
			}
			tt.env["LIVE_FAIL_AFTER"] = cmpOr(tt.env["LIVE_FAIL_AFTER"], "")
			cid, err := a.Create(ctx, ContainerSpec{
				Name: "berth-" + id + "-" + tt.name, Image: img.Pinned(), Env: tt.env,
				Labels:      InstanceLabels{ID: id, App: "live", Instance: tt.name}.Map(),
				Healthcheck: &Healthcheck{Test: tt.test, Interval: 200 * time.Millisecond, Timeout: time.Second, Retries: 2},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.CopyFile(ctx, cid, "/.berth/probe", 0o755, bin); err != nil {
				t.Fatal(err)
			}
			if err := a.Start(ctx, cid); err != nil {
				t.Fatal(err)
			}
			var info ContainerInfo
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if info, err = a.Inspect(ctx, cid); err != nil {
					t.Fatal(err)
				}
				if info.Health == tt.want {
					return
				}
			}
			t.Errorf("health %q, want %q", info.Health, tt.want)
		})
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
