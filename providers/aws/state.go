package aws

import (
	"maps"
	"slices"
	"sort"
	"strconv"

	"github.com/zclconf/go-cty/cty"
)

// listenerStateType and targetGroupType are the element types of the
// computed listeners and target_groups: the language's
// (lang.ListenerStateType, lang.TargetGroupType), which a provider does
// not import.
var (
	listenerStateType = cty.Object(map[string]cty.Type{"arn": cty.String, "forward": cty.Map(cty.Number)})
	targetGroupType   = cty.Object(map[string]cty.Type{"arn": cty.String, "targets": cty.List(cty.String)})
)

// recorded is what the state records of what berth made: the computed
// attributes of a load_balancer.
type recorded struct {
	ARN, DNSName, ZoneID string
	// Listeners by port ("80").
	Listeners map[string]listenerState
	// Groups by target name.
	Groups map[string]groupState
}

// listenerState is a listener's ARN and its default action's forward
// weights by target name.
type listenerState struct {
	ARN     string
	Forward map[string]int
}

// groupState is a target group's ARN and the targets registered in it
// (not draining), as "ip:port", sorted.
type groupState struct {
	ARN     string
	Targets []string
}

func newRecorded() *recorded {
	return &recorded{Listeners: map[string]listenerState{}, Groups: map[string]groupState{}}
}

// decodeRecorded reads the computed attributes of a load_balancer value;
// what is null or unknown is left empty.
func decodeRecorded(v cty.Value) *recorded {
	v, _ = v.UnmarkDeep()
	r := newRecorded()
	r.ARN, r.DNSName, r.ZoneID = str(v, "arn"), str(v, "dns_name"), str(v, "zone_id")
	if ls := attr(v, "listeners"); ls.IsKnown() && !ls.IsNull() && ls.CanIterateElements() {
		for it := ls.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if !e.IsKnown() || e.IsNull() {
				continue
			}
			st := listenerState{ARN: str(e, "arn"), Forward: map[string]int{}}
			if f := attr(e, "forward"); f.IsKnown() && !f.IsNull() && f.CanIterateElements() {
				for it := f.ElementIterator(); it.Next(); {
					n, w := it.Element()
					if w.IsKnown() && !w.IsNull() {
						i, _ := w.AsBigFloat().Int64()
						st.Forward[n.AsString()] = int(i)
					}
				}
			}
			r.Listeners[k.AsString()] = st
		}
	}
	if gs := attr(v, "target_groups"); gs.IsKnown() && !gs.IsNull() && gs.CanIterateElements() {
		for it := gs.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if !e.IsKnown() || e.IsNull() {
				continue
			}
			r.Groups[k.AsString()] = groupState{ARN: str(e, "arn"), Targets: strs(attr(e, "targets"))}
		}
	}
	return r
}

// forwardByName is weights by group ARN as weights by the target names
// the groups are recorded under (a group r does not record: its ARN).
func (r *recorded) forwardByName(weights map[string]int) map[string]int {
	out := map[string]int{}
	for arn, w := range weights {
		n := arn
		for name, g := range r.Groups {
			if g.ARN == arn {
				n = name
			}
		}
		out[n] = w
	}
	return out
}

func strVal(s string) cty.Value {
	if s == "" {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(s)
}

func listVal(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

func forwardVal(f map[string]int) cty.Value {
	if len(f) == 0 {
		return cty.MapValEmpty(cty.Number)
	}
	m := map[string]cty.Value{}
	for n, w := range f {
		m[n] = cty.NumberIntVal(int64(w))
	}
	return cty.MapVal(m)
}

func (r *recorded) listenersVal() cty.Value {
	if len(r.Listeners) == 0 {
		return cty.MapValEmpty(listenerStateType)
	}
	m := map[string]cty.Value{}
	for port, l := range r.Listeners {
		m[port] = cty.ObjectVal(map[string]cty.Value{"arn": strVal(l.ARN), "forward": forwardVal(l.Forward)})
	}
	return cty.MapVal(m)
}

func (r *recorded) groupsVal() cty.Value {
	if len(r.Groups) == 0 {
		return cty.MapValEmpty(targetGroupType)
	}
	m := map[string]cty.Value{}
	for name, g := range r.Groups {
		ts := slices.Clone(g.Targets)
		sort.Strings(ts)
		m[name] = cty.ObjectVal(map[string]cty.Value{"arn": strVal(g.ARN), "targets": listVal(ts)})
	}
	return cty.MapVal(m)
}

// with is v (a load_balancer value) with its computed attributes set to
// r's, and the attributes of override; v's marks are kept.
func (r *recorded) with(v cty.Value, override map[string]cty.Value) cty.Value {
	attrs := map[string]cty.Value{
		"arn": strVal(r.ARN), "dns_name": strVal(r.DNSName), "zone_id": strVal(r.ZoneID),
		"listeners": r.listenersVal(), "target_groups": r.groupsVal(),
	}
	maps.Copy(attrs, override)
	return withAttrs(v, attrs)
}

// withAttrs is the object v with the attributes of override set, its
// marks kept.
func withAttrs(v cty.Value, override map[string]cty.Value) cty.Value {
	u, pvm := v.UnmarkDeepWithPaths()
	attrs := map[string]cty.Value{}
	if !u.IsNull() && u.IsKnown() && u.Type().IsObjectType() {
		attrs = u.AsValueMap()
		if attrs == nil {
			attrs = map[string]cty.Value{}
		}
	}
	maps.Copy(attrs, override)
	return cty.ObjectVal(attrs).MarkWithPaths(pvm)
}

func portKey(p int32) string { return strconv.Itoa(int(p)) }
