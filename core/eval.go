package core

import (
	"sync"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/lang"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// evalData holds the values that references resolve to during a walk:
// variables, locals, clusters, registries, probes, and each resource's
// value (planned values during plan, new state during apply). The graph
// guarantees a value is stored before anything referring to it runs.
type evalData struct {
	mu     sync.RWMutex
	values map[string]cty.Value
}

func newEvalData() *evalData {
	return &evalData{values: map[string]cty.Value{}}
}

func (d *evalData) set(addr string, v cty.Value) {
	d.mu.Lock()
	d.values[addr] = v
	d.mu.Unlock()
}

func (d *evalData) get(addr string) (cty.Value, bool) {
	d.mu.RLock()
	v, ok := d.values[addr]
	d.mu.RUnlock()
	return v, ok
}

// ReferenceValue implements lang.Data.
func (d *evalData) ReferenceValue(ref *lang.Reference) (cty.Value, hcl.Diagnostics) {
	if v, ok := d.get(ref.Addr()); ok {
		return v, nil
	}
	// Skipped by -target, or failed earlier (its own error is reported):
	// unknown keeps evaluation going without a second, misleading error.
	return cty.DynamicVal, nil
}

// registries returns every evaluated registry, for lang.ImageRegistry.
func (d *evalData) registries(cfg *lang.Config) []cty.Value {
	var out []cty.Value
	for name := range cfg.Registries {
		if v, ok := d.get("registry." + name); ok {
			out = append(out, v)
		}
	}
	return out
}

// resourceValue combines instance values into what a reference to the
// whole resource sees: the single object, a tuple for count, an object
// keyed by each.key for for_each.
func resourceValue(r *lang.Resource, keys []addrs.InstanceKey, vals map[addrs.InstanceKey]cty.Value) cty.Value {
	switch {
	case r.Count != nil:
		elems := make([]cty.Value, len(keys))
		for i, k := range keys {
			elems[i] = vals[k]
		}
		if len(elems) == 0 {
			return cty.EmptyTupleVal
		}
		return cty.TupleVal(elems)
	case r.ForEach != nil:
		m := make(map[string]cty.Value, len(keys))
		for _, k := range keys {
			m[string(k.(addrs.StringKey))] = vals[k]
		}
		if len(m) == 0 {
			return cty.EmptyObjectVal
		}
		return cty.ObjectVal(m)
	default:
		if v, ok := vals[addrs.NoKey]; ok {
			return v
		}
		return cty.DynamicVal
	}
}
