package app

import (
	"slices"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Instance is one running instance of an app (a container, a pod) as its
// platform reports it, in the same shape on every platform: what the
// rollout driver sequences and what a load balancer registers as targets.
type Instance struct {
	Name string
	// Host is where it runs: a Docker host's name, a Kubernetes node.
	Host string
	// ID is the platform's id of the instance (a container id, a pod
	// name); "" for an instance only planned.
	ID string
	// Status is the platform's word for the instance's state ("running",
	// "not_ready", "unhealthy", "exited"...).
	Status string
	// Ready: the instance passed its readiness and may receive traffic.
	Ready bool
	// ImageDigest and ConfigHash identify the spec it runs.
	ImageDigest string
	ConfigHash  string
	// Addresses are where each named port of the app is reached, by port
	// name; nil for an instance only planned.
	Addresses map[string]Address
	// Planned marks an instance yet to be created: its ID and Addresses
	// are known only after apply.
	Planned bool
}

// Address is where one port of an instance is reached.
type Address struct {
	IP   string
	Port int
}

// String is "ip:port".
func (a Address) String() string {
	if strings.Contains(a.IP, ":") {
		return "[" + a.IP + "]:" + strconv.Itoa(a.Port)
	}
	return a.IP + ":" + strconv.Itoa(a.Port)
}

// AddressType is the object type of an Address in an app's value.
var AddressType = cty.Object(map[string]cty.Type{"ip": cty.String, "port": cty.Number})

// InstanceType is the object type of one entry of an app's computed
// "instances" attribute.
var InstanceType = cty.Object(map[string]cty.Type{
	"name":         cty.String,
	"host":         cty.String,
	"id":           cty.String,
	"status":       cty.String,
	"ready":        cty.Bool,
	"image_digest": cty.String,
	"config_hash":  cty.String,
	"addresses":    cty.Map(AddressType),
})

// Value is the instance as an element of "instances". A planned
// instance's id and addresses are unknown, and so is its host when the
// platform places it (Host "").
func (in Instance) Value() cty.Value {
	id, addrs := cty.UnknownVal(cty.String), cty.UnknownVal(cty.Map(AddressType))
	if !in.Planned {
		id = cty.StringVal(in.ID)
		m := map[string]cty.Value{}
		for name, a := range in.Addresses {
			m[name] = cty.ObjectVal(map[string]cty.Value{"ip": cty.StringVal(a.IP), "port": cty.NumberIntVal(int64(a.Port))})
		}
		addrs = cty.MapValEmpty(AddressType)
		if len(m) > 0 {
			addrs = cty.MapVal(m)
		}
	}
	host := cty.StringVal(in.Host)
	if in.Planned && in.Host == "" {
		// The platform places it (Kubernetes' scheduler): known after apply.
		host = cty.UnknownVal(cty.String)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name":         cty.StringVal(in.Name),
		"host":         host,
		"id":           id,
		"status":       cty.StringVal(in.Status),
		"ready":        cty.BoolVal(in.Ready),
		"image_digest": cty.StringVal(in.ImageDigest),
		"config_hash":  cty.StringVal(in.ConfigHash),
		"addresses":    addrs,
	})
}

// InstancesValue is the "instances" value of ins, sorted (SortInstances).
func InstancesValue(ins []Instance) cty.Value {
	if len(ins) == 0 {
		return cty.ListValEmpty(InstanceType)
	}
	ins = slices.Clone(ins)
	SortInstances(ins)
	vals := make([]cty.Value, len(ins))
	for i, in := range ins {
		vals[i] = in.Value()
	}
	return cty.ListVal(vals)
}

// SortInstances orders instances by number ("web-2" before "web-10"),
// then id, so that plans diff stably.
func SortInstances(ins []Instance) {
	slices.SortStableFunc(ins, func(a, b Instance) int {
		if c := CompareNames(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// CompareNames orders instance names by their number suffix when both have
// one ("web-2" before "web-10"), by name otherwise.
func CompareNames(a, b string) int {
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

// DecodeInstances reads the "instances" attribute of an app's value (a
// state or a planned state). Unknown and null entries are skipped; an
// entry whose id is unknown is Planned.
func DecodeInstances(v cty.Value) []Instance {
	v, _ = v.UnmarkDeep()
	l := attr(v, "instances")
	if l.IsNull() || !l.IsKnown() || !l.CanIterateElements() {
		return nil
	}
	var out []Instance
	for it := l.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || !e.IsKnown() {
			continue
		}
		in := Instance{
			Name: knownString(e, "name"), Host: knownString(e, "host"), ID: knownString(e, "id"),
			Status: knownString(e, "status"), ImageDigest: knownString(e, "image_digest"),
			ConfigHash: knownString(e, "config_hash"),
		}
		if r := attr(e, "ready"); r.IsKnown() && !r.IsNull() && r.Type() == cty.Bool {
			in.Ready = r.True()
		}
		if id := attr(e, "id"); !id.IsKnown() {
			in.Planned = true
		}
		if as := attr(e, "addresses"); as.IsKnown() && !as.IsNull() && as.CanIterateElements() {
			in.Addresses = map[string]Address{}
			for it := as.ElementIterator(); it.Next(); {
				k, a := it.Element()
				if !a.IsKnown() || a.IsNull() {
					continue
				}
				ad := Address{IP: knownString(a, "ip")}
				if p := attr(a, "port"); p.IsKnown() && !p.IsNull() && p.Type() == cty.Number {
					n, _ := p.AsBigFloat().Int64()
					ad.Port = int(n)
				}
				in.Addresses[k.AsString()] = ad
			}
		}
		out = append(out, in)
	}
	return out
}

// attr is v's attribute name, or a null value when v has none.
func attr(v cty.Value, name string) cty.Value {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

// knownString is v's attribute name as a string, "" unless it is a known
// string.
func knownString(v cty.Value, name string) string {
	a := attr(v, name)
	if a.IsNull() || !a.IsKnown() || a.Type() != cty.String {
		return ""
	}
	return a.AsString()
}

// Str reads a known string attribute of an object value, "" otherwise:
// the accessor platforms use for their own attributes.
func Str(v cty.Value, name string) string {
	v, _ = v.UnmarkDeep()
	return knownString(v, name)
}

// Keeps reports whether a planned state whose instances are planned keeps
// in: it lists an instance of in's name on in's host with in's spec
// (config hash and image digest), and in is ready. A planned instance
// without a host (a platform whose own scheduler places instances:
// Kubernetes) keeps an instance of its name and spec on any host. What a step's planned
// state does not keep is replaced (StepStart) or removed (StepStop); see
// providers.RolloutStep.
func Keeps(planned []Instance, in Instance) bool {
	if !in.Ready {
		return false
	}
	for _, p := range planned {
		if p.Name == in.Name && (p.Host == "" || p.Host == in.Host) && p.ConfigHash == in.ConfigHash && p.ImageDigest == in.ImageDigest {
			return true
		}
	}
	return false
}

// DecodeTarget reads the instances a planned or recorded app value asks
// for: its "instances", each on the value's own spec (its top-level
// config_hash and image_digest, where it has them known). A recorded
// state taken mid-rollout lists instances of two specs; going back to it
// (a revert) means every instance on the recorded spec, which is what
// DecodeTarget returns. For a plan it is DecodeInstances: every planned
// instance is on the planned spec.
func DecodeTarget(v cty.Value) []Instance {
	ins := DecodeInstances(v)
	u, _ := v.UnmarkDeep()
	hash, digest := knownString(u, "config_hash"), knownString(u, "image_digest")
	for i := range ins {
		if hash != "" {
			ins[i].ConfigHash = hash
		}
		if digest != "" {
			ins[i].ImageDigest = digest
		}
	}
	return ins
}
