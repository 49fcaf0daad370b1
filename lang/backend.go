package lang

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/berth-sh/berth/state/backend"
)

// Backend is the state backend block, backend "local" { path = "..." }:
// which of the backends of this build (package state/backend) stores the
// state, and its configuration.
type Backend struct {
	Type   string
	Config hcl.Body
	// Value is Config decoded with the backend's schema, defaults
	// applied; cty.NilVal when Type is not a backend of this build.
	Value     cty.Value
	DeclRange hcl.Range
	TypeRange hcl.Range
}

// decodeBackend reads a backend block: its type must be a backend of this
// build, and its body must match that backend's schema. The body is
// decoded without variables or functions: the state must be found before
// anything is evaluated.
func decodeBackend(bb *hcl.Block) (*Backend, hcl.Diagnostics) {
	b := &Backend{Type: bb.Labels[0], Config: bb.Body, DeclRange: bb.DefRange, TypeRange: bb.LabelRanges[0]}
	spec, ok := backend.Lookup(b.Type)
	if !ok {
		return b, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown backend type",
			Detail:   fmt.Sprintf("%q is not a backend of this build of berth, which has %s.%s", b.Type, backendList(), didYouMean(b.Type, backend.Names())),
			Subject:  b.TypeRange.Ptr(),
		}}
	}
	var diags hcl.Diagnostics
	b.Value, diags = SchemaFromProvider(spec.Schema).Decode(bb.Body, nil)
	return b, diags
}

// backendList names the backends of this build for messages.
func backendList() string {
	names := backend.Names()
	switch len(names) {
	case 0:
		return "none"
	case 1:
		return "only " + strconv.Quote(names[0])
	}
	return strings.Replace(quoteList(names), " or ", " and ", 1)
}

// StateBackend returns the backend that stores cfg's state: its backend
// block, or, when it has none (or there is no configuration: cfg nil),
// the default backend with its default configuration.
func StateBackend(cfg *Config) (*Backend, hcl.Diagnostics) {
	if cfg != nil && cfg.Berth != nil && cfg.Berth.Backend != nil {
		return cfg.Berth.Backend, nil
	}
	spec, ok := backend.Default()
	if !ok {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No state backend",
			Detail:   fmt.Sprintf("The configuration names no backend, and this build of berth has no default one; add a backend block (this build has %s).", backendList()),
		}}
	}
	body := hcl.EmptyBody()
	v, diags := SchemaFromProvider(spec.Schema).Decode(body, nil)
	return &Backend{Type: spec.Name, Config: body, Value: v}, diags
}

// Digest identifies the block's configuration (its type and decoded
// values), so that a block changed since "berth init" is noticed.
func (b *Backend) Digest() string {
	h := sha256.New()
	h.Write([]byte(b.Type))
	h.Write([]byte{0})
	if b.Value != cty.NilVal {
		if data, err := EncodeBackendConfig(b); err == nil {
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WithOverrides returns a copy of b whose attributes named in overrides
// (the -backend-config values of "berth init") have those values.
func (b *Backend) WithOverrides(overrides map[string]cty.Value) *Backend {
	if len(overrides) == 0 || b.Value == cty.NilVal || !b.Value.Type().IsObjectType() {
		return b
	}
	attrs := b.Value.AsValueMap()
	if attrs == nil {
		attrs = map[string]cty.Value{}
	}
	for name, v := range overrides {
		attrs[name] = v
	}
	out := *b
	out.Value = cty.ObjectVal(attrs)
	return &out
}

// ParseBackendConfig reads one -backend-config argument for a backend of
// type typ: KEY=VALUE, or the path (relative to dir) of an HCL file of
// attributes. A value is taken as a string when the attribute is a
// string, and as an HCL expression (a number, a bool, a list) otherwise.
// The values are converted to the attributes' types; an attribute the
// backend does not have is an error.
func ParseBackendConfig(typ, arg, dir string) (map[string]cty.Value, hcl.Diagnostics) {
	spec, ok := backend.Lookup(typ)
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown backend type",
			Detail: fmt.Sprintf("%q is not a backend of this build of berth, which has %s.", typ, backendList())}}
	}
	out := map[string]cty.Value{}
	attrType := func(name string, rng *hcl.Range) (cty.Type, hcl.Diagnostics) {
		a := spec.Schema.Attributes[name]
		if a == nil {
			names := make([]string, 0, len(spec.Schema.Attributes))
			for n := range spec.Schema.Attributes {
				names = append(names, n)
			}
			return cty.NilType, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported backend setting",
				Detail:  fmt.Sprintf("The %s backend has no setting %q.%s", typ, name, didYouMean(name, names)),
				Subject: rng}}
		}
		return a.Type, nil
	}
	if key, value, isPair := strings.Cut(arg, "="); isPair {
		key = strings.TrimSpace(key)
		ty, diags := attrType(key, nil)
		if diags.HasErrors() {
			return nil, diags
		}
		var v cty.Value
		if ty == cty.String {
			v = cty.StringVal(value)
		} else {
			expr, d := hclsyntax.ParseExpression([]byte(value), "-backend-config", hcl.InitialPos)
			if d.HasErrors() {
				return nil, d
			}
			ev, d := expr.Value(nil)
			if d.HasErrors() {
				return nil, d
			}
			v = ev
		}
		cv, err := convert.Convert(v, ty)
		if err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid backend setting",
				Detail: fmt.Sprintf("-backend-config %s: %s.", key, err)}}
		}
		out[key] = cv
		return out, nil
	}
	path := arg
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read a backend configuration file",
			Detail: fmt.Sprintf("-backend-config %s: %s. The argument is KEY=VALUE or the path of a file of settings.", arg, err)}}
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	attrs, d := f.Body.JustAttributes()
	diags = append(diags, d...)
	for _, name := range sortedKeys(attrs) {
		a := attrs[name]
		ty, d := attrType(name, a.NameRange.Ptr())
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		v, d := a.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		cv, err := convert.Convert(v, ty)
		if err != nil {
			diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid backend setting",
				Detail: fmt.Sprintf("%s: %s.", name, err), Subject: a.Expr.Range().Ptr()})
			continue
		}
		out[name] = cv
	}
	return out, diags
}

// EncodeBackendOverrides turns -backend-config values into JSON, each in
// cty's JSON encoding of its attribute's type, for "berth init" to record.
func EncodeBackendOverrides(overrides map[string]cty.Value) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(overrides))
	for name, v := range overrides {
		v, _ = v.UnmarkDeep()
		data, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, fmt.Errorf("-backend-config %s: %w", name, err)
		}
		out[name] = data
	}
	return out, nil
}

// DecodeBackendOverrides reads what EncodeBackendOverrides wrote, for a
// backend of type typ; attributes the backend no longer has are an error.
func DecodeBackendOverrides(typ string, in map[string]json.RawMessage) (map[string]cty.Value, error) {
	spec, ok := backend.Lookup(typ)
	if !ok {
		return nil, fmt.Errorf("%q is not a backend of this build of berth", typ)
	}
	out := make(map[string]cty.Value, len(in))
	for name, data := range in {
		a := spec.Schema.Attributes[name]
		if a == nil {
			return nil, fmt.Errorf("the %s backend has no setting %q", typ, name)
		}
		v, err := ctyjson.Unmarshal(data, a.Type)
		if err != nil {
			return nil, fmt.Errorf("setting %s: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// EncodeBackendConfig is b's whole configuration in cty's JSON encoding,
// for "berth init" to record (workdir.Backend.Config).
func EncodeBackendConfig(b *Backend) (json.RawMessage, error) {
	v, _ := b.Value.UnmarkDeep()
	return ctyjson.Marshal(v, v.Type())
}

// DecodeBackendConfig reads what EncodeBackendConfig wrote for a backend
// of type typ.
func DecodeBackendConfig(typ string, data json.RawMessage) (*Backend, error) {
	spec, ok := backend.Lookup(typ)
	if !ok {
		return nil, fmt.Errorf("%q is not a backend of this build of berth", typ)
	}
	v, err := ctyjson.Unmarshal(data, SchemaFromProvider(spec.Schema).ImpliedType())
	if err != nil {
		return nil, fmt.Errorf("the recorded %s backend settings: %w", typ, err)
	}
	return &Backend{Type: typ, Config: hcl.EmptyBody(), Value: v}, nil
}
