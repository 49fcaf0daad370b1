package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/client"

	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// Labels berth puts on every container it creates. Refresh finds berth's
// containers by them (one label-filtered list call per host), the
// scheduler reads the requests back from them, and containers without
// LabelManaged are never touched.
const (
	LabelManaged = "sh.berth.managed"
	// LabelID is the state's lineage: two berth configurations sharing a
	// host each see only their own containers.
	LabelID       = "sh.berth.id"
	LabelApp      = "sh.berth.app"
	LabelInstance = "sh.berth.instance"
	// LabelConfigHash is the hash of the instance's spec (ConfigHash); a
	// container with another hash runs an outdated spec.
	LabelConfigHash = "sh.berth.config-hash"
	// LabelImage is the image reference as written (the tag), next to the
	// digest the container runs.
	LabelImage = "sh.berth.image"
	// LabelCPURequest (millicores) and LabelMemoryRequest (bytes) are the
	// scheduler's requests, which the engine does not record (it has only
	// the limits).
	LabelCPURequest    = "sh.berth.cpu-request"
	LabelMemoryRequest = "sh.berth.memory-request"
)

// InstanceLabels is what berth's labels say about a container.
type InstanceLabels struct {
	ID            string
	App           string
	Instance      string
	ConfigHash    string
	Image         string
	CPURequest    scheduler.MilliCPU
	MemoryRequest int64
}

// Map is the labels to set on the container.
func (l InstanceLabels) Map() map[string]string {
	return map[string]string{
		LabelManaged:       "true",
		LabelID:            l.ID,
		LabelApp:           l.App,
		LabelInstance:      l.Instance,
		LabelConfigHash:    l.ConfigHash,
		LabelImage:         l.Image,
		LabelCPURequest:    strconv.FormatInt(int64(l.CPURequest), 10),
		LabelMemoryRequest: strconv.FormatInt(l.MemoryRequest, 10),
	}
}

// ParseLabels reads berth's labels; ok is false for a container that is not
// berth's. Malformed requests read as zero rather than failing a refresh.
func ParseLabels(m map[string]string) (l InstanceLabels, ok bool) {
	if m[LabelManaged] != "true" {
		return InstanceLabels{}, false
	}
	cpu, _ := strconv.ParseInt(m[LabelCPURequest], 10, 64)
	mem, _ := strconv.ParseInt(m[LabelMemoryRequest], 10, 64)
	return InstanceLabels{
		ID:            m[LabelID],
		App:           m[LabelApp],
		Instance:      m[LabelInstance],
		ConfigHash:    m[LabelConfigHash],
		Image:         m[LabelImage],
		CPURequest:    scheduler.MilliCPU(cpu),
		MemoryRequest: mem,
	}, true
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

// Container is one of berth's containers as a list call reports it.
type Container struct {
	ID     string
	Name   string
	Labels InstanceLabels
	// Image is the reference the container was created from (for berth's
	// containers: repository@digest); ImageID the local image ID.
	Image   string
	ImageID string
	// State: created, running, paused, restarting, removing, exited, dead.
	State string
	// Health: "", starting, healthy, unhealthy.
	Health string
	// Ports maps "8080/tcp" to the published host port.
	Ports map[string]uint16
}

// ListManaged lists berth's containers on the host (running or not) with
// ONE label-filtered call; with id set, only those of that berth state.
func (h *Host) ListManaged(ctx context.Context, id string) ([]Container, error) {
	f := make(client.Filters).Add("label", LabelManaged+"=true")
	if id != "" {
		f.Add("label", LabelID+"="+id)
	}
	var res client.ContainerListResult
	err := answered(ctx, func(ctx context.Context) (err error) {
		res, err = h.api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		return err
	})
	if err != nil {
		return nil, h.wrap("listing berth's containers", err)
	}
	out := make([]Container, 0, len(res.Items))
	for _, c := range res.Items {
		labels, ok := ParseLabels(c.Labels)
		if !ok { // the filter already says so; belt and braces
			continue
		}
		var nameStr string
		if len(c.Names) > 0 {
			nameStr = strings.TrimPrefix(c.Names[0], "/")
		}
		var health string
		if c.Health != nil {
			health = string(c.Health.Status)
		} else {
			// API < 1.52 (Debian's 20.10 speaks 1.41) has no Health in the
			// list: only the Status text tells.
			health = healthFromStatus(c.Status)
		}
		ports := map[string]uint16{}
		for _, p := range c.Ports {
			if p.PublicPort != 0 {
				ports[strconv.Itoa(int(p.PrivatePort))+"/"+p.Type] = p.PublicPort
			}
		}
		out = append(out, Container{
			ID: c.ID, Name: nameStr, Labels: labels, Image: c.Image, ImageID: c.ImageID,
			State: string(c.State), Health: health, Ports: ports,
		})
	}
	slices.SortFunc(out, func(a, b Container) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// healthFromStatus reads a container's health from the list call's Status
// text, "Up 3 minutes (unhealthy)", "Up 2 seconds (health: starting)":
// "" when it has no HEALTHCHECK.
func healthFromStatus(status string) string {
	switch {
	case strings.Contains(status, "(unhealthy)"):
		return "unhealthy"
	case strings.Contains(status, "(healthy)"):
		return "healthy"
	case strings.Contains(status, "(health: starting)"):
		return "starting"
	}
	return ""
}

// SchedulerHost is the host as the scheduler sees it: capacity from info,
// minus the requests of berth's containers on it except those of app
// (whose instances the scheduler accounts for itself).
func SchedulerHost(cfg HostConfig, info HostInfo, containers []Container, app string) scheduler.Host {
	h := scheduler.Host{Name: cfg.Name, Labels: cfg.Labels, CPU: info.CPU, Memory: info.Memory}
	for _, c := range containers {
		if c.Labels.App == app {
			continue
		}
		h.UsedCPU += c.Labels.CPURequest
		h.UsedMemory += c.Labels.MemoryRequest
	}
	return h
}
