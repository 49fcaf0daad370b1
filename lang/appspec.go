package lang

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// AppSpec is the typed view of an evaluated app: what the docker and
// kubernetes providers work from. DecodeApp builds it from the app's
// Config value (AppSchema's type, defaults applied).
type AppSpec struct {
	Cluster  ClusterSpec
	Image    string
	Replicas int
	Command  []string
	Args     []string
	Env      map[string]string
	Labels   map[string]string
	Ports    []PortSpec
	// Resources, Placement, Hooks and the probes are nil when not written.
	Resources *ResourcesSpec
	Placement *PlacementSpec
	Readiness *ProbeSpec
	Liveness  *ProbeSpec
	Startup   *ProbeSpec
	Hooks     *HooksSpec
	Rollout   RolloutSpec
	// Registry holds the credentials of the image's registry, nil if none
	// of the configured registries serves the image.
	Registry *RegistrySpec
}

// ClusterSpec is an evaluated cluster.
type ClusterSpec struct {
	Name       string
	Kind       string
	Kubernetes *KubernetesSpec
	Docker     *DockerSpec
}

// KubernetesSpec is a cluster's kubernetes block.
type KubernetesSpec struct {
	Kubeconfig string
	Context    string
	Namespace  string
}

// DockerSpec is a cluster's docker block.
type DockerSpec struct {
	Hosts []DockerHost
}

// DockerHost is one Docker Engine of a docker cluster.
type DockerHost struct {
	Name     string
	Endpoint string
	Labels   map[string]string
	TLS      *TLSSpec
}

// TLSSpec holds the client TLS files of a Docker host.
type TLSSpec struct {
	CAFile, CertFile, KeyFile string
}

// RegistrySpec is an evaluated registry. Password is unmarked: the
// provider needs it, and must not log it.
type RegistrySpec struct {
	Name, Address, Username, Password string
}

// PortSpec is a named port of an app.
type PortSpec struct {
	Name      string
	Container int
	// Host is the published port on Docker hosts, 0 when not set.
	Host     int
	Protocol string
}

// ResourcesSpec holds an app's resource limits and overcommit factors.
type ResourcesSpec struct {
	// CPU is the limit in cores (0: none); Memory the limit in bytes.
	CPU              float64
	Memory           int64
	CPUOvercommit    float64
	MemoryOvercommit float64
}

// CPURequest is the CPU request: the limit divided by the overcommit.
func (r *ResourcesSpec) CPURequest() float64 { return r.CPU / r.CPUOvercommit }

// MemoryRequest is the memory request: the limit divided by the overcommit.
func (r *ResourcesSpec) MemoryRequest() int64 {
	return int64(float64(r.Memory) / r.MemoryOvercommit)
}

// PlacementSpec is an app's placement block.
type PlacementSpec struct {
	NodeSelector map[string]string
	// Spread is "none", "host" or "zone".
	Spread string
}

// ProbeSpec is an evaluated probe with its defaults applied. Exactly one
// of HTTP, TCP, Exec and GRPC is set.
type ProbeSpec struct {
	HTTP             *HTTPCheck
	TCP              *PortRef
	Exec             []string
	GRPC             *GRPCCheck
	Period           time.Duration
	Timeout          time.Duration
	InitialDelay     time.Duration
	FailureThreshold int
	SuccessThreshold int
}

// PortRef is a probe's port: a port name of the app, or a number.
type PortRef struct {
	Name   string
	Number int
}

// Resolve returns the container port number, looking a name up in ports.
func (p PortRef) Resolve(ports []PortSpec) (int, bool) {
	if p.Name == "" {
		return p.Number, true
	}
	for _, q := range ports {
		if q.Name == p.Name {
			return q.Container, true
		}
	}
	return 0, false
}

// HTTPCheck is an HTTP probe.
type HTTPCheck struct {
	Path    string
	Port    PortRef
	Scheme  string
	Status  []int
	Headers map[string]string
}

// GRPCCheck is a gRPC health probe.
type GRPCCheck struct {
	Port    PortRef
	Service string
}

// HooksSpec is an app's hooks block.
type HooksSpec struct {
	AfterStart *HookSpec
	BeforeStop *HookSpec
	Drain      time.Duration
}

// HookSpec is one exec hook.
type HookSpec struct {
	Exec     []string
	Required bool
	Timeout  time.Duration
}

// RolloutSpec is an app's rollout block, defaults applied.
type RolloutSpec struct {
	InitialBatch    int
	Growth          float64
	MaxUnavailable  int
	MinHealthy      time.Duration
	HealthyDeadline time.Duration
	AutoRevert      bool
}

// Waves splits replicas into this rollout's waves (see Waves).
func (r RolloutSpec) Waves(replicas int) []int { return Waves(replicas, r.InitialBatch, r.Growth) }

// DecodeApp turns an app's evaluated Config value back into an AppSpec.
// The value must be wholly known; marks (sensitive) are removed.
func DecodeApp(v cty.Value) (*AppSpec, error) {
	d := &dec{}
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsWhollyKnown() || !v.Type().IsObjectType() {
		return nil, fmt.Errorf("app config must be a known object")
	}
	spec := &AppSpec{
		Image:    d.str(v, "image"),
		Replicas: d.int(v, "replicas"),
		Command:  d.strs(v, "command"),
		Args:     d.strs(v, "args"),
		Env:      d.strMap(v, "env"),
		Labels:   d.strMap(v, "labels"),
	}
	if c := d.attr(v, "cluster"); !c.IsNull() {
		cs, err := DecodeCluster(c)
		if err != nil {
			return nil, err
		}
		spec.Cluster = *cs
	}
	for _, p := range d.list(v, "port") {
		spec.Ports = append(spec.Ports, PortSpec{Name: d.str(p, "name"), Container: d.int(p, "container"), Host: d.int(p, "host"), Protocol: d.str(p, "protocol")})
	}
	if r := d.attr(v, "resources"); !r.IsNull() {
		rs := &ResourcesSpec{CPUOvercommit: d.float(r, "cpu_overcommit"), MemoryOvercommit: d.float(r, "memory_overcommit")}
		if s := d.str(r, "cpu"); s != "" {
			rs.CPU = d.quantity(s)
		}
		if s := d.str(r, "memory"); s != "" {
			rs.Memory = int64(d.quantity(s))
		}
		spec.Resources = rs
	}
	if p := d.attr(v, "placement"); !p.IsNull() {
		spec.Placement = &PlacementSpec{NodeSelector: d.strMap(p, "node_selector"), Spread: d.str(p, "spread")}
	}
	spec.Readiness = d.probe(d.attr(v, "readiness"))
	spec.Liveness = d.probe(d.attr(v, "liveness"))
	spec.Startup = d.probe(d.attr(v, "startup"))
	if h := d.attr(v, "hooks"); !h.IsNull() {
		spec.Hooks = &HooksSpec{AfterStart: d.hook(d.attr(h, "after_start")), BeforeStop: d.hook(d.attr(h, "before_stop")), Drain: d.duration(d.str(h, "drain"))}
	}
	r := d.attr(v, "rollout")
	if r.IsNull() {
		spec.Rollout = RolloutSpec{InitialBatch: 1, Growth: 2, MinHealthy: 10 * time.Second, HealthyDeadline: 5 * time.Minute, AutoRevert: true}
	} else {
		spec.Rollout = RolloutSpec{
			InitialBatch: d.int(r, "initial_batch"), Growth: d.float(r, "growth"), MaxUnavailable: d.int(r, "max_unavailable"),
			MinHealthy: d.duration(d.str(r, "min_healthy")), HealthyDeadline: d.duration(d.str(r, "healthy_deadline")),
			AutoRevert: d.bool(r, "auto_revert"),
		}
	}
	if reg := d.attr(v, "registry"); !reg.IsNull() {
		spec.Registry = &RegistrySpec{Name: d.str(reg, "name"), Address: d.str(reg, "address"), Username: d.str(reg, "username"), Password: d.str(reg, "password")}
	}
	return spec, d.err
}

// DecodeCluster turns an evaluated cluster object into a ClusterSpec.
func DecodeCluster(v cty.Value) (*ClusterSpec, error) {
	d := &dec{}
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsWhollyKnown() || !v.Type().IsObjectType() {
		return nil, fmt.Errorf("cluster must be a known object")
	}
	cs := &ClusterSpec{Name: d.str(v, "name"), Kind: d.str(v, "kind")}
	if k := d.attr(v, "kubernetes"); !k.IsNull() {
		cs.Kubernetes = &KubernetesSpec{Kubeconfig: d.str(k, "kubeconfig"), Context: d.str(k, "context"), Namespace: d.str(k, "namespace")}
	}
	if dk := d.attr(v, "docker"); !dk.IsNull() {
		cs.Docker = &DockerSpec{}
		for _, h := range d.list(dk, "host") {
			host := DockerHost{Name: d.str(h, "name"), Endpoint: d.str(h, "endpoint"), Labels: d.strMap(h, "labels")}
			if t := d.attr(h, "tls"); !t.IsNull() {
				host.TLS = &TLSSpec{CAFile: d.str(t, "ca_file"), CertFile: d.str(t, "cert_file"), KeyFile: d.str(t, "key_file")}
			}
			cs.Docker.Hosts = append(cs.Docker.Hosts, host)
		}
	}
	return cs, d.err
}

// ImageRegistry returns the registry (an evaluated registry object) whose
// address is the host part of image, or a null value. The evaluator
// stores it in the app's computed "registry" attribute.
func ImageRegistry(image string, registries []cty.Value) cty.Value {
	host, _, ok := strings.Cut(image, "/")
	if !ok {
		return cty.NullVal(RegistryType())
	}
	for _, r := range registries {
		u, _ := r.Unmark()
		if !u.IsKnown() || u.IsNull() {
			continue
		}
		a := u.GetAttr("address")
		if a.IsKnown() && !a.IsNull() && strings.TrimSuffix(a.AsString(), "/") == host {
			return r
		}
	}
	return cty.NullVal(RegistryType())
}

// dec reads attributes of decoded objects, remembering the first error.
type dec struct{ err error }

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *dec) attr(v cty.Value, name string) cty.Value {
	if v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

func (d *dec) str(v cty.Value, name string) string {
	a := d.attr(v, name)
	if a.IsNull() {
		return ""
	}
	if a.Type() != cty.String {
		d.fail("%s must be a string", name)
		return ""
	}
	return a.AsString()
}

func (d *dec) float(v cty.Value, name string) float64 {
	a := d.attr(v, name)
	if a.IsNull() || a.Type() != cty.Number {
		return 0
	}
	f, _ := a.AsBigFloat().Float64()
	return f
}

func (d *dec) int(v cty.Value, name string) int {
	a := d.attr(v, name)
	if a.IsNull() || a.Type() != cty.Number {
		return 0
	}
	i, acc := a.AsBigFloat().Int64()
	if acc != big.Exact {
		d.fail("%s must be a whole number", name)
	}
	return int(i)
}

func (d *dec) bool(v cty.Value, name string) bool {
	a := d.attr(v, name)
	return !a.IsNull() && a.Type() == cty.Bool && a.True()
}

func (d *dec) list(v cty.Value, name string) []cty.Value {
	a := d.attr(v, name)
	if a.IsNull() || !a.CanIterateElements() {
		return nil
	}
	return a.AsValueSlice()
}

func (d *dec) strs(v cty.Value, name string) []string {
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

func (d *dec) strMap(v cty.Value, name string) map[string]string {
	a := d.attr(v, name)
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

func (d *dec) duration(s string) time.Duration {
	if s == "" {
		return 0
	}
	t, err := ParseDuration(s)
	if err != nil {
		d.fail("%s", err)
	}
	return t
}

func (d *dec) quantity(s string) float64 {
	q, err := ParseQuantity(s)
	if err != nil {
		d.fail("%s", err)
	}
	return q
}

func (d *dec) port(v cty.Value) PortRef {
	s := d.str(v, "port")
	if n, err := strconv.Atoi(s); err == nil {
		return PortRef{Number: n}
	}
	return PortRef{Name: s}
}

func (d *dec) probe(v cty.Value) *ProbeSpec {
	if v.IsNull() {
		return nil
	}
	p := &ProbeSpec{
		Period: d.duration(d.str(v, "period")), Timeout: d.duration(d.str(v, "timeout")),
		InitialDelay: d.duration(d.str(v, "initial_delay")), FailureThreshold: d.int(v, "failure_threshold"),
		SuccessThreshold: d.int(v, "success_threshold"),
	}
	if h := d.attr(v, "http"); !h.IsNull() {
		hc := &HTTPCheck{Path: d.str(h, "path"), Port: d.port(h), Scheme: d.str(h, "scheme"), Headers: d.strMap(h, "headers")}
		for _, s := range d.list(h, "status") {
			i, _ := s.AsBigFloat().Int64()
			hc.Status = append(hc.Status, int(i))
		}
		p.HTTP = hc
	}
	if t := d.attr(v, "tcp"); !t.IsNull() {
		pr := d.port(t)
		p.TCP = &pr
	}
	if e := d.attr(v, "exec"); !e.IsNull() {
		p.Exec = d.strs(e, "command")
	}
	if g := d.attr(v, "grpc"); !g.IsNull() {
		p.GRPC = &GRPCCheck{Port: d.port(g), Service: d.str(g, "service")}
	}
	return p
}

func (d *dec) hook(v cty.Value) *HookSpec {
	if v.IsNull() {
		return nil
	}
	return &HookSpec{Exec: d.strs(v, "exec"), Required: d.bool(v, "required"), Timeout: d.duration(d.str(v, "timeout"))}
}
