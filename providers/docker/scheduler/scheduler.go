// Package scheduler places the replicas of an app on Docker hosts. It is
// pure: the provider reads hosts' capacity and berth's existing containers
// from the engines, and asks Place where each instance goes.
//
// The rules, in order of priority:
//
//  1. Only hosts whose labels match the app's node selector are eligible.
//  2. Requests (limit / cpu_overcommit) count against a host's capacity
//     (NCPU and MemTotal from the engine) minus what berth's other
//     containers there already request.
//  3. Stability: an existing instance stays on its host unless it must move
//     (its host is no longer eligible, gone, or no longer fits it). When
//     scaling down, instances leave the most crowded hosts first.
//  4. New instances go to the eligible host that fits them with the fewest
//     instances of the app (spread = "host": at most one per host while
//     possible, otherwise as even as capacity allows), then the most free
//     CPU, then the most free memory, then the name; without spread, to the
//     host with the most free CPU. With spread = "zone", the zone (the
//     hosts' ZoneLabel) with the fewest instances of the app comes first,
//     then the host as with spread = "host"; scaling down leaves the most
//     crowded zone first.
//  5. An app that publishes fixed host ports runs at most one instance
//     per host, and only on hosts where no other app's container holds
//     one of those ports (see ports.go).
package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ZoneLabel is the host label that names a host's zone, which
// spread = "zone" balances the instances over.
const ZoneLabel = "zone"

// MilliCPU is an amount of CPU in thousandths of a core.
type MilliCPU int64

// String formats the amount in cores, e.g. "0.5" or "2".
func (m MilliCPU) String() string {
	return strconv.FormatFloat(float64(m)/1000, 'f', -1, 64)
}

// Host is a Docker host as the scheduler sees it.
type Host struct {
	Name   string
	Labels map[string]string
	// CPU and Memory are the host's capacity (NCPU × 1000, MemTotal bytes).
	CPU    MilliCPU
	Memory int64
	// UsedCPU and UsedMemory are what berth's containers of OTHER apps on the
	// host request. The app being placed is accounted through Existing.
	UsedCPU    MilliCPU
	UsedMemory int64
	// UsedPorts are the host ports that containers of OTHER apps publish
	// on the host, each with what holds it ("app.api").
	UsedPorts map[int]string
}

// Instance is an existing instance of the app and the host it runs on.
type Instance struct {
	Name string
	Host string
	// Current: it runs the app's current spec (so its requests are the
	// request's). It stays on an eligible host even when the host has no
	// room left (another app grew): a placement never moves what runs as
	// asked because of somebody else.
	Current bool
}

// Request asks for the placement of one app.
type Request struct {
	// App is the app's address, used in messages: "app.web".
	App string
	// Name is the prefix of instance names: instance n is "<Name>-<n>", n ≥ 1.
	Name     string
	Replicas int
	// CPU and Memory are the per-replica requests; zero requests nothing.
	CPU    MilliCPU
	Memory int64
	// NodeSelector: a host is eligible when it has every label with the value.
	NodeSelector map[string]string
	// SpreadHosts is spread = "host".
	SpreadHosts bool
	// SpreadZones is spread = "zone": every eligible host must have the
	// ZoneLabel label (Place refuses the request otherwise).
	SpreadZones bool
	// HostPorts are the fixed host ports each instance publishes.
	HostPorts []int
	Existing  []Instance
}

// Assignment is one instance and its host.
type Assignment struct {
	Instance string
	Host     string
	// Kept: the instance already runs there and stays.
	Kept bool
	// MovedFrom is the instance's previous host when it had to move.
	MovedFrom string
}

// Placement is the scheduler's answer.
type Placement struct {
	// Assignments are sorted by instance number.
	Assignments []Assignment
	// Removed lists existing instances that are no longer wanted (scale down).
	Removed []string
}

// Error is an impossible placement, with the numbers that make it so.
type Error struct {
	Msg string
	// Unplaced is how many replicas found no host.
	Unplaced int
}

func (e *Error) Error() string { return e.Msg }

type hostState struct {
	Host
	freeCPU MilliCPU
	freeMem int64
	count   int        // instances of the app placed here
	zone    *zoneState // shared by the hosts of one zone
}

// zoneState counts the instances of the app placed in one zone.
type zoneState struct {
	count int
}

func (h *hostState) fits(r *Request) bool {
	return h.roomFor(r) && h.portsFree(r)
}

// roomFor: the host's free CPU and memory take one more instance.
func (h *hostState) roomFor(r *Request) bool {
	return h.freeCPU >= r.CPU && h.freeMem >= r.Memory
}

func (h *hostState) take(r *Request) {
	h.freeCPU -= r.CPU
	h.freeMem -= r.Memory
	h.count++
	h.zone.count++
}

// release undoes take.
func (h *hostState) release(r *Request) {
	h.freeCPU += r.CPU
	h.freeMem += r.Memory
	h.count--
	h.zone.count--
}

// Place computes where each of the app's replicas runs on hosts.
func Place(hosts []Host, r Request) (Placement, error) {
	if r.Replicas < 0 {
		return Placement{}, &Error{Msg: fmt.Sprintf("%s: replicas must not be negative (got %d)", r.App, r.Replicas)}
	}
	byName := map[string]*hostState{}
	zones := map[string]*zoneState{}
	var eligible []*hostState
	for _, h := range hosts {
		if !Matches(h.Labels, r.NodeSelector) {
			continue
		}
		zone, ok := h.Labels[ZoneLabel]
		if r.SpreadZones && !ok {
			// Validate refuses this; a host whose labels were unknown then
			// gets here.
			return Placement{}, &Error{Msg: fmt.Sprintf("%s spreads over zones, but host %s has no %q label", r.App, h.Name, ZoneLabel)}
		}
		if zones[zone] == nil {
			zones[zone] = &zoneState{}
		}
		hs := &hostState{Host: h, freeCPU: h.CPU - h.UsedCPU, freeMem: h.Memory - h.UsedMemory, zone: zones[zone]}
		eligible = append(eligible, hs)
		byName[h.Name] = hs
	}
	slices.SortFunc(eligible, func(a, b *hostState) int { return strings.Compare(a.Name, b.Name) })
	return place(r, eligible, byName)
}

func place(r Request, eligible []*hostState, byName map[string]*hostState) (Placement, error) {
	var out Placement
	if r.Replicas > 0 && len(eligible) == 0 {
		return out, &Error{Msg: fmt.Sprintf("%s needs %d replicas %s, but no host matches", r.App, r.Replicas, selectorText(r.NodeSelector))}
	}
	initialFree := make(map[string][2]int64, len(eligible))
	for _, h := range eligible {
		initialFree[h.Name] = [2]int64{int64(h.freeCPU), h.freeMem}
	}

	// Existing instances in instance-number order, so that the same input
	// always keeps the same ones.
	existing := slices.Clone(r.Existing)
	slices.SortFunc(existing, func(a, b Instance) int { return compareInstance(r.Name, a.Name, b.Name) })

	// Stay where possible: an instance whose host is eligible and fits it.
	var stay []Instance
	mustMove := map[string]string{}
	for _, in := range existing {
		h := byName[in.Host]
		if h != nil && (in.Current || h.fits(&r)) {
			h.take(&r)
			stay = append(stay, in)
		} else {
			mustMove[in.Name] = in.Host
		}
	}
	// Scale down: too many instances (staying or moving) for the replica
	// count. Moving ones go first, then the most crowded hosts' last ones.
	total := len(stay) + len(mustMove)
	for total > r.Replicas && len(mustMove) > 0 {
		name := lastByNumber(r.Name, mustMove)
		delete(mustMove, name)
		out.Removed = append(out.Removed, name)
		total--
	}
	for total > r.Replicas {
		i := crowdedVictim(&r, stay, byName)
		byName[stay[i].Host].release(&r)
		out.Removed = append(out.Removed, stay[i].Name)
		stay = slices.Delete(stay, i, i+1)
		total--
	}
	for _, in := range stay {
		out.Assignments = append(out.Assignments, Assignment{Instance: in.Name, Host: in.Host, Kept: true})
	}

	// Names of the instances to place: the ones that must move keep their
	// names; new ones take the lowest free numbers.
	used := map[string]bool{}
	for _, in := range existing {
		used[in.Name] = true
	}
	var toPlace []string
	for _, in := range existing {
		if _, ok := mustMove[in.Name]; ok {
			toPlace = append(toPlace, in.Name)
		}
	}
	for n := 1; len(stay)+len(toPlace) < r.Replicas; n++ {
		name := fmt.Sprintf("%s-%d", r.Name, n)
		if !used[name] {
			used[name] = true
			toPlace = append(toPlace, name)
		}
	}

	for i, name := range toPlace {
		h := pick(&r, eligible)
		if h == nil {
			if err := portError(&r, eligible, out.Assignments, len(toPlace)-i); err != nil {
				return Placement{}, err
			}
			return Placement{}, capacityError(&r, eligible, initialFree, len(toPlace)-i)
		}
		h.take(&r)
		out.Assignments = append(out.Assignments, Assignment{Instance: name, Host: h.Name, MovedFrom: mustMove[name]})
	}
	slices.SortFunc(out.Assignments, func(a, b Assignment) int { return compareInstance(r.Name, a.Instance, b.Instance) })
	slices.SortFunc(out.Removed, func(a, b string) int { return compareInstance(r.Name, a, b) })
	return out, nil
}

// pick chooses the host for one new instance, or nil when none fits.
func pick(r *Request, hosts []*hostState) *hostState {
	var best *hostState
	for _, h := range hosts {
		if !h.fits(r) {
			continue
		}
		if best == nil || better(r, h, best) {
			best = h
		}
	}
	return best
}

func better(r *Request, a, b *hostState) bool {
	if r.SpreadZones && a.zone.count != b.zone.count {
		return a.zone.count < b.zone.count
	}
	if (r.SpreadHosts || r.SpreadZones) && a.count != b.count {
		return a.count < b.count
	}
	if a.freeCPU != b.freeCPU {
		return a.freeCPU > b.freeCPU
	}
	if a.freeMem != b.freeMem {
		return a.freeMem > b.freeMem
	}
	return a.Name < b.Name
}

// crowdedVictim returns the index in stay of the instance to remove when
// scaling down: the highest-numbered instance on the host with the most
// (with spread = "zone", of the hosts of the zone with the most).
func crowdedVictim(r *Request, stay []Instance, byName map[string]*hostState) int {
	best := -1
	for i, in := range stay {
		if best < 0 {
			best = i
			continue
		}
		hi, hb := byName[in.Host], byName[stay[best].Host]
		c := 0
		if r.SpreadZones {
			c = cmp.Compare(hi.zone.count, hb.zone.count)
		}
		c = cmp.Or(c, cmp.Compare(hi.count, hb.count), compareInstance(r.Name, in.Name, stay[best].Name))
		if c > 0 {
			best = i
		}
	}
	return best
}

func lastByNumber(prefix string, set map[string]string) string {
	var last string
	for name := range set {
		if last == "" || compareInstance(prefix, name, last) > 0 {
			last = name
		}
	}
	return last
}

// compareInstance orders "web-2" before "web-10"; names that do not follow
// the "<prefix>-<n>" pattern sort after, by name.
func compareInstance(prefix, a, b string) int {
	na, oka := instanceNumber(prefix, a)
	nb, okb := instanceNumber(prefix, b)
	switch {
	case oka && okb:
		return cmp.Or(cmp.Compare(na, nb), strings.Compare(a, b))
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}

func instanceNumber(prefix, name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n > 0
}

// Matches reports whether a host with labels is eligible under a node
// selector: it has every label of the selector, with its value.
func Matches(labels, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func selectorText(sel map[string]string) string {
	if len(sel) == 0 {
		return "on any host"
	}
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + sel[k]
	}
	return "on " + strings.Join(parts, ",")
}

// capacityError explains why the replicas do not fit, with the per-replica
// request and every eligible host's free capacity before this app.
func capacityError(r *Request, hosts []*hostState, initialFree map[string][2]int64, unplaced int) error {
	// Name the resource that ran out; both when both did.
	var cpuShort, memShort bool
	for _, h := range hosts {
		if h.freeCPU < r.CPU {
			cpuShort = true
		}
		if h.freeMem < r.Memory {
			memShort = true
		}
	}
	var needs, free []string
	if cpuShort || !memShort {
		needs = append(needs, fmt.Sprintf("%d × %s CPU", r.Replicas, r.CPU))
	}
	if memShort {
		needs = append(needs, fmt.Sprintf("%d × %s memory", r.Replicas, FormatBytes(r.Memory)))
	}
	for _, h := range hosts {
		f := initialFree[h.Name]
		var parts []string
		if cpuShort || !memShort {
			parts = append(parts, MilliCPU(f[0]).String()+" free")
		}
		if memShort {
			parts = append(parts, FormatBytes(f[1])+" free")
		}
		free = append(free, fmt.Sprintf("%s (%s)", h.Name, strings.Join(parts, ", ")))
	}
	return &Error{Msg: fmt.Sprintf("%s needs %s %s; hosts %s",
		r.App, strings.Join(needs, " and "), selectorText(r.NodeSelector), strings.Join(free, ", ")),
		Unplaced: unplaced}
}

// FormatBytes formats a memory amount with binary units: "512Mi", "1.5Gi".
func FormatBytes(b int64) string {
	v, unit := float64(b), ""
	for _, u := range []string{"Ki", "Mi", "Gi", "Ti", "Pi"} {
		if v < 1024 && v > -1024 {
			break
		}
		v /= 1024
		unit = u
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + unit
}
