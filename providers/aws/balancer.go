package aws

import (
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/probe"
)

// Load balancer types, as the language writes them.
const (
	typeApplication = "application"
	typeNetwork     = "network"
)

// balancer is a load_balancer value (a configuration, a planned or a
// recorded state) decoded: what berth makes in ELBv2.
type balancer struct {
	Name     string
	Type     string
	Internal bool
	// Subnets and SecurityGroups are nil when not written: ELBv2 then
	// picks (the default VPC's subnets) and berth leaves them alone.
	Subnets, SecurityGroups []string
	// DeregistrationDelay is nil when not written: each target group then
	// takes its app's drain, else ELBv2's default (delayOf).
	DeregistrationDelay *time.Duration
	Tags                map[string]string
	Listeners           []listener
	Targets             []target
	HealthCheck         probe.Override
}

// listener is a listener block.
type listener struct {
	Port           int32
	Protocol       string
	CertificateARN string
	// DefaultTarget is the name of the target the listener forwards to
	// when no rule matches: default_target, else the first target's.
	DefaultTarget string
	Rules         []rule
}

// rule is a listener's rule block.
type rule struct {
	Priority     int32
	PathPatterns []string
	HostHeaders  []string
	Target       string
}

// target is a target block: an app's instances behind one of its ports.
type target struct {
	// Name is the target's name (default: the app's), which names its
	// target group in target_groups and in rules.
	Name string
	// PortName is the app's port the target sends traffic to;
	// ContainerPort and PortProtocol are that port's.
	PortName      string
	ContainerPort int32
	PortProtocol  string
	// AppID is the app's deployment_id, "" when not known yet.
	AppID string
	App   *app.Spec
	// Value is the app's value, for its instances.
	Value cty.Value
}

// groupKey is what a target group cannot change in place: its protocol
// and port. A target whose key changes gets a new group.
type groupKey struct {
	Protocol string
	Port     int32
}

func (k groupKey) String() string { return k.Protocol + ":" + strconv.Itoa(int(k.Port)) }

// key is the protocol and port of t's target group: HTTP behind an
// Application Load Balancer; TCP (UDP for a udp port) behind a Network
// Load Balancer. The port is the app's container port: targets are
// registered with their own ports (instances' addresses), so it is only
// the group's default.
func (b *balancer) key(t *target) groupKey {
	proto := "HTTP"
	if b.Type == typeNetwork {
		proto = "TCP"
		if t.PortProtocol == "udp" {
			proto = "UDP"
		}
	}
	return groupKey{Protocol: proto, Port: t.ContainerPort}
}

// defaultDeregistrationDelay is ELBv2's deregistration delay.
const defaultDeregistrationDelay = 300 * time.Second

// delayOf is the deregistration delay of t's target group, in whole
// seconds as ELBv2 keeps it: deregistration_delay when written, else the
// app's hooks.drain (the time it gives an instance between leaving
// traffic and its stop), else ELBv2's 300s.
func (b *balancer) delayOf(t *target) time.Duration {
	d := defaultDeregistrationDelay
	switch {
	case b.DeregistrationDelay != nil:
		d = *b.DeregistrationDelay
	case t != nil && t.App != nil && t.App.Hooks != nil && t.App.Hooks.Drain > 0:
		d = t.App.Hooks.Drain
	}
	return time.Duration(seconds(d)) * time.Second
}

// target returns the target named name.
func (b *balancer) target(name string) *target {
	for i := range b.Targets {
		if b.Targets[i].Name == name {
			return &b.Targets[i]
		}
	}
	return nil
}

// computedAttrs are the load_balancer attributes the provider computes.
var computedAttrs = []string{"arn", "dns_name", "zone_id", "listeners", "target_groups"}

// configPart is v without its computed attributes, and each target's app
// without the app's (what apply makes of the app: instances, ids): what
// must be known to plan the load balancer precisely.
func configPart(v cty.Value) cty.Value {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return v
	}
	m := v.AsValueMap()
	for _, n := range computedAttrs {
		delete(m, n)
	}
	if ts := m["target"]; ts.IsKnown() && !ts.IsNull() && ts.CanIterateElements() {
		var elems []cty.Value
		for it := ts.ElementIterator(); it.Next(); {
			_, t := it.Element()
			if !t.IsKnown() || t.IsNull() {
				elems = append(elems, t)
				continue
			}
			tm := t.AsValueMap()
			tm["app"] = app.StripComputed(tm["app"])
			elems = append(elems, cty.ObjectVal(tm))
		}
		m["target"] = cty.TupleVal(elems)
	}
	return cty.ObjectVal(m)
}

// decodeBalancer reads a load_balancer value. Its configuration part
// (configPart) must be known.
func decodeBalancer(v cty.Value) (*balancer, error) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil, fmt.Errorf("a load balancer must be a known object")
	}
	if !configPart(v).IsWhollyKnown() {
		return nil, fmt.Errorf("the load balancer's configuration is not known yet")
	}
	b := &balancer{
		Name: str(v, "name"), Type: str(v, "type"), Internal: boolAttr(v, "internal"),
		Subnets: strs(attr(v, "subnets")), SecurityGroups: strs(attr(v, "security_groups")),
		Tags: strMap(attr(v, "tags")),
	}
	if b.Type == "" {
		b.Type = typeApplication
	}
	if d := str(v, "deregistration_delay"); d != "" {
		dd, err := app.ParseDuration(d)
		if err != nil {
			return nil, fmt.Errorf("deregistration_delay: %w", err)
		}
		b.DeregistrationDelay = &dd
	}
	hc, err := probe.DecodeOverride(attr(v, "health_check"))
	if err != nil {
		return nil, err
	}
	b.HealthCheck = hc
	for i, t := range elements(attr(v, "target")) {
		tg, err := decodeTarget(t)
		if err != nil {
			return nil, fmt.Errorf("target %d: %w", i+1, err)
		}
		b.Targets = append(b.Targets, tg)
	}
	for _, l := range elements(attr(v, "listener")) {
		ls := listener{Port: int32(intAttr(l, "port")), Protocol: str(l, "protocol"), CertificateARN: str(l, "certificate_arn"),
			DefaultTarget: str(l, "default_target")}
		if ls.Protocol == "" {
			ls.Protocol = "HTTP"
		}
		if ls.DefaultTarget == "" && len(b.Targets) > 0 {
			ls.DefaultTarget = b.Targets[0].Name
		}
		for _, r := range elements(attr(l, "rule")) {
			ls.Rules = append(ls.Rules, rule{Priority: int32(intAttr(r, "priority")), PathPatterns: strs(attr(r, "path_patterns")),
				HostHeaders: strs(attr(r, "host_headers")), Target: str(r, "target")})
		}
		b.Listeners = append(b.Listeners, ls)
	}
	return b, nil
}

func decodeTarget(t cty.Value) (target, error) {
	av := attr(t, "app")
	spec, err := app.Decode(app.StripComputed(av))
	if err != nil {
		return target{}, fmt.Errorf("app: %w", err)
	}
	if spec.Name == "" {
		spec.Name = app.DefaultName(spec.Image)
	}
	tg := target{Name: str(t, "name"), PortName: str(t, "port"), AppID: str(av, "deployment_id"), App: spec, Value: av}
	if tg.Name == "" {
		tg.Name = spec.Name
	}
	found := false
	for _, p := range spec.Ports {
		if p.Name == tg.PortName {
			tg.ContainerPort, tg.PortProtocol, found = int32(p.Container), p.Protocol, true
		}
	}
	if !found {
		return target{}, fmt.Errorf("app %s has no port %q", spec.Name, tg.PortName)
	}
	return tg, nil
}

// members are the app's ready instances that have an address at the
// target's port (instances only planned have none yet), sorted by
// address, one per address: what the target group serves. known is
// false while the app's instances (or a ready one's address) are known
// only after apply.
func (t *target) members() (ms []member, known bool) {
	l := attr(t.Value, "instances")
	if !l.IsKnown() {
		return nil, false
	}
	for _, e := range elements(l) {
		if !e.IsKnown() {
			return nil, false
		}
		if e.IsNull() {
			continue
		}
		r := attr(e, "ready")
		if !r.IsKnown() {
			return nil, false
		}
		if r.IsNull() || r.False() {
			continue
		}
		if !attr(e, "id").IsKnown() || !attr(e, "addresses").IsWhollyKnown() {
			return nil, false
		}
	}
	ms = []member{}
	for _, in := range app.DecodeInstances(t.Value) {
		if !in.Ready || in.Planned {
			continue
		}
		if ad, ok := in.Addresses[t.PortName]; ok && ad.IP != "" && ad.Port > 0 {
			ms = append(ms, member{Instance: in.Name, Addr: ad.String()})
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Addr < ms[j].Addr })
	return slices.CompactFunc(ms, func(x, y member) bool { return x.Addr == y.Addr }), true
}

// elements are the elements of a known list, set or tuple.
func elements(v cty.Value) []cty.Value {
	if v.IsNull() || !v.IsKnown() || !v.CanIterateElements() {
		return nil
	}
	var out []cty.Value
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e)
	}
	return out
}

func strs(v cty.Value) []string {
	if v.IsNull() || !v.IsKnown() || !v.CanIterateElements() {
		return nil
	}
	out := []string{}
	for _, e := range elements(v) {
		if e.IsKnown() && !e.IsNull() && e.Type() == cty.String {
			out = append(out, e.AsString())
		}
	}
	return out
}

func strMap(v cty.Value) map[string]string {
	out := map[string]string{}
	if v.IsNull() || !v.IsKnown() || !v.CanIterateElements() {
		return out
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsKnown() && !e.IsNull() && e.Type() == cty.String {
			out[k.AsString()] = e.AsString()
		}
	}
	return out
}

func boolAttr(v cty.Value, name string) bool {
	a := attr(v, name)
	return a.IsKnown() && !a.IsNull() && a.Type() == cty.Bool && a.True()
}

func intAttr(v cty.Value, name string) int64 {
	a := attr(v, name)
	if !a.IsKnown() || a.IsNull() || a.Type() != cty.Number {
		return 0
	}
	n, acc := a.AsBigFloat().Int64()
	if acc != big.Exact {
		return 0
	}
	return n
}
