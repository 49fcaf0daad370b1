package docker

import (
	"slices"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
)

// Resource types of the provider.
const (
	TypeApp           = "app"
	TypeScalingPolicy = "scaling_policy"
)

// instanceType is the object type of one entry of an app's "instances":
// one container of the app as it exists (or is planned). lang defines it,
// like every attribute of an app, so configuration can refer to it.
var instanceType = lang.AppInstanceType

// appSchema is lang's app schema, whose computed attributes (name,
// deployment_id, image_digest, config_hash, instances) the provider fills.
func appSchema() *providers.Block {
	return lang.AppSchema().ProviderBlock()
}

func scalingPolicySchema() *providers.Block {
	return lang.ScalingPolicySchema().ProviderBlock()
}

// impliedType is the object type of a block's values.
func impliedType(b *providers.Block) cty.Type {
	attrs := map[string]cty.Type{}
	for n, a := range b.Attributes {
		attrs[n] = a.Type
	}
	for n, nb := range b.BlockTypes {
		t := impliedType(nb.Block)
		switch nb.Nesting {
		case providers.NestingList:
			t = cty.List(t)
		case providers.NestingSet:
			t = cty.Set(t)
		case providers.NestingMap:
			t = cty.Map(t)
		}
		attrs[n] = t
	}
	return cty.Object(attrs)
}

var (
	appType           = impliedType(appSchema())
	scalingPolicyType = impliedType(scalingPolicySchema())
)

// conform builds a value of type ty from v's attributes of the same names
// (converted), with override taking precedence; attributes v lacks are
// null. The engine sends lang's app type, and may or may not add our
// computed attributes; the state always has exactly appType.
func conform(v cty.Value, ty cty.Type, override map[string]cty.Value) cty.Value {
	attrs := map[string]cty.Value{}
	for name, at := range ty.AttributeTypes() {
		if o, ok := override[name]; ok {
			attrs[name] = o
			continue
		}
		av := cty.NullVal(at)
		if !v.IsNull() && v.IsKnown() && v.Type().IsObjectType() && v.Type().HasAttribute(name) {
			if cv, err := convert.Convert(v.GetAttr(name), at); err == nil {
				av = cv
			}
		}
		attrs[name] = av
	}
	return cty.ObjectVal(attrs)
}

// instance is one entry of "instances", in Go.
type instance struct {
	Name        string
	Host        string
	ContainerID string // "" when unknown (planned)
	HostPorts   map[string]int
	ImageDigest string
	ConfigHash  string
	Status      string
	// planned marks an instance whose container is yet to be created: its
	// container_id and host_ports are unknown in the plan.
	planned bool
}

// Instance statuses beyond the engine's container states.
const (
	statusRunning = "running"
	// statusNotReady: the container runs but never passed readiness
	// (apply failed on it); plan replaces it.
	statusNotReady = "not_ready"
	// statusUnhealthy: the container's HEALTHCHECK (liveness) fails.
	statusUnhealthy = "unhealthy"
)

func (in instance) value() cty.Value {
	id, ports := cty.UnknownVal(cty.String), cty.UnknownVal(cty.Map(cty.Number))
	if !in.planned {
		id = cty.StringVal(in.ContainerID)
		pm := map[string]cty.Value{}
		for k, p := range in.HostPorts {
			pm[k] = cty.NumberIntVal(int64(p))
		}
		ports = cty.MapValEmpty(cty.Number)
		if len(pm) > 0 {
			ports = cty.MapVal(pm)
		}
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name":         cty.StringVal(in.Name),
		"host":         cty.StringVal(in.Host),
		"container_id": id,
		"host_ports":   ports,
		"image_digest": cty.StringVal(in.ImageDigest),
		"config_hash":  cty.StringVal(in.ConfigHash),
		"status":       cty.StringVal(in.Status),
	})
}

func instancesValue(ins []instance) cty.Value {
	if len(ins) == 0 {
		return cty.ListValEmpty(instanceType)
	}
	sortInstances(ins)
	vals := make([]cty.Value, len(ins))
	for i, in := range ins {
		vals[i] = in.value()
	}
	return cty.ListVal(vals)
}

// sortInstances orders by instance number ("web-2" before "web-10"), then
// container id, so that plans diff stably.
func sortInstances(ins []instance) {
	slices.SortStableFunc(ins, func(a, b instance) int {
		if c := compareNames(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ContainerID, b.ContainerID)
	})
}

func compareNames(a, b string) int {
	na, nb := nameNumber(a), nameNumber(b)
	if na != nb && na >= 0 && nb >= 0 {
		return na - nb
	}
	return strings.Compare(a, b)
}

func nameNumber(s string) int {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return -1
	}
	return n
}

// stateInstances reads "instances" of a state value; unknown and null
// entries are skipped.
func stateInstances(state cty.Value) []instance {
	if state.IsNull() || !state.IsKnown() || !state.Type().IsObjectType() || !state.Type().HasAttribute("instances") {
		return nil
	}
	l := state.GetAttr("instances")
	if l.IsNull() || !l.IsKnown() {
		return nil
	}
	var out []instance
	for it := l.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || !e.IsKnown() {
			continue
		}
		in := instance{Name: str(e, "name"), Host: str(e, "host"), ContainerID: str(e, "container_id"),
			ImageDigest: str(e, "image_digest"), ConfigHash: str(e, "config_hash"), Status: str(e, "status")}
		if p := e.GetAttr("host_ports"); p.IsKnown() && !p.IsNull() {
			in.HostPorts = map[string]int{}
			for k, v := range p.AsValueMap() {
				if v.IsKnown() && !v.IsNull() {
					n, _ := v.AsBigFloat().Int64()
					in.HostPorts[k] = int(n)
				}
			}
		}
		out = append(out, in)
	}
	return out
}

// str reads a known string attribute, "" otherwise.
func str(v cty.Value, name string) string {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return ""
	}
	a := v.GetAttr(name)
	if a.IsNull() || !a.IsKnown() || a.Type() != cty.String {
		return ""
	}
	return a.AsString()
}
