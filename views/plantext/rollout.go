package plantext

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// maxWaveInstances is how many instances a wave's description names
// before it summarises the rest ("and 7 more"): a 200-replica app must not
// print 200 names per wave.
const maxWaveInstances = 4

// WaveMembers names a wave's instances as the plan and the apply's
// progress lines show them: "web-1 on edge-1, web-2 on edge-2", the
// fourth and further summarised ("…, and 7 more"); "" for none.
func WaveMembers(instances []providers.WaveInstance) string {
	names := make([]string, len(instances))
	for i, in := range instances {
		names[i] = in.Name
		if in.Host != "" {
			names[i] += " on " + in.Host
		}
	}
	if len(names) > maxWaveInstances {
		names = append(names[:maxWaveInstances-1], fmt.Sprintf("and %d more", len(names)-(maxWaveInstances-1)))
	}
	return strings.Join(names, ", ")
}

// rolloutLines describes the waves of a rollout, and what each does with
// the traffic of the routers in front of the app:
//
//	rollout: 3 waves, min healthy 10s, deadline 5m, auto-revert
//	  wave 1: 1 instance  (web-1 on edge-1)
//	    load_balancer.web: drain the old instance before it stops; admit the new one once healthy
func rolloutLines(ro *providers.Rollout, routers []addrs.Instance) []string {
	head := "rollout: " + plural(len(ro.Waves), "wave")
	if ro.MinHealthy > 0 {
		head += ", min healthy " + app.FormatDuration(ro.MinHealthy)
	}
	if ro.HealthyDeadline > 0 {
		head += ", deadline " + app.FormatDuration(ro.HealthyDeadline)
	}
	if ro.MaxUnavailable > 0 {
		head += fmt.Sprintf(", max unavailable %d", ro.MaxUnavailable)
	}
	if ro.AutoRevert {
		head += ", auto-revert"
	}
	lines := []string{head}
	descs := make([]string, len(ro.Waves))
	width := 0
	for i, w := range ro.Waves {
		descs[i] = plural(len(w.Instances), "instance")
		width = max(width, len(descs[i]))
	}
	numWidth := len(strconv.Itoa(len(ro.Waves)))
	for i, w := range ro.Waves {
		l := fmt.Sprintf("wave %*d: %s", numWidth, i+1, descs[i])
		if len(w.Instances) > 0 {
			l = fmt.Sprintf("wave %*d: %-*s (%s)", numWidth, i+1, width, descs[i], WaveMembers(w.Instances))
		}
		lines = append(lines, "  "+l)
		if len(routers) > 0 && len(w.Instances) > 0 {
			names := make([]string, len(routers))
			for i, r := range routers {
				names[i] = r.String()
			}
			steps := "drain the old instance before it stops; admit the new one once healthy"
			if len(w.Instances) > 1 {
				steps = "drain the old instances before they stop; admit the new ones once healthy"
			}
			lines = append(lines, fmt.Sprintf("    %s: %s", strings.Join(names, ", "), steps))
		}
	}
	return lines
}

// canaryLines say which part of a canary rollout a change carries out,
// before its waves (none for another change):
//
//	canary: 1 instance (web-0 on edge-1) on the new spec beside the old ones, 10% of the traffic of load_balancer.web
//	  then the rollout pauses; the waves below run on berth rollout promote
func canaryLines(part plans.CanaryPart, ro *providers.Rollout, routers []addrs.Instance) []string {
	traffic := "no load balancer routes to the app"
	if len(routers) > 0 {
		names := make([]string, len(routers))
		for i, r := range routers {
			names[i] = r.String()
		}
		traffic = "the traffic of " + strings.Join(names, ", ")
	}
	switch part {
	case plans.CanaryStart:
		n := ro.Canary.Instances
		var members []providers.WaveInstance
		for _, w := range ro.Waves {
			members = append(members, w.Instances...)
		}
		desc := plural(n, "instance")
		if len(members) >= n {
			desc += " (" + WaveMembers(members[:n]) + ")"
		}
		head := fmt.Sprintf("canary: %s on the new spec beside the old ones, %d%% of %s", desc, ro.Canary.Weight, traffic)
		if len(routers) == 0 {
			head = fmt.Sprintf("canary: %s on the new spec beside the old ones (%s)", desc, traffic)
		}
		return []string{head, "  then the rollout pauses; the waves below run on berth rollout promote"}
	case plans.CanaryPromote:
		if ro == nil || len(ro.Waves) == 0 {
			return []string{"promote the canary: every instance runs the new spec already; what is left of the old ones goes,", "  then the canary is retired (" + traffic + " goes to the stable instances)"}
		}
		return []string{"promote the canary: its instances join the stable traffic, the waves below replace the others,", "  then the canary is retired (" + traffic + " goes to the stable instances)"}
	case plans.CanaryAbort:
		return []string{"abort the canary: " + traffic + " goes back to the stable instances (weights read back),", "  then the canary instances are drained and stop; the app keeps its recorded spec"}
	case plans.CanaryReplan:
		return []string{"the canary in progress runs a spec the configuration no longer asks for:", "  it is removed first (as berth rollout abort), then the change below is made"}
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
