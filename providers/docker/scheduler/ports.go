package scheduler

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// portsFree: an app with fixed host ports (Request.HostPorts) gets at most
// one instance on a host, where no other app's container publishes one of
// them. A second instance on the host, or another app's, would find its
// port taken when its container starts.
func (h *hostState) portsFree(r *Request) bool {
	if len(r.HostPorts) == 0 {
		return true
	}
	if h.count > 0 {
		return false
	}
	for _, p := range r.HostPorts {
		if _, taken := h.UsedPorts[p]; taken {
			return false
		}
	}
	return true
}

// portError explains an impossible placement whose cause is the fixed
// host ports: what keeps each eligible host from taking an instance.
// nil when the ports are not the cause (no host is held back by them
// alone).
func portError(r *Request, hosts []*hostState, placed []Assignment, unplaced int) error {
	if len(r.HostPorts) == 0 {
		return nil
	}
	held := false
	var why []string
	for _, h := range hosts {
		if h.roomFor(r) && !h.portsFree(r) {
			held = true
		}
		why = append(why, h.Name+": "+hostPortReason(r, h, placed))
	}
	if !held {
		return nil
	}
	ports := make([]string, len(r.HostPorts))
	for i, p := range r.HostPorts {
		ports[i] = strconv.Itoa(p)
	}
	noun := "port " + ports[0]
	if len(ports) > 1 {
		noun = "ports " + strings.Join(ports, ", ")
	}
	return &Error{Msg: fmt.Sprintf("%s publishes host %s, so it runs at most one instance per host, on hosts where no other app holds the port: %d replicas %s, but %d found no such host (%s). Add hosts, lower replicas, or drop the fixed host port",
		r.App, noun, r.Replicas, selectorText(r.NodeSelector), unplaced, strings.Join(why, "; ")), Unplaced: unplaced}
}

// hostPortReason says why h takes no further instance: "runs web-1",
// "port 8080 is taken by app.api", "no room".
func hostPortReason(r *Request, h *hostState, placed []Assignment) string {
	if h.count > 0 {
		var names []string
		for _, as := range placed {
			if as.Host == h.Name {
				names = append(names, as.Instance)
			}
		}
		return "runs " + strings.Join(names, ", ")
	}
	var taken []string
	for _, p := range r.HostPorts {
		if by, ok := h.UsedPorts[p]; ok {
			taken = append(taken, fmt.Sprintf("port %d is taken by %s", p, by))
		}
	}
	if len(taken) > 0 {
		slices.Sort(taken)
		return strings.Join(taken, ", ")
	}
	return "no room"
}
