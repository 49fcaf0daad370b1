package app

import (
	"fmt"
	"math/big"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// Decode turns an app's evaluated value (a cty object of the app block's
// type, defaults applied; a configuration, planned or prior state) into a
// Spec. The parts it reads must be known; marks (sensitive) are removed,
// and attributes other than the configuration's (computed ones such as
// "instances") are ignored.
func Decode(v cty.Value) (*Spec, error) {
	d := &decoder{}
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil, fmt.Errorf("an app must be a known object")
	}
	spec := &Spec{
		Name:     d.str(v, "name"),
		Image:    d.str(v, "image"),
		Replicas: d.int(v, "replicas"),
		Command:  d.strs(v, "command"),
		Args:     d.strs(v, "args"),
		Env:      d.strMap(v, "env"),
		Labels:   d.strMap(v, "labels"),
	}
	if c := d.known(v, "cluster"); !c.IsNull() {
		spec.Cluster = Cluster{Name: d.str(c, "name"), Kind: d.str(c, "kind")}
		if spec.Cluster.Kind != "" {
			spec.Cluster.Settings = d.known(c, spec.Cluster.Kind)
		}
	}
	for _, p := range d.list(v, "port") {
		spec.Ports = append(spec.Ports, Port{Name: d.str(p, "name"), Container: d.int(p, "container"), Host: d.int(p, "host"), Protocol: d.str(p, "protocol")})
	}
	if r := d.known(v, "resources"); !r.IsNull() {
		rs := &Resources{CPUOvercommit: d.float(r, "cpu_overcommit"), MemoryOvercommit: d.float(r, "memory_overcommit")}
		rs.CPU = d.quantity(d.str(r, "cpu"))
		rs.Memory = d.quantity(d.str(r, "memory"))
		spec.Resources = rs
	}
	if p := d.known(v, "placement"); !p.IsNull() {
		spec.Placement = &Placement{NodeSelector: d.strMap(p, "node_selector"), Spread: d.str(p, "spread")}
	}
	spec.Readiness = d.probe(d.known(v, "readiness"))
	spec.Liveness = d.probe(d.known(v, "liveness"))
	spec.Startup = d.probe(d.known(v, "startup"))
	if h := d.known(v, "hooks"); !h.IsNull() {
		spec.Hooks = &Hooks{AfterStart: d.hook(d.known(h, "after_start")), BeforeStop: d.hook(d.known(h, "before_stop")), Drain: d.duration(d.str(h, "drain"))}
	}
	spec.Rollout = DefaultRollout()
	if r := d.known(v, "rollout"); !r.IsNull() {
		spec.Rollout = Rollout{
			InitialBatch: d.int(r, "initial_batch"), Growth: d.float(r, "growth"), MaxUnavailable: d.int(r, "max_unavailable"),
			MinHealthy: d.duration(d.str(r, "min_healthy")), HealthyDeadline: d.duration(d.str(r, "healthy_deadline")),
			AutoRevert: d.bool(r, "auto_revert"),
		}
		if st := d.known(r, "strategy"); !st.IsNull() && st.AsString() == StrategyCanary {
			spec.Rollout.Canary = &Canary{Instances: DefaultCanaryInstances, Weight: DefaultCanaryWeight}
			if c := d.known(r, "canary"); !c.IsNull() {
				spec.Rollout.Canary = &Canary{Instances: d.int(c, "instances"), Weight: d.int(c, "weight")}
			}
		}
	}
	if reg := d.known(v, "registry"); !reg.IsNull() {
		spec.Registry = &Registry{Name: d.str(reg, "name"), Address: d.str(reg, "address"), Username: d.str(reg, "username"), Password: d.str(reg, "password")}
	}
	return spec, d.err
}

// decoder reads the attributes of an app's value, remembering the first
// error.
type decoder struct{ err error }

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

// known is v's attribute name: null when v has none, and an error when it
// is not known.
func (d *decoder) known(v cty.Value, name string) cty.Value {
	a := attr(v, name)
	if !a.IsWhollyKnown() {
		d.fail("%s is not known yet", name)
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return a
}

func (d *decoder) str(v cty.Value, name string) string {
	a := d.known(v, name)
	if a.IsNull() {
		return ""
	}
	if a.Type() != cty.String {
		d.fail("%s must be a string", name)
		return ""
	}
	return a.AsString()
}

func (d *decoder) float(v cty.Value, name string) float64 {
	a := d.known(v, name)
	if a.IsNull() || a.Type() != cty.Number {
		return 0
	}
	f, _ := a.AsBigFloat().Float64()
	return f
}

func (d *decoder) int(v cty.Value, name string) int {
	a := d.known(v, name)
	if a.IsNull() || a.Type() != cty.Number {
		return 0
	}
	i, acc := a.AsBigFloat().Int64()
	if acc != big.Exact {
		d.fail("%s must be a whole number", name)
	}
	return int(i)
}

func (d *decoder) bool(v cty.Value, name string) bool {
	a := d.known(v, name)
	return !a.IsNull() && a.Type() == cty.Bool && a.True()
}

func (d *decoder) list(v cty.Value, name string) []cty.Value {
	a := d.known(v, name)
	if a.IsNull() || !a.CanIterateElements() {
		return nil
	}
	return a.AsValueSlice()
}

func (d *decoder) strs(v cty.Value, name string) []string {
	var out []string
	for _, e := range d.list(v, name) {
		if e.IsNull() || e.Type() != cty.String {
			d.fail("%s must hold strings", name)
			continue
		}
		out = append(out, e.AsString())
	}
	return out
}

func (d *decoder) strMap(v cty.Value, name string) map[string]string {
	a := d.known(v, name)
	if a.IsNull() || !a.CanIterateElements() {
		return nil
	}
	out := map[string]string{}
	for k, e := range a.AsValueMap() {
		if !e.IsNull() && e.Type() == cty.String {
			out[k] = e.AsString()
		}
	}
	return out
}

func (d *decoder) duration(s string) time.Duration {
	if s == "" {
		return 0
	}
	t, err := ParseDuration(s)
	if err != nil {
		d.fail("%s", err)
	}
	return t
}

func (d *decoder) quantity(s string) Quantity {
	if s == "" {
		return Quantity{}
	}
	q, err := ParseQuantity(s)
	if err != nil {
		d.fail("%s", err)
	}
	return q
}

func (d *decoder) probe(v cty.Value) *Probe {
	if v.IsNull() {
		return nil
	}
	p := &Probe{
		Period: d.duration(d.str(v, "period")), Timeout: d.duration(d.str(v, "timeout")),
		InitialDelay: d.duration(d.str(v, "initial_delay")), FailureThreshold: d.int(v, "failure_threshold"),
		SuccessThreshold: d.int(v, "success_threshold"),
	}
	if h := d.known(v, "http"); !h.IsNull() {
		hc := &HTTPCheck{Path: d.str(h, "path"), Port: ParsePortRef(d.str(h, "port")), Scheme: d.str(h, "scheme"), Headers: d.strMap(h, "headers")}
		for _, s := range d.list(h, "status") {
			i, _ := s.AsBigFloat().Int64()
			hc.Status = append(hc.Status, int(i))
		}
		p.HTTP = hc
	}
	if t := d.known(v, "tcp"); !t.IsNull() {
		pr := ParsePortRef(d.str(t, "port"))
		p.TCP = &pr
	}
	if e := d.known(v, "exec"); !e.IsNull() {
		p.Exec = d.strs(e, "command")
	}
	if g := d.known(v, "grpc"); !g.IsNull() {
		p.GRPC = &GRPCCheck{Port: ParsePortRef(d.str(g, "port")), Service: d.str(g, "service")}
	}
	return p
}

func (d *decoder) hook(v cty.Value) *Hook {
	if v.IsNull() {
		return nil
	}
	return &Hook{Exec: d.strs(v, "exec"), Required: d.bool(v, "required"), Timeout: d.duration(d.str(v, "timeout"))}
}
