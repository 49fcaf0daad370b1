package engine

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/client"
)

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
