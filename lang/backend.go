package lang

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

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
