package app

import (
	"strconv"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// Spec is an app as every platform receives it (see Decode).
type Spec struct {
	// Name is the app's name: its block label, with the instance key of
	// count or for_each ("web", "web-0", "web-eu").
	Name     string
	Cluster  Cluster
	Image    string
	Replicas int
	Command  []string
	Args     []string
	Env      map[string]string
	Labels   map[string]string
	Ports    []Port
	// Resources, Placement, Hooks and the probes are nil when not written.
	Resources *Resources
	Placement *Placement
	Readiness *Probe
	Liveness  *Probe
	Startup   *Probe
	Hooks     *Hooks
	Rollout   Rollout
	// Registry holds the credentials of the image's registry, nil when no
	// configured registry serves the image.
	Registry *Registry
}

// Cluster is the cluster an app runs on.
type Cluster struct {
	Name string
	// Kind names the platform ("docker"): the cluster's kind block.
	Kind string
	// Settings is the value of the kind block, which the platform that
	// registered the kind decodes.
	Settings cty.Value
}

// Registry is an image registry's address and credentials. Password is
// not marked sensitive here: a platform needs it, and must not log it.
type Registry struct {
	Name, Address, Username, Password string
}

// Port is a named port of an app.
type Port struct {
	Name      string
	Container int
	// Host is a fixed published port, 0 when not set (platforms that
	// cannot honour it refuse it: see platform.Platform.CheckApp).
	Host     int
	Protocol string
}

// PortNumber returns the container port of the port named name.
func PortNumber(ports []Port, name string) (int, bool) {
	for _, p := range ports {
		if p.Name == name {
			return p.Container, true
		}
	}
	return 0, false
}

// Resources are an app's per-instance limits and the overcommit factors
// that derive its requests (request = limit / overcommit).
type Resources struct {
	// CPU is in cores, Memory in bytes; zero when not set.
	CPU              Quantity
	Memory           Quantity
	CPUOvercommit    float64
	MemoryOvercommit float64
}

// CPURequest is the CPU request: the limit divided by the overcommit.
func (r *Resources) CPURequest() Quantity { return r.CPU.Div(r.CPUOvercommit) }

// MemoryRequest is the memory request: the limit divided by the overcommit.
func (r *Resources) MemoryRequest() Quantity { return r.Memory.Div(r.MemoryOvercommit) }

// Placement constrains where an app's instances run.
type Placement struct {
	NodeSelector map[string]string
	// Spread is SpreadNone, SpreadHost or SpreadZone.
	Spread string
}

// Probe is a health check of an instance, its defaults applied. Exactly
// one of HTTP, TCP, Exec and GRPC is set.
type Probe struct {
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

// ParsePortRef reads a port as written in a probe: a number, or a name.
func ParsePortRef(s string) PortRef {
	if n, err := strconv.Atoi(s); err == nil {
		return PortRef{Number: n}
	}
	return PortRef{Name: s}
}

// Resolve returns the container port number, looking a name up in ports.
func (p PortRef) Resolve(ports []Port) (int, bool) {
	if p.Name == "" {
		return p.Number, true
	}
	return PortNumber(ports, p.Name)
}

// String is the port as written: the name, or the number.
func (p PortRef) String() string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(p.Number)
}

// HTTPCheck is an HTTP GET probe.
type HTTPCheck struct {
	Path   string
	Port   PortRef
	Scheme string
	// Status lists the accepted status codes; empty: 200-399.
	Status  []int
	Headers map[string]string
}

// GRPCCheck is a gRPC health probe.
type GRPCCheck struct {
	Port    PortRef
	Service string
}

// Hooks are what runs around an instance's life.
type Hooks struct {
	AfterStart *Hook
	BeforeStop *Hook
	// Drain is the time between an instance leaving traffic and its stop.
	Drain time.Duration
}

// Hook is one exec hook.
type Hook struct {
	Exec     []string
	Required bool
	Timeout  time.Duration
}

// Rollout is how a change of an app's running instances is rolled out.
type Rollout struct {
	InitialBatch    int
	Growth          float64
	MaxUnavailable  int
	MinHealthy      time.Duration
	HealthyDeadline time.Duration
	AutoRevert      bool
	// Canary is set when the strategy is "canary".
	Canary *Canary
}

// Canary is a canary rollout's first phase: Instances instances of the
// new spec run beside the old ones with Weight percent of the traffic.
type Canary struct {
	Instances int
	Weight    int
}
