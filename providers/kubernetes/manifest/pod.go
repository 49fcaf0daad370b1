package manifest

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/platform/app"
)

// Topology keys of a spread placement.
const (
	topologyHost = "kubernetes.io/hostname"
	topologyZone = "topology.kubernetes.io/zone"
)

// shutdownGrace is what a container gets between SIGTERM and SIGKILL:
// Kubernetes' own default grace period.
const shutdownGrace = 30 * time.Second

// PodTemplate is the pod template of spec running image (a reference to
// run, "registry/repo@sha256:..."), without the labels and annotations
// of a revision (Deployment adds them). It is deterministic, as JSON: the
// same spec and image give the same bytes, so its hash is the spec's
// config hash.
//
// The app's container is named ObjectName(spec.Name). Env is sorted by
// name; the rest maps as the package documentation shows. What
// Kubernetes cannot honour is refused by CheckApp, and PodTemplate does
// not check it again.
func PodTemplate(spec *app.Spec, image string) map[string]any {
	return map[string]any{
		"metadata": map[string]any{"labels": stringMap(appLabels(spec))},
		"spec":     podSpec(spec, image),
	}
}

// appLabels are the labels of every object and pod of spec: the app's own
// labels, then berth's (which CheckApp keeps the app's from overriding).
func appLabels(spec *app.Spec) map[string]string {
	l := maps.Clone(spec.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelManagedBy] = ManagedBy
	l[LabelApp] = ObjectName(spec.Name)
	return l
}

func podSpec(spec *app.Spec, image string) map[string]any {
	ps := map[string]any{
		"containers":                    []any{container(spec, image)},
		"terminationGracePeriodSeconds": seconds(TerminationGrace(spec.Hooks)),
	}
	if pl := spec.Placement; pl != nil {
		if len(pl.NodeSelector) > 0 {
			ps["nodeSelector"] = stringMap(pl.NodeSelector)
		}
		key := ""
		switch pl.Spread {
		case app.SpreadHost:
			key = topologyHost
		case app.SpreadZone:
			key = topologyZone
		}
		if key != "" {
			// ScheduleAnyway: "at most one replica per host when possible";
			// a replica is never left pending for want of a host.
			ps["topologySpreadConstraints"] = []any{map[string]any{
				"maxSkew":           int64(1),
				"topologyKey":       key,
				"whenUnsatisfiable": "ScheduleAnyway",
				"labelSelector":     map[string]any{"matchLabels": map[string]any{LabelApp: ObjectName(spec.Name)}},
			}}
		}
	}
	if hasPullSecret(spec) {
		ps["imagePullSecrets"] = []any{map[string]any{"name": PullSecretName(spec.Name)}}
	}
	return ps
}

// TerminationGrace is the pod's terminationGracePeriodSeconds. Kubernetes
// counts it from the start of the preStop hook, so it is the hook's
// budget (the drain's sleep, or the before_stop hook's timeout and the
// drain) plus Kubernetes' default 30 s, which the container keeps between
// SIGTERM and SIGKILL whatever the hooks take. Without hooks it is that
// default, written so that berth owns it.
func TerminationGrace(h *app.Hooks) time.Duration {
	if h == nil {
		return shutdownGrace
	}
	t := h.Drain + shutdownGrace
	if h.BeforeStop != nil {
		t += hookTimeout(h.BeforeStop)
	}
	return t
}

func hookTimeout(h *app.Hook) time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return app.DefaultHookTimeout
}

func container(spec *app.Spec, image string) map[string]any {
	c := map[string]any{"name": ObjectName(spec.Name), "image": image}
	if len(spec.Command) > 0 {
		c["command"] = strs(spec.Command)
	}
	if len(spec.Args) > 0 {
		c["args"] = strs(spec.Args)
	}
	if len(spec.Env) > 0 {
		var env []any
		for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
			// An empty value is dropped by the API (omitempty): written,
			// it would never come back.
			e := map[string]any{"name": k}
			if spec.Env[k] != "" {
				e["value"] = spec.Env[k]
			}
			env = append(env, e)
		}
		c["env"] = env
	}
	if len(spec.Ports) > 0 {
		var ports []any
		for _, p := range spec.Ports {
			ports = append(ports, map[string]any{"name": p.Name, "containerPort": int64(p.Container), "protocol": protocol(p.Protocol)})
		}
		c["ports"] = ports
	}
	if r := resources(spec.Resources); r != nil {
		c["resources"] = r
	}
	if spec.Readiness != nil {
		c["readinessProbe"] = probe(spec.Readiness, spec.Ports)
	}
	if spec.Liveness != nil {
		c["livenessProbe"] = probe(spec.Liveness, spec.Ports)
	}
	if spec.Startup != nil {
		c["startupProbe"] = probe(spec.Startup, spec.Ports)
	}
	if l := lifecycle(spec.Hooks); l != nil {
		c["lifecycle"] = l
	}
	return c
}

// protocol is a port's protocol as Kubernetes writes it: "TCP", "UDP".
func protocol(p string) string {
	if p == "" {
		p = app.DefaultProtocol
	}
	return strings.ToUpper(p)
}

// resources: limits as written, requests = limit / overcommit, each
// rounded up as Kubernetes rounds (so a request never exceeds its limit).
func resources(r *app.Resources) map[string]any {
	if r == nil || r.CPU.IsZero() && r.Memory.IsZero() {
		return nil
	}
	limits, requests := map[string]any{}, map[string]any{}
	if !r.CPU.IsZero() {
		limits["cpu"], requests["cpu"] = CPU(r.CPU), CPU(r.CPURequest())
	}
	if !r.Memory.IsZero() {
		limits["memory"], requests["memory"] = Memory(r.Memory), Memory(r.MemoryRequest())
	}
	return map[string]any{"limits": limits, "requests": requests}
}

func probe(p *app.Probe, ports []app.Port) map[string]any {
	d := p.WithDefaults()
	m := map[string]any{
		"periodSeconds":    seconds(d.Period),
		"timeoutSeconds":   seconds(d.Timeout),
		"failureThreshold": int64(d.FailureThreshold),
		"successThreshold": int64(d.SuccessThreshold),
	}
	// initialDelaySeconds is dropped by the API when zero: written as 0 it
	// would never come back.
	if s := seconds(d.InitialDelay); s > 0 {
		m["initialDelaySeconds"] = s
	}
	switch {
	case p.HTTP != nil:
		h := map[string]any{"path": orDefault(p.HTTP.Path, app.DefaultHTTPPath), "port": portValue(p.HTTP.Port), "scheme": orDefault(p.HTTP.Scheme, app.DefaultHTTPScheme)}
		if len(p.HTTP.Headers) > 0 {
			var hs []any
			for _, k := range slices.Sorted(maps.Keys(p.HTTP.Headers)) {
				hs = append(hs, map[string]any{"name": k, "value": p.HTTP.Headers[k]})
			}
			h["httpHeaders"] = hs
		}
		m["httpGet"] = h
	case p.TCP != nil:
		m["tcpSocket"] = map[string]any{"port": portValue(*p.TCP)}
	case len(p.Exec) > 0:
		m["exec"] = map[string]any{"command": strs(p.Exec)}
	case p.GRPC != nil:
		// A gRPC probe takes a port number only: a name is looked up in
		// the app's ports.
		n, _ := p.GRPC.Port.Resolve(ports)
		g := map[string]any{"port": int64(n)}
		if p.GRPC.Service != "" {
			g["service"] = p.GRPC.Service
		}
		m["grpc"] = g
	}
	return m
}

// portValue is a probe's port: a port name as a string, a number as an
// integer (Kubernetes' IntOrString).
func portValue(p app.PortRef) any {
	if p.Name != "" {
		return p.Name
	}
	return int64(p.Number)
}

// lifecycle: after_start runs as postStart; before_stop as preStop, or,
// without one, a preStop sleep of the drain, which keeps a terminating pod
// (already out of its Service's endpoints) running that long before
// SIGTERM.
func lifecycle(h *app.Hooks) map[string]any {
	if h == nil {
		return nil
	}
	l := map[string]any{}
	if h.AfterStart != nil && len(h.AfterStart.Exec) > 0 {
		l["postStart"] = map[string]any{"exec": map[string]any{"command": strs(h.AfterStart.Exec)}}
	}
	switch {
	case h.BeforeStop != nil && len(h.BeforeStop.Exec) > 0:
		l["preStop"] = map[string]any{"exec": map[string]any{"command": strs(h.BeforeStop.Exec)}}
	case h.Drain > 0:
		l["preStop"] = map[string]any{"sleep": map[string]any{"seconds": seconds(h.Drain)}}
	}
	if len(l) == 0 {
		return nil
	}
	return l
}

// seconds is d in whole seconds, rounded up (CheckApp refuses durations
// that are not whole seconds, so nothing is rounded in a valid app).
func seconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second > 0 {
		s++
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func strs(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
