package engine

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// ContainerSpec is one instance's container.
type ContainerSpec struct {
	// Name is the container's name on the host.
	Name string
	// Image is what to run, pinned: repository@sha256:...
	Image string
	// Entrypoint replaces the image's ENTRYPOINT when set (`command` in
	// HCL, as Kubernetes' command); the image's CMD is then not used.
	Entrypoint []string
	// Cmd replaces the image's CMD when set (`args` in HCL).
	Cmd []string
	Env map[string]string
	// Ports are published on the host with an engine-chosen host port
	// (read it back with Inspect after start).
	Ports []PortSpec
	// CPU and Memory are limits (NanoCPUs, Memory); zero is unlimited.
	CPU    scheduler.MilliCPU
	Memory int64
	// RestartPolicy: "no" (default), "always", "unless-stopped", "on-failure".
	RestartPolicy string
	// MaxRetries applies to "on-failure".
	MaxRetries int
	// StopTimeout is how long the engine waits after SIGTERM before SIGKILL.
	StopTimeout time.Duration
	Labels      map[string]string
	// Healthcheck is the container's HEALTHCHECK (liveness), nil for none.
	Healthcheck *Healthcheck
}

// PortSpec is a published container port.
type PortSpec struct {
	Container uint16
	// Protocol: "tcp" (default) or "udp".
	Protocol string
	// Host is a fixed published port; 0 lets the engine choose one.
	Host uint16
}

func (p PortSpec) key() string {
	proto := p.Protocol
	if proto == "" {
		proto = "tcp"
	}
	return strconv.Itoa(int(p.Container)) + "/" + proto
}

// Healthcheck is a container HEALTHCHECK.
type Healthcheck struct {
	// Test: {"CMD", args...}; see the engine's HealthConfig.
	Test        []string
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
}

// ContainerInfo is a container's state after inspect.
type ContainerInfo struct {
	ID      string
	Name    string
	Image   string
	Running bool
	// Status: created, running, exited, ...
	Status   string
	ExitCode int
	// Health: "", starting, healthy, unhealthy.
	Health string
	// Ports maps "8080/tcp" to the host port the engine chose.
	Ports  map[string]uint16
	Labels map[string]string
	// IP is the container's own address on its network (the bridge), where
	// its processes listen; invalid when it has none (host network, not
	// running).
	IP netip.Addr
	// Started is when it last started (zero: never); Restarts how many
	// times the engine restarted it; Error the engine's last error
	// starting it.
	Started  time.Time
	Restarts int
	Error    string
}

// HostPort is the published host port of a container port ("8080/tcp"),
// or 0 when it is not published (yet: ports are bound at start).
func (c ContainerInfo) HostPort(containerPort uint16, proto string) uint16 {
	if proto == "" {
		proto = "tcp"
	}
	return c.Ports[strconv.Itoa(int(containerPort))+"/"+proto]
}

// Create creates (does not start) the container of spec and returns its ID.
func (h *Host) Create(ctx context.Context, spec ContainerSpec) (string, error) {
	cfg := &container.Config{
		Image:        spec.Image,
		Entrypoint:   spec.Entrypoint,
		Cmd:          spec.Cmd,
		Env:          envList(spec.Env),
		Labels:       spec.Labels,
		ExposedPorts: network.PortSet{},
	}
	if spec.StopTimeout > 0 {
		secs := int((spec.StopTimeout + time.Second - 1) / time.Second)
		cfg.StopTimeout = &secs
	}
	if hc := spec.Healthcheck; hc != nil {
		cfg.Healthcheck = &container.HealthConfig{
			Test: hc.Test, Interval: hc.Interval, Timeout: hc.Timeout,
			StartPeriod: hc.StartPeriod, Retries: hc.Retries,
		}
	}
	hostCfg := &container.HostConfig{
		PortBindings: network.PortMap{},
		RestartPolicy: container.RestartPolicy{
			Name:              container.RestartPolicyMode(cmp.Or(spec.RestartPolicy, "no")),
			MaximumRetryCount: spec.MaxRetries,
		},
	}
	hostCfg.NanoCPUs = int64(spec.CPU) * 1_000_000
	hostCfg.Memory = spec.Memory
	for _, p := range spec.Ports {
		port, err := network.ParsePort(p.key())
		if err != nil {
			return "", h.wrap("creating container "+spec.Name, err)
		}
		cfg.ExposedPorts[port] = struct{}{}
		// HostPort "" lets the engine choose a free port.
		hostPort := ""
		if p.Host != 0 {
			hostPort = strconv.Itoa(int(p.Host))
		}
		hostCfg.PortBindings[port] = []network.PortBinding{{HostIP: h.publishIP, HostPort: hostPort}}
	}
	res, err := h.api.ContainerCreate(ctx, client.ContainerCreateOptions{Name: spec.Name, Config: cfg, HostConfig: hostCfg})
	if err != nil {
		return "", h.wrap("creating container "+spec.Name, err)
	}
	return res.ID, nil
}

func envList(env map[string]string) []string {
	keys := slices.Sorted(maps.Keys(env))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + env[k]
	}
	return out
}

// Start starts a created container.
func (h *Host) Start(ctx context.Context, id string) error {
	_, err := h.api.ContainerStart(ctx, id, client.ContainerStartOptions{})
	return h.wrap("starting container "+ShortID(id), err)
}

// Stop stops a container: SIGTERM, then SIGKILL after timeout; a negative
// timeout uses the container's own stop timeout.
func (h *Host) Stop(ctx context.Context, id string, timeout time.Duration) error {
	opts := client.ContainerStopOptions{}
	if timeout >= 0 {
		secs := int((timeout + time.Second - 1) / time.Second)
		opts.Timeout = &secs
	}
	_, err := h.api.ContainerStop(ctx, id, opts)
	return h.wrap("stopping container "+ShortID(id), err)
}

// Remove removes a container, killing it if it still runs. A container
// that is already gone is not an error.
func (h *Host) Remove(ctx context.Context, id string) error {
	_, err := h.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	return h.wrap("removing container "+ShortID(id), err)
}

// ErrNotFound is returned (wrapped) for a container that does not exist.
var ErrNotFound = errors.New("not found")

// Inspect reads a container's state and its published ports.
func (h *Host) Inspect(ctx context.Context, id string) (ContainerInfo, error) {
	res, err := h.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return ContainerInfo{}, h.wrap("inspecting container "+ShortID(id), fmt.Errorf("%w: %v", ErrNotFound, err))
	}
	if err != nil {
		return ContainerInfo{}, h.wrap("inspecting container "+ShortID(id), err)
	}
	c := res.Container
	info := ContainerInfo{ID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), Image: c.Image, Ports: map[string]uint16{}, Restarts: c.RestartCount}
	if c.Config != nil {
		info.Image = c.Config.Image
		info.Labels = c.Config.Labels
	}
	if s := c.State; s != nil {
		info.Running = s.Running
		info.Status = string(s.Status)
		info.ExitCode = s.ExitCode
		info.Error = s.Error
		if t, err := time.Parse(time.RFC3339Nano, s.StartedAt); err == nil && t.Year() > 1 {
			info.Started = t
		}
		if s.Health != nil {
			info.Health = string(s.Health.Status)
		}
	}
	if c.NetworkSettings != nil {
		// The default bridge first, else any network with an address.
		if ep := c.NetworkSettings.Networks["bridge"]; ep != nil && ep.IPAddress.IsValid() {
			info.IP = ep.IPAddress
		}
		for _, name := range slices.Sorted(maps.Keys(c.NetworkSettings.Networks)) {
			if ep := c.NetworkSettings.Networks[name]; !info.IP.IsValid() && ep != nil && ep.IPAddress.IsValid() {
				info.IP = ep.IPAddress
			}
		}
		for port, bindings := range c.NetworkSettings.Ports {
			for _, b := range bindings {
				if n, err := strconv.ParseUint(b.HostPort, 10, 16); err == nil && n != 0 {
					info.Ports[port.String()] = uint16(n)
					break
				}
			}
		}
	}
	return info, nil
}

// CopyFile writes one file into a container, which may be created and not
// yet started. This works for FROM scratch images too, and is how berth
// installs its probe helper for http/tcp liveness (docs/docker.md).
func (h *Host) CopyFile(ctx context.Context, id, file string, mode int64, content []byte) error {
	// The archive holds the parent directories too and is extracted at /:
	// the engine refuses a destination directory that does not exist.
	rel := strings.TrimPrefix(path.Clean("/"+file), "/")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		dir := strings.Join(parts[:i], "/") + "/"
		if err := tw.WriteHeader(&tar.Header{Name: dir, Mode: 0o755, Typeflag: tar.TypeDir, ModTime: epoch}); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: rel, Mode: mode, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: epoch}); err != nil {
		return err
	}
	if _, err := tw.Write(content); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	_, err := h.api.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: io.Reader(&buf)})
	return h.wrap(fmt.Sprintf("copying %s into container %s", file, ShortID(id)), err)
}

// ShortID is a container ID as docker ps shows it: its first 12 characters.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
