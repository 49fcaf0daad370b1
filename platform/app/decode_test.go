package app

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// obj is cty.ObjectVal with shorter literals.
type obj = map[string]cty.Value

func str(s string) cty.Value { return cty.StringVal(s) }
func num(n int64) cty.Value  { return cty.NumberIntVal(n) }
func strs(ss ...string) cty.Value {
	var vs []cty.Value
	for _, s := range ss {
		vs = append(vs, cty.StringVal(s))
	}
	return cty.ListVal(vs)
}

// probeVal is a probe with its defaults applied, as the language's
// schema produces it, with check being one of http, tcp, exec and grpc.
func probeVal(check string, v cty.Value) cty.Value {
	attrs := obj{
		"period": str("10s"), "timeout": str("1s"), "initial_delay": str("0s"),
		"failure_threshold": num(3), "success_threshold": num(1),
	}
	attrs[check] = v
	return cty.ObjectVal(attrs)
}

// fullApp is an app's value with every part written: its cluster, a
// registry with a sensitive password and an unknown computed "instances"
// (as in a plan), which Decode ignores.
func fullApp() cty.Value {
	settings := cty.ObjectVal(obj{"host": cty.ListVal([]cty.Value{cty.ObjectVal(obj{
		"name": str("edge-1"), "endpoint": str("unix:///var/run/docker.sock"),
	})})})
	return cty.ObjectVal(obj{
		"name":     str("web-0"),
		"cluster":  cty.ObjectVal(obj{"name": str("edge"), "kind": str("docker"), "docker": settings}),
		"image":    str("harbor.example.com/shop/web:1.0"),
		"replicas": num(6),
		"command":  strs("/web"),
		"args":     strs("-v", "serve"),
		"env":      cty.MapVal(obj{"LOG_LEVEL": str("info")}),
		"labels":   cty.MapValEmpty(cty.String),
		"port": cty.ListVal([]cty.Value{
			cty.ObjectVal(obj{"name": str("http"), "container": num(8080), "host": cty.NullVal(cty.Number), "protocol": str("tcp")}),
			cty.ObjectVal(obj{"name": str("dns"), "container": num(53), "host": num(5353), "protocol": str("udp")}),
		}),
		"resources": cty.ObjectVal(obj{
			"cpu": str("500m"), "memory": str("2Gi"),
			"cpu_overcommit": num(4), "memory_overcommit": cty.NumberFloatVal(1.5),
		}),
		"placement": cty.ObjectVal(obj{"node_selector": cty.MapVal(obj{"pool": str("core")}), "spread": str("host")}),
		"readiness": probeVal("http", cty.ObjectVal(obj{
			"path": str("/health"), "port": str("http"), "scheme": str("HTTPS"),
			"status": cty.ListVal([]cty.Value{num(200), num(204)}), "headers": cty.MapVal(obj{"Host": str("web")}),
		})),
		"liveness": probeVal("tcp", cty.ObjectVal(obj{"port": str("8080")})),
		"startup":  probeVal("grpc", cty.ObjectVal(obj{"port": str("http"), "service": str("web.Health")})),
		"hooks": cty.ObjectVal(obj{
			"after_start": cty.ObjectVal(obj{"exec": strs("/warm"), "required": cty.True, "timeout": str("1m")}),
			"before_stop": cty.NullVal(cty.Object(map[string]cty.Type{"exec": cty.List(cty.String), "required": cty.Bool, "timeout": cty.String})),
			"drain":       str("30s"),
		}),
		"rollout": cty.ObjectVal(obj{
			"initial_batch": num(2), "growth": cty.NumberFloatVal(1.5), "max_unavailable": num(1),
			"min_healthy": str("5s"), "healthy_deadline": str("2m"), "auto_revert": cty.False,
		}),
		"registry": cty.ObjectVal(obj{
			"name": str("harbor"), "address": str("harbor.example.com"),
			"username": str("robot"), "password": str("secret").Mark("sensitive"),
		}),
		"instances": cty.UnknownVal(cty.List(InstanceType)),
	})
}

func TestDecode(t *testing.T) {
	spec, err := Decode(fullApp())
	if err != nil {
		t.Fatal(err)
	}
	// The cluster's settings are the kind block's value, for the
	// platform; quantities compare as amounts.
	hosts := spec.Cluster.Settings.GetAttr("host")
	if hosts.LengthInt() != 1 || hosts.Index(num(0)).GetAttr("name").AsString() != "edge-1" {
		t.Errorf("cluster settings %#v", spec.Cluster.Settings)
	}
	spec.Cluster.Settings = cty.NilVal
	if spec.Resources == nil || spec.Resources.CPU.MilliValue() != 500 || spec.Resources.Memory.Value() != 2<<30 {
		t.Fatalf("resources %+v", spec.Resources)
	}
	spec.Resources.CPU, spec.Resources.Memory = Quantity{}, Quantity{}

	want := &Spec{
		Name:     "web-0",
		Cluster:  Cluster{Name: "edge", Kind: "docker"},
		Image:    "harbor.example.com/shop/web:1.0",
		Replicas: 6,
		Command:  []string{"/web"},
		Args:     []string{"-v", "serve"},
		Env:      map[string]string{"LOG_LEVEL": "info"},
		Labels:   map[string]string{},
		Ports: []Port{
			{Name: "http", Container: 8080, Protocol: "tcp"},
			{Name: "dns", Container: 53, Host: 5353, Protocol: "udp"},
		},
		Resources: &Resources{CPUOvercommit: 4, MemoryOvercommit: 1.5},
		Placement: &Placement{NodeSelector: map[string]string{"pool": "core"}, Spread: SpreadHost},
		Readiness: &Probe{
			HTTP: &HTTPCheck{Path: "/health", Port: PortRef{Name: "http"}, Scheme: "HTTPS", Status: []int{200, 204},
				Headers: map[string]string{"Host": "web"}},
			Period: 10 * time.Second, Timeout: time.Second, FailureThreshold: 3, SuccessThreshold: 1,
		},
		Liveness: &Probe{
			TCP:    &PortRef{Number: 8080},
			Period: 10 * time.Second, Timeout: time.Second, FailureThreshold: 3, SuccessThreshold: 1,
		},
		Startup: &Probe{
			GRPC:   &GRPCCheck{Port: PortRef{Name: "http"}, Service: "web.Health"},
			Period: 10 * time.Second, Timeout: time.Second, FailureThreshold: 3, SuccessThreshold: 1,
		},
		Hooks: &Hooks{
			AfterStart: &Hook{Exec: []string{"/warm"}, Required: true, Timeout: time.Minute},
			Drain:      30 * time.Second,
		},
		Rollout:  Rollout{InitialBatch: 2, Growth: 1.5, MaxUnavailable: 1, MinHealthy: 5 * time.Second, HealthyDeadline: 2 * time.Minute},
		Registry: &Registry{Name: "harbor", Address: "harbor.example.com", Username: "robot", Password: "secret"},
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("spec\n%+v\nwant\n%+v", spec, want)
	}
	if n, ok := spec.Startup.GRPC.Port.Resolve(spec.Ports); !ok || n != 8080 {
		t.Errorf("grpc port resolves to %d, %v", n, ok)
	}
}

// TestDecodeDefaults: the parts an app does not write are nil, except its
// rollout, which has the defaults.
func TestDecodeDefaults(t *testing.T) {
	spec, err := Decode(cty.ObjectVal(obj{
		"cluster":   cty.ObjectVal(obj{"name": str("edge"), "kind": str("docker"), "docker": cty.EmptyObjectVal}),
		"image":     str("nginx"),
		"replicas":  num(1),
		"readiness": probeVal("exec", cty.ObjectVal(obj{"command": strs("true")})),
		"rollout":   cty.NullVal(cty.EmptyObject),
		"resources": cty.NullVal(cty.EmptyObject),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if spec.Resources != nil || spec.Placement != nil || spec.Liveness != nil || spec.Startup != nil || spec.Hooks != nil || spec.Registry != nil {
		t.Errorf("parts not written are not nil: %+v", spec)
	}
	if !reflect.DeepEqual(spec.Rollout, DefaultRollout()) {
		t.Errorf("rollout %+v, want the defaults %+v", spec.Rollout, DefaultRollout())
	}
	if spec.Readiness == nil || !reflect.DeepEqual(spec.Readiness.Exec, []string{"true"}) {
		t.Errorf("readiness %+v", spec.Readiness)
	}
}

func TestDecodeErrors(t *testing.T) {
	with := func(name string, v cty.Value) cty.Value {
		attrs := fullApp().AsValueMap()
		attrs[name] = v
		return cty.ObjectVal(attrs)
	}
	tests := []struct {
		name string
		v    cty.Value
		err  string
	}{
		{"null", cty.NullVal(cty.EmptyObject), "an app must be a known object"},
		{"unknown", cty.UnknownVal(cty.EmptyObject), "an app must be a known object"},
		{"not an object", str("web"), "an app must be a known object"},
		{"unknown image", with("image", cty.UnknownVal(cty.String)), "image is not known yet"},
		{"unknown inside a block", with("port", cty.ListVal([]cty.Value{cty.ObjectVal(obj{
			"name": str("http"), "container": cty.UnknownVal(cty.Number), "host": cty.NullVal(cty.Number), "protocol": str("tcp"),
		})})), "port is not known yet"},
		{"image not a string", with("image", num(1)), "image must be a string"},
		{"replicas not whole", with("replicas", cty.NumberFloatVal(1.5)), "replicas must be a whole number"},
		{"bad duration", with("hooks", cty.ObjectVal(obj{"drain": str("soon")})), "not a duration"},
		{"bad quantity", with("resources", cty.ObjectVal(obj{"memory": str("lots")})), "not a quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.v)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}
