package core

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/state"
)

// RolloutStatus is where the rollout of an app stands, as its state
// records it (berth rollout status): settled, paused at a canary, or
// interrupted with instances on two specs.
type RolloutStatus struct {
	Addr addrs.Instance
	// Phase is RolloutSettled, RolloutCanary or RolloutInterrupted.
	Phase string
	// ImageDigest and ConfigHash are the recorded (stable) spec.
	ImageDigest, ConfigHash string
	// Canary is the canary in progress, nil for none.
	Canary *state.Canary
	// Instances are the recorded instances with their role.
	Instances []RolloutInstance
	// Routers are the load balancers routing to the app, with the
	// weights their listeners forward by, as last recorded.
	Routers []RouterStatus
}

// Rollout phases.
const (
	RolloutSettled     = "settled"
	RolloutCanary      = "canary"
	RolloutInterrupted = "interrupted"
)

// Instance roles in a rollout.
const (
	RoleStable = "stable" // on the recorded spec
	RoleCanary = "canary" // a canary instance on the canary's spec
	RoleNew    = "new"    // on another spec: an interrupted rollout's
)

// RolloutInstance is one instance and its role.
type RolloutInstance struct {
	app.Instance
	Role string
}

// RouterStatus is one router's listeners: the weight each target group
// of a listener gets, by listener port and group name.
type RouterStatus struct {
	Addr      addrs.Instance
	Listeners map[string]map[string]int
}

// RolloutStatusOf reads the rollout status of the app at addr from st.
func RolloutStatusOf(st *state.State, addr addrs.Instance) (*RolloutStatus, hcl.Diagnostics) {
	obj := st.Instance(addr)
	if obj == nil || obj.Value.IsNull() {
		return nil, errDiag("No such object", fmt.Sprintf("%s is not in the state.", addr), nil)
	}
	if addr.Resource.Mode != addrs.Managed || addr.Resource.Type != lang.KindApp {
		return nil, errDiag("Not an app", fmt.Sprintf("%s is not an app: only apps roll out.", addr), nil)
	}
	s := &RolloutStatus{Addr: addr, Phase: RolloutSettled, Canary: obj.Canary,
		ImageDigest: app.Str(obj.Value, "image_digest"), ConfigHash: app.Str(obj.Value, "config_hash")}
	stable := app.DecodeTarget(obj.Value)
	for _, in := range app.DecodeInstances(obj.Value) {
		probe := in
		probe.Ready = true // the role is the spec's, ready or not
		role := RoleStable
		switch {
		case app.Keeps(stable, probe):
		case s.Canary != nil && slices.Contains(s.Canary.Instances, in.Name):
			role = RoleCanary
		default:
			role = RoleNew
		}
		s.Instances = append(s.Instances, RolloutInstance{Instance: in, Role: role})
	}
	switch {
	case s.Canary != nil:
		s.Phase = RolloutCanary
	case slices.ContainsFunc(s.Instances, func(in RolloutInstance) bool { return in.Role != RoleStable }):
		s.Phase = RolloutInterrupted
	}
	for _, r := range routersIn(st).of(addr) {
		rs := RouterStatus{Addr: r, Listeners: map[string]map[string]int{}}
		if ro := st.Instance(r); ro != nil {
			rs.Listeners = forwardWeights(ro.Value)
		}
		s.Routers = append(s.Routers, rs)
	}
	return s, nil
}

// forwardWeights reads a load balancer's recorded listeners: by port,
// the weight of each target group its default action forwards to.
func forwardWeights(v cty.Value) map[string]map[string]int {
	out := map[string]map[string]int{}
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute("listeners") {
		return out
	}
	ls := v.GetAttr("listeners")
	if !ls.IsKnown() || ls.IsNull() || !ls.CanIterateElements() {
		return out
	}
	for it := ls.ElementIterator(); it.Next(); {
		k, l := it.Element()
		if !l.IsKnown() || l.IsNull() || !l.Type().IsObjectType() || !l.Type().HasAttribute("forward") {
			continue
		}
		f := l.GetAttr("forward")
		if !f.IsKnown() || f.IsNull() || !f.CanIterateElements() {
			continue
		}
		w := map[string]int{}
		for fi := f.ElementIterator(); fi.Next(); {
			name, n := fi.Element()
			if n.IsKnown() && !n.IsNull() {
				i, _ := n.AsBigFloat().Int(new(big.Int))
				w[name.AsString()] = int(i.Int64())
			}
		}
		out[k.AsString()] = w
	}
	return out
}

// Next says what a person can run from this status.
func (s *RolloutStatus) Next() string {
	switch s.Phase {
	case RolloutCanary:
		return fmt.Sprintf("berth rollout promote %s rolls the canary's spec out to every instance; berth rollout abort %s removes the canary.", s.Addr, s.Addr)
	case RolloutInterrupted:
		return "berth apply finishes the rollout; applying the previous configuration goes back."
	}
	return ""
}

// Count is the number of instances with role.
func (s *RolloutStatus) Count(role string) int {
	n := 0
	for _, in := range s.Instances {
		if in.Role == role {
			n++
		}
	}
	return n
}

// Summary is the status in one line.
func (s *RolloutStatus) Summary() string {
	switch s.Phase {
	case RolloutCanary:
		return fmt.Sprintf("%s: canary in progress: %s on the new spec at %d%% of the traffic, beside %d stable instance(s)",
			s.Addr, strings.Join(s.Canary.Instances, ", "), s.Canary.Weight, s.Count(RoleStable))
	case RolloutInterrupted:
		return fmt.Sprintf("%s: rollout interrupted: %d instance(s) on a new spec, %d on the recorded one", s.Addr, s.Count(RoleNew), s.Count(RoleStable))
	}
	return fmt.Sprintf("%s: no rollout in progress; %d instance(s) on the recorded spec", s.Addr, s.Count(RoleStable))
}
