// Package addrs holds the addresses of the objects berth manages: resources
// (app.web, acmedns_record.www, data.x.y) and their instances (app.web[0],
// app.web["eu"]). The engine, the state and the CLI (-target, -replace,
// state subcommands) all use these types, so an address is parsed and
// printed in exactly one way.
//
// Addresses are plain comparable values: they are used as map keys by the
// state and the engine's graph.
package addrs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Mode says whether berth manages an object or only reads it.
type Mode uint8

// Resource modes.
const (
	// Managed objects are created, updated and destroyed by berth: the
	// domain blocks (app, scaling_policy, load_balancer) and resource blocks.
	Managed Mode = iota
	// Data objects are read-only data sources (data "type" "name").
	Data
)

// String returns the mode as written in the state file.
func (m Mode) String() string {
	if m == Data {
		return "data"
	}
	return "managed"
}

// Domain block kinds whose address is "<kind>.<name>". Their resource type
// is the kind itself, which is why a provider must not name a resource type
// after one of them (lang rejects `resource "app" ...`).
const (
	KindApp           = "app"
	KindScalingPolicy = "scaling_policy"
	KindLoadBalancer  = "load_balancer"
	// KindResource is the kind of a `resource "type" "name"` block.
	KindResource = "resource"
	// KindData is the kind of a `data "type" "name"` block.
	KindData = "data"
)

// IsDomainKind reports whether typ is one of the domain block kinds that
// are addressed without a "resource" prefix.
func IsDomainKind(typ string) bool {
	switch typ {
	case KindApp, KindScalingPolicy, KindLoadBalancer:
		return true
	}
	return false
}

// Resource is the address of a resource block: every instance created from
// it by count or for_each shares it.
type Resource struct {
	Mode Mode
	// Type is the resource type: a domain kind ("app") or a provider's
	// resource or data source type ("acmedns_record").
	Type string
	Name string
}

// Kind returns the kind of block the resource was declared with: one of the
// domain kinds, KindResource or KindData.
func (r Resource) Kind() string {
	if r.Mode == Data {
		return KindData
	}
	if IsDomainKind(r.Type) {
		return r.Type
	}
	return KindResource
}

// String returns the address as written in configuration: "app.web",
// "acmedns_record.www", "data.x.y".
func (r Resource) String() string {
	if r.Mode == Data {
		return "data." + r.Type + "." + r.Name
	}
	return r.Type + "." + r.Name
}

// Compare is Less as slices.SortFunc wants it: -1, 0 or +1.
func (r Resource) Compare(o Resource) int {
	switch {
	case r == o:
		return 0
	case r.Less(o):
		return -1
	}
	return 1
}

// Instance returns the address of one instance of r.
func (r Resource) Instance(key InstanceKey) Instance {
	return Instance{Resource: r, Key: key}
}

// Less orders resources as the state file and `berth state list` do:
// managed before data, then by type, then by name.
func (r Resource) Less(o Resource) bool {
	if r.Mode != o.Mode {
		return r.Mode < o.Mode
	}
	if r.Type != o.Type {
		return r.Type < o.Type
	}
	return r.Name < o.Name
}

// InstanceKey distinguishes the instances of one resource: NoKey (no count
// or for_each), an IntKey (count) or a StringKey (for_each).
type InstanceKey interface {
	instanceKey()
	// String returns the key as written in an address: "[0]", `["eu"]`,
	// or "" for NoKey.
	String() string
	// Value returns count.index or each.key as a cty value (cty.NilVal for NoKey).
	Value() cty.Value
}

// NoKey is the key of a resource without count or for_each.
var NoKey InstanceKey

// IntKey is the key of an instance created by count.
type IntKey int

func (IntKey) instanceKey() {}

// String returns "[N]".
func (k IntKey) String() string { return "[" + strconv.Itoa(int(k)) + "]" }

// Value returns the key as a cty number.
func (k IntKey) Value() cty.Value { return cty.NumberIntVal(int64(k)) }

// StringKey is the key of an instance created by for_each.
type StringKey string

func (StringKey) instanceKey() {}

// String returns the key quoted as an HCL string: `["eu"]`.
func (k StringKey) String() string { return "[" + quote(string(k)) + "]" }

// Value returns the key as a cty string.
func (k StringKey) Value() cty.Value { return cty.StringVal(string(k)) }

// KeyString returns key.String(), or "" for NoKey.
func KeyString(key InstanceKey) string {
	if key == nil {
		return ""
	}
	return key.String()
}

// KeyLess orders instance keys: NoKey first, then int keys ascending, then
// string keys lexically.
func KeyLess(a, b InstanceKey) bool {
	rank := func(k InstanceKey) int {
		switch k.(type) {
		case nil:
			return 0
		case IntKey:
			return 1
		default:
			return 2
		}
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra < rb
	}
	switch a := a.(type) {
	case IntKey:
		return a < b.(IntKey)
	case StringKey:
		return a < b.(StringKey)
	}
	return false
}

// Instance is the address of one instance of a resource.
type Instance struct {
	Resource Resource
	Key      InstanceKey
}

// String returns the address as written in configuration and on the
// command line: "app.web", "app.web[0]", `app.web["eu"]`.
func (i Instance) String() string {
	if i.Key == nil {
		return i.Resource.String()
	}
	return i.Resource.String() + i.Key.String()
}

// Less orders instances by resource, then key.
func (i Instance) Less(o Instance) bool {
	if i.Resource != o.Resource {
		return i.Resource.Less(o.Resource)
	}
	return KeyLess(i.Key, o.Key)
}

// Compare is Less as slices.SortFunc wants it: -1, 0 or +1.
func (i Instance) Compare(o Instance) int {
	switch {
	case i == o:
		return 0
	case i.Less(o):
		return -1
	}
	return 1
}

// CompareKeys is KeyLess as slices.SortFunc wants it: -1, 0 or +1.
func CompareKeys(a, b InstanceKey) int {
	switch {
	case a == b:
		return 0
	case KeyLess(a, b):
		return -1
	}
	return 1
}

// quote writes s as an HCL/JSON string literal. HCL would read "${" and
// "%{" as template sequences, so they are escaped as "$${" and "%%{".
func quote(s string) string {
	q := strconv.Quote(s)
	if strings.Contains(q, "${") || strings.Contains(q, "%{") {
		q = strings.ReplaceAll(q, "${", "$${")
		q = strings.ReplaceAll(q, "%{", "%%{")
	}
	return q
}

// ParseResource parses a resource address such as "app.web" or
// "data.x.y". An instance key is an error.
func ParseResource(s string) (Resource, error) {
	inst, err := ParseInstance(s)
	if err != nil {
		return Resource{}, err
	}
	if inst.Key != nil {
		return Resource{}, fmt.Errorf("invalid resource address %q: an instance key is not allowed here", s)
	}
	return inst.Resource, nil
}

// ParseInstance parses an instance address as written on the command line:
// "app.web", "app.web[0]", `app.web["eu"]`, "acmedns_record.www",
// "data.x.y". The syntax is HCL's, so keys are quoted like in configuration.
func ParseInstance(s string) (Instance, error) {
	trav, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.InitialPos)
	if diags.HasErrors() {
		return Instance{}, fmt.Errorf("invalid address %q: %s", s, diags[0].Summary+": "+diags[0].Detail)
	}
	inst, err := InstanceFromTraversal(trav)
	if err != nil {
		return Instance{}, fmt.Errorf("invalid address %q: %w", s, err)
	}
	return inst, nil
}

// InstanceFromTraversal converts an absolute HCL traversal (as found in
// depends_on or -target) into an instance address.
func InstanceFromTraversal(trav hcl.Traversal) (Instance, error) {
	var parts []string
	i := 0
	for ; i < len(trav); i++ {
		switch step := trav[i].(type) {
		case hcl.TraverseRoot:
			parts = append(parts, step.Name)
			continue
		case hcl.TraverseAttr:
			parts = append(parts, step.Name)
			continue
		}
		break
	}
	var r Resource
	switch {
	case len(parts) == 3 && parts[0] == "data":
		r = Resource{Mode: Data, Type: parts[1], Name: parts[2]}
	case len(parts) == 3 && parts[0] == "resource":
		// `resource.type.name` is accepted as a long form of `type.name`.
		r = Resource{Mode: Managed, Type: parts[1], Name: parts[2]}
	case len(parts) == 2 && parts[0] != "data" && parts[0] != "resource":
		r = Resource{Mode: Managed, Type: parts[0], Name: parts[1]}
	default:
		return Instance{}, fmt.Errorf("a resource address is TYPE.NAME, KIND.NAME or data.TYPE.NAME, optionally followed by [KEY]")
	}
	rest := trav[i:]
	if len(rest) == 0 {
		return Instance{Resource: r}, nil
	}
	if len(rest) > 1 {
		return Instance{}, fmt.Errorf("unexpected %s after the instance key", describeStep(rest[1]))
	}
	idx, ok := rest[0].(hcl.TraverseIndex)
	if !ok {
		return Instance{}, fmt.Errorf("unexpected %s after the resource name", describeStep(rest[0]))
	}
	key, err := ParseInstanceKey(idx.Key)
	if err != nil {
		return Instance{}, err
	}
	return Instance{Resource: r, Key: key}, nil
}

func describeStep(s hcl.Traverser) string {
	switch s.(type) {
	case hcl.TraverseAttr:
		return "attribute access"
	case hcl.TraverseIndex:
		return "index"
	}
	return "traversal step"
}

// ParseInstanceKey converts a count.index or each.key value into a key:
// a whole number gives an IntKey, a string a StringKey.
func ParseInstanceKey(v cty.Value) (InstanceKey, error) {
	if v.IsNull() || !v.IsKnown() {
		return nil, fmt.Errorf("an instance key must be a known number or string")
	}
	switch v.Type() {
	case cty.String:
		return StringKey(v.AsString()), nil
	case cty.Number:
		bf := v.AsBigFloat()
		i, acc := bf.Int64()
		if !bf.IsInt() || acc != 0 || i < 0 || int64(int(i)) != i {
			return nil, fmt.Errorf("an instance key number must be a non-negative whole number, not %s", bf.Text('f', -1))
		}
		return IntKey(int(i)), nil
	}
	return nil, fmt.Errorf("an instance key must be a number or a string, not %s", v.Type().FriendlyName())
}
