package core

import (
	"fmt"
	"slices"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/hashicorp/hcl/v2"
)

// sortChanges orders cs by address; stable, so that the destroy of a
// deposed object, added after the walk, follows its instance's change.
func sortChanges(cs []*plans.ResourceChange) {
	slices.SortStableFunc(cs, func(a, b *plans.ResourceChange) int { return a.Addr.Compare(b.Addr) })
}

func targetSet(ts []addrs.Instance) map[string]bool {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ts))
	for _, t := range ts {
		m[t.String()] = true
	}
	return m
}

// resourceAddr is the address of a configuration block.
func resourceAddr(r *lang.Resource) addrs.Resource {
	mode := addrs.Managed
	if r.Mode == lang.DataMode {
		mode = addrs.Data
	}
	return addrs.Resource{Mode: mode, Type: r.Type, Name: r.Name}
}

// blockSchema returns the schema a resource block's configuration is
// decoded with — the built-in one of a domain block, or the provider's —
// and the provider's name of the type.
func blockSchema(entry *providerEntry, r *lang.Resource) (*lang.BlockSchema, string, hcl.Diagnostics) {
	if s := lang.DomainSchema(r.Kind); s != nil {
		return s, r.Type, nil
	}
	ps, typeName, ok := entry.resourceSchema(r.Kind, r.Type)
	if !ok || ps.Block == nil {
		what := "resource type"
		if r.Mode == lang.DataMode {
			what = "data source"
		}
		return nil, typeName, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown " + what,
			Detail:   fmt.Sprintf("Provider %s has no %s %q (configuration type %q).", entry.name, what, typeName, r.Type),
			Subject:  r.TypeRange.Ptr(),
		}}
	}
	return lang.SchemaFromProvider(ps.Block), typeName, nil
}

// resourceDependencies lists the resources a block depends on, directly.
func resourceDependencies(gr *graph, r *lang.Resource) []addrs.Resource {
	id, ok := gr.index[r.Addr()]
	if !ok {
		return nil
	}
	var out []addrs.Resource
	for _, d := range gr.g.Dependencies(id) {
		v := gr.g.Vertex(d)
		if v.kind == vResource {
			out = append(out, resourceAddr(v.res))
		}
	}
	slices.SortFunc(out, addrs.Resource.Compare)
	return out
}

// instanceName is the name a platform gives an instance of a domain block:
// the block's name, with the instance key ("web", "web-0", "web-eu").
func instanceName(addr addrs.Instance) string {
	switch k := addr.Key.(type) {
	case addrs.IntKey:
		return fmt.Sprintf("%s-%d", addr.Resource.Name, int(k))
	case addrs.StringKey:
		return addr.Resource.Name + "-" + string(k)
	}
	return addr.Resource.Name
}
