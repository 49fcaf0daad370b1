package docker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/probe"
	"github.com/berth-sh/berth/providers/docker/engine"
	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// defaultStopTimeout is the engine's grace between SIGTERM and SIGKILL.
const defaultStopTimeout = 10 * time.Second

// deployment is an app's decoded configuration with what the provider
// derives from it: its cluster, name, deployment id, pinned image and spec
// hash.
type deployment struct {
	Spec    *app.Spec
	Cluster cluster
	Name    string
	ID      string
	// Pinned is repository@sha256:..., Hash the ConfigHash of hashSpec.
	Pinned string
	Hash   string
	// CreateKey is the idempotency key of the create being applied, which
	// its containers carry (engine.LabelCreateKey); empty otherwise.
	CreateKey string
}

// hashSpec is everything that makes two instances' containers differ:
// a change to any of it is a spec change, rolled out in waves. Replicas,
// placement, rollout settings, the cluster and registry credentials are
// not part of it. Its JSON encoding is the hash's input: a field renamed
// or retyped here changes every app's config_hash, and so restarts every
// container berth manages (TestConfigHashPinned holds it still).
type hashSpec struct {
	Image     string
	Command   []string
	Args      []string
	Env       map[string]string
	Labels    map[string]string
	Ports     []app.Port
	Resources *hashResources
	Readiness *app.Probe
	Liveness  *app.Probe
	Startup   *app.Probe
	Hooks     *app.Hooks
	// Helper is the probe helper's version when liveness uses it, so a new
	// helper rolls out like any other change.
	Helper string
}

// hashResources is app.Resources as the hash has always read it: cores
// as a float, bytes as a whole number.
type hashResources struct {
	CPU              float64
	Memory           int64
	CPUOvercommit    float64
	MemoryOvercommit float64
}

// decodeApp decodes an app value (config, planned or prior state) and its
// cluster; name, pinned image, hash and id are taken from the value's
// computed attributes.
func decodeApp(v cty.Value) (*deployment, error) {
	spec, err := app.Decode(app.StripComputed(v))
	if err != nil {
		return nil, err
	}
	c, err := decodeCluster(spec.Cluster)
	if err != nil {
		return nil, err
	}
	a := &deployment{Spec: spec, Cluster: c, Name: str(v, "name"), ID: str(v, "deployment_id"), Pinned: str(v, "image_digest"), Hash: str(v, "config_hash")}
	if a.Name == "" {
		a.Name = app.DefaultName(spec.Image)
	}
	return a, nil
}

func (a *deployment) hashSpec() hashSpec {
	hs := hashSpec{
		Image: a.Pinned, Command: a.Spec.Command, Args: a.Spec.Args, Env: a.Spec.Env, Labels: a.Spec.Labels,
		Ports: a.Spec.Ports, Readiness: a.Spec.Readiness, Liveness: a.Spec.Liveness,
		Startup: a.Spec.Startup, Hooks: a.Spec.Hooks,
	}
	if r := a.Spec.Resources; r != nil {
		hs.Resources = &hashResources{CPU: r.CPU.Float64(), Memory: int64(r.Memory.Float64()),
			CPUOvercommit: r.CPUOvercommit, MemoryOvercommit: r.MemoryOvercommit}
	}
	if l := a.Spec.Liveness; l != nil && (l.HTTP != nil || l.TCP != nil) {
		hs.Helper = ProbeHelperVersion
	}
	return hs
}

func (a *deployment) computeHash() error {
	h, err := ConfigHash(a.hashSpec())
	a.Hash = h
	return err
}

// ConfigHash is a short, stable hash of an instance's spec (anything that
// marshals to JSON deterministically: structs, maps with sorted keys).
func ConfigHash(spec any) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// requests are the scheduler's per-replica requests.
func (a *deployment) requests() (scheduler.MilliCPU, int64) {
	r := a.Spec.Resources
	if r == nil {
		return 0, 0
	}
	cpu := scheduler.MilliCPU(0)
	if !r.CPU.IsZero() && r.CPUOvercommit > 0 {
		cpu = scheduler.MilliCPU(r.CPURequest().Float64()*1000 + 0.5)
	}
	var mem int64
	if !r.Memory.IsZero() && r.MemoryOvercommit > 0 {
		mem = int64(r.MemoryRequest().Float64())
	}
	return cpu, mem
}

// stopTimeout is the container's grace between SIGTERM and SIGKILL: the
// time berth's own stop sequence takes before SIGTERM (the before_stop
// hook's timeout plus the drain), so that a container stopped outside
// berth (docker stop, an engine shutdown) gets as long, and never less
// than defaultStopTimeout.
func (a *deployment) stopTimeout() time.Duration {
	t := time.Duration(0)
	if hk := a.Spec.Hooks; hk != nil {
		t = hk.Drain
		if hk.BeforeStop != nil {
			bt := hk.BeforeStop.Timeout
			if bt <= 0 {
				bt = app.DefaultHookTimeout
			}
			t += bt
		}
	}
	return max(t, defaultStopTimeout)
}

// containerSpec is the container of instance name on a host of arch.
func (a *deployment) containerSpec(name, arch string) (engine.ContainerSpec, error) {
	cpuReq, memReq := a.requests()
	labels := map[string]string{}
	maps.Copy(labels, a.Spec.Labels)
	maps.Copy(labels, engine.InstanceLabels{
		ID: a.ID, App: a.Name, Instance: name, ConfigHash: a.Hash, Image: a.Spec.Image,
		CPURequest: cpuReq, MemoryRequest: memReq, CreateKey: a.CreateKey,
	}.Map())
	cs := engine.ContainerSpec{
		// The hash and a random suffix keep names unique while the old and
		// the new container of an instance (or a failed one kept for
		// inspection) exist side by side.
		Name:  fmt.Sprintf("%s-%s-%s", name, short8(a.Hash), randSuffix()),
		Image: a.Pinned,
		Env:   a.Spec.Env,
		// unless-stopped: a crashed container, or every container after a
		// reboot or an engine restart, comes back without berth; one
		// stopped on purpose (docker stop) stays stopped, and berth's
		// refresh shows it as drift that apply repairs.
		RestartPolicy: "unless-stopped",
		StopTimeout:   a.stopTimeout(),
		Labels:        labels,
	}
	// As Kubernetes: command replaces the image's ENTRYPOINT (and then the
	// image's CMD is not used), args its CMD.
	if len(a.Spec.Command) > 0 {
		cs.Entrypoint = slices.Clone(a.Spec.Command)
		cs.Cmd = []string{}
	}
	if len(a.Spec.Args) > 0 {
		cs.Cmd = slices.Clone(a.Spec.Args)
	}
	for _, p := range a.Spec.Ports {
		cs.Ports = append(cs.Ports, engine.PortSpec{Container: uint16(p.Container), Protocol: p.Protocol, Host: uint16(p.Host)})
	}
	if r := a.Spec.Resources; r != nil {
		cs.CPU = scheduler.MilliCPU(r.CPU.Float64()*1000 + 0.5)
		cs.Memory = int64(r.Memory.Float64())
	}
	if l := a.Spec.Liveness; l != nil {
		hc, err := a.healthcheck(l, arch)
		if err != nil {
			return cs, err
		}
		cs.Healthcheck = hc
	}
	return cs, nil
}

// healthcheck turns a liveness probe into a HEALTHCHECK: exec as is, http
// and tcp through berth's probe helper (docs/docker.md).
func (a *deployment) healthcheck(l *app.Probe, arch string) (*engine.Healthcheck, error) {
	hc := &engine.Healthcheck{Interval: l.Period, Timeout: l.Timeout, StartPeriod: l.InitialDelay, Retries: l.FailureThreshold}
	switch {
	case len(l.Exec) > 0:
		hc.Test = append([]string{"CMD"}, l.Exec...)
	case l.HTTP != nil:
		port, ok := l.HTTP.Port.Resolve(a.Spec.Ports)
		if !ok {
			return nil, fmt.Errorf("liveness: port %q is not a port of the app", l.HTTP.Port.Name)
		}
		test := []string{"CMD", ProbeHelperPath, "-timeout", l.Timeout.String()}
		if len(l.HTTP.Status) > 0 {
			s := make([]string, len(l.HTTP.Status))
			for i, c := range l.HTTP.Status {
				s[i] = strconv.Itoa(c)
			}
			test = append(test, "-status", strings.Join(s, ","))
		}
		hc.Test = append(test, fmt.Sprintf("http://127.0.0.1:%d%s", port, l.HTTP.Path))
	case l.TCP != nil:
		port, ok := l.TCP.Resolve(a.Spec.Ports)
		if !ok {
			return nil, fmt.Errorf("liveness: port %q is not a port of the app", l.TCP.Name)
		}
		hc.Test = append([]string{"CMD"}, helperTCPCommand(l.Timeout, port)...)
	default:
		return nil, fmt.Errorf("liveness: gRPC probes are not supported on Docker hosts")
	}
	if hc.Test[1] == ProbeHelperPath {
		if _, err := ProbeHelper(arch); err != nil {
			return nil, err
		}
	}
	return hc, nil
}

// probe builds a readiness (or startup) probe of a started container.
func (a *deployment) probe(p *app.Probe, h *engine.Host, info engine.ContainerInfo) (probe.Probe, error) {
	pr := probe.Probe{Probe: *p}
	switch {
	case p.HTTP != nil:
		port, ok := p.HTTP.Port.Resolve(a.Spec.Ports)
		if !ok {
			return pr, fmt.Errorf("port %q is not a port of the app", p.HTTP.Port.Name)
		}
		hp := info.HostPort(uint16(port), "tcp")
		if hp == 0 {
			return pr, fmt.Errorf("container port %d/tcp is not published (declare it in a port block)", port)
		}
		pr.Check = probe.HTTPAt(p.HTTP, net.JoinHostPort(h.Address().String(), strconv.Itoa(int(hp))))
	case p.TCP != nil:
		// Not the published port: docker-proxy accepts connections there
		// whatever the container does. The container's own address when
		// berth runs on the engine's machine; from inside the container,
		// through the probe helper, for a remote engine.
		port, ok := p.TCP.Resolve(a.Spec.Ports)
		if !ok {
			return pr, fmt.Errorf("port %q is not a port of the app", p.TCP.Name)
		}
		if !h.Local() {
			pr.Check = engine.ExecCheck{Host: h, Container: info.ID, Command: helperTCPCommand(p.Timeout, port)}
			break
		}
		if !info.IP.IsValid() {
			return pr, fmt.Errorf("container %s has no IP address to probe tcp port %d at", engine.ShortID(info.ID), port)
		}
		pr.Check = probe.TCPCheck{Address: net.JoinHostPort(info.IP.String(), strconv.Itoa(port))}
	case len(p.Exec) > 0:
		pr.Check = engine.ExecCheck{Host: h, Container: info.ID, Command: p.Exec}
	default:
		return pr, fmt.Errorf("gRPC probes are not supported on Docker hosts")
	}
	return pr, nil
}

// helperTCPCommand runs berth's probe helper inside a container to connect
// to its own port.
func helperTCPCommand(timeout time.Duration, port int) []string {
	if timeout <= 0 {
		timeout = time.Second
	}
	return []string{ProbeHelperPath, "-timeout", timeout.String(), fmt.Sprintf("tcp://127.0.0.1:%d", port)}
}

// needsHelper says whether containers of the app on h need berth's probe
// helper: for http/tcp liveness, and for tcp readiness or startup probes on
// a remote engine (checked from inside the container).
func (a *deployment) needsHelper(h *engine.Host) bool {
	if l := a.Spec.Liveness; l != nil && (l.HTTP != nil || l.TCP != nil) {
		return true
	}
	return !h.Local() && a.tcpProbed()
}

// tcpProbed: a readiness or startup probe is tcp.
func (a *deployment) tcpProbed() bool {
	for _, p := range []*app.Probe{a.Spec.Readiness, a.Spec.Startup} {
		if p != nil && p.TCP != nil {
			return true
		}
	}
	return false
}

// runningCheck is the readiness of an app without a readiness probe: the
// container is running.
type runningCheck struct {
	host *engine.Host
	id   string
}

func (c runningCheck) Check(ctx context.Context) error {
	info, err := c.host.Inspect(ctx, c.id)
	if err != nil {
		return err
	}
	if !info.Running {
		return fmt.Errorf("container is %s (exit code %d)", info.Status, info.ExitCode)
	}
	return nil
}

func (c runningCheck) String() string { return "container " + engine.ShortID(c.id) + " running" }

func short8(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

func randSuffix() string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newDeploymentID is a fresh random id for an app's deployment.
func newDeploymentID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
