package docker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

// Fixed host ports (port { host = 8080 }): an instance publishes the port
// on its host, so an app runs at most one instance per host (the
// scheduler's rule), and on a host the old container of an instance must
// stop before its replacement starts: each rollout wave stops its old
// instances first, waves hold max(1, max_unavailable) instances, and the
// plan warns of it.

// checkFixedPorts refuses what fixed host ports cannot do on Docker hosts:
// the same host port twice in one app, and a canary, which runs beside the
// old instances.
func checkFixedPorts(v cty.Value) hcl.Diagnostics {
	ports := attr(v, "port")
	if !ports.IsKnown() || ports.IsNull() || !ports.CanIterateElements() {
		return nil
	}
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	fixed := -1
	i := 0
	for it := ports.ElementIterator(); it.Next(); i++ {
		_, pv := it.Element()
		h := attr(pv, "host")
		if !h.IsKnown() || h.IsNull() {
			continue
		}
		fixed = i
		key := h.AsBigFloat().String() + "/" + strings.ToLower(cmp.Or(app.Str(pv, "protocol"), "tcp"))
		if seen[key] {
			diags = append(diags, providers.AttributeError("Host port published twice",
				fmt.Sprintf("Host port %s is already published by another port of this app; each port needs its own host port.", key),
				cty.GetAttrPath("port").IndexInt(i).GetAttr("host")))
		}
		seen[key] = true
	}
	if fixed >= 0 && app.Str(attr(v, "rollout"), "strategy") == app.StrategyCanary {
		diags = append(diags, providers.AttributeError("Canary with a fixed host port",
			"A canary runs beside the old instances, but an instance with a fixed host port needs its host to itself (on Docker hosts, one instance per host publishes the port). Use strategy = \"rolling\", or drop \"host\" and route traffic through a load balancer.",
			cty.GetAttrPath("port").IndexInt(fixed).GetAttr("host")))
	}
	return diags
}

// hostPorts are the fixed host ports of the app's instances, sorted.
func (a *deployment) hostPorts() []int {
	var out []int
	for _, p := range a.Spec.Ports {
		if p.Host > 0 {
			out = append(out, p.Host)
		}
	}
	slices.Sort(out)
	return out
}

// stopFirst is a's rollout as fixed host ports allow it: waves of
// max(1, max_unavailable) instances, all of whose old instances stop
// before the new ones start. Without fixed ports, r as it is.
func stopFirst(r app.Rollout, fixed bool) app.Rollout {
	if !fixed {
		return r
	}
	k := max(1, r.MaxUnavailable)
	r.InitialBatch, r.Growth, r.MaxUnavailable = k, 1, k
	return r
}

// stopFirstWarning tells the plan's reader why a rollout stops before it
// starts.
func stopFirstWarning(a *deployment) *hcl.Diagnostic {
	ports := a.hostPorts()
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = strconv.Itoa(p)
	}
	k := max(1, a.Spec.Rollout.MaxUnavailable)
	d := providers.AttributeError(fmt.Sprintf("app.%s stops instances before their replacements start", a.Name),
		fmt.Sprintf("app.%s publishes fixed host port %s: on a host, the old container of an instance holds it until it stops, so each wave of this rollout drains and stops its old instances, then starts the new ones, %d at a time (max_unavailable). The app serves with fewer instances during each wave.",
			a.Name, strings.Join(names, ", "), k),
		cty.GetAttrPath("port"))
	d.Severity = hcl.DiagWarning
	return d
}

// usedPorts are the host ports containers publish, each with the app that
// holds it ("app.api").
func usedPorts(cs []engine.Container) map[int]string {
	out := map[int]string{}
	for _, c := range cs {
		for _, hp := range c.Ports {
			if hp != 0 {
				out[int(hp)] = "app." + c.Labels.App
			}
		}
	}
	return out
}

// freePorts stops, before instances start, the app's other containers on
// their hosts that are not current (the previous spec, a failed attempt):
// they hold the fixed host ports the new containers publish. In a wave
// the driver drained and stopped the old instances already; a revert or a
// repair gets here with them running. It returns the containers of ls
// that remain.
func (ap *applier) freePorts(ctx context.Context, ls []live, starting []app.Instance) ([]live, error) {
	if len(ap.a.hostPorts()) == 0 || len(starting) == 0 {
		return ls, nil
	}
	hosts := map[string]bool{}
	for _, in := range starting {
		hosts[in.Host] = true
	}
	var stop, rest []live
	for _, c := range ls {
		if hosts[c.Host] && !ap.current(c) {
			ap.emit("progress", c.Labels.Instance, "stopping %s's container %s on %s first: it holds the fixed host port", c.Labels.Instance, engine.ShortID(c.ID), c.Host)
			stop = append(stop, c)
		} else {
			rest = append(rest, c)
		}
	}
	return rest, ap.stopAll(ctx, stop)
}
