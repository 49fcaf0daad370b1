package core

import (
	"fmt"
	"sort"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/lang"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// expansion is a resource block's instances after count / for_each.
type expansion struct {
	r       *lang.Resource
	cfg     *lang.Config
	data    lang.Data
	keys    []addrs.InstanceKey
	index   map[addrs.InstanceKey]bool
	eachVal map[string]cty.Value
}

// scope returns the evaluation scope of one instance.
func (x *expansion) scope(key addrs.InstanceKey) *lang.Scope {
	s := &lang.Scope{Data: x.data, BaseDir: x.cfg.Dir, Workspace: x.cfg.Workspace}
	switch k := key.(type) {
	case addrs.IntKey:
		s.CountIndex = cty.NumberIntVal(int64(k))
	case addrs.StringKey:
		s.EachKey = cty.StringVal(string(k))
		s.EachValue = x.eachVal[string(k)]
	}
	return s
}

// expand evaluates count / for_each. Their values must be known at plan
// time (as in Terraform): the instances are what the plan is about.
func expand(r *lang.Resource, cfg *lang.Config, data lang.Data) (*expansion, hcl.Diagnostics) {
	x := &expansion{r: r, cfg: cfg, data: data, index: map[addrs.InstanceKey]bool{}}
	meta := &lang.Scope{Data: data, BaseDir: cfg.Dir, Workspace: cfg.Workspace}
	switch {
	case r.Count != nil:
		v, diags := meta.EvalExpr(r.Count, cty.Number)
		if diags.HasErrors() {
			return nil, diags
		}
		v, _ = v.Unmark()
		if !v.IsKnown() {
			return nil, unknownMeta(r.Count, "count")
		}
		if err := lang.CheckCount(v); err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid count argument",
				Detail: err.Error(), Subject: r.Count.Range().Ptr()}}
		}
		n, _ := v.AsBigFloat().Int64()
		x.keys = make([]addrs.InstanceKey, n)
		for i := range x.keys {
			x.keys[i] = addrs.IntKey(i)
			x.index[x.keys[i]] = true
		}
	case r.ForEach != nil:
		v, diags := meta.EvalExpr(r.ForEach, cty.DynamicPseudoType)
		if diags.HasErrors() {
			return nil, diags
		}
		v, _ = v.Unmark()
		if !v.IsWhollyKnown() {
			return nil, unknownMeta(r.ForEach, "for_each")
		}
		t := v.Type()
		if v.IsNull() || !(t.IsMapType() || t.IsObjectType() || t.IsSetType()) {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid for_each argument",
				Detail: "for_each takes a map, or a set of strings.", Subject: r.ForEach.Range().Ptr()}}
		}
		x.eachVal = map[string]cty.Value{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			if t.IsSetType() {
				if k.Type() != cty.String {
					return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid for_each argument",
						Detail: fmt.Sprintf("A set given to for_each must hold strings, not %s.", k.Type().FriendlyName()), Subject: r.ForEach.Range().Ptr()}}
				}
				ev = k
			}
			key := k.AsString()
			x.eachVal[key] = ev
			x.keys = append(x.keys, addrs.StringKey(key))
			x.index[addrs.StringKey(key)] = true
		}
		sort.Slice(x.keys, func(i, j int) bool { return addrs.KeyLess(x.keys[i], x.keys[j]) })
	default:
		x.keys = []addrs.InstanceKey{addrs.NoKey}
		x.index[addrs.NoKey] = true
	}
	return x, nil
}

func unknownMeta(expr hcl.Expression, name string) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s argument", name),
		Detail: fmt.Sprintf("The %s value depends on values that are only known after apply, so berth cannot tell how many instances to plan. "+
			"Apply the objects it depends on first with -target, or use values known at plan time.", name),
		Subject: expr.Range().Ptr(),
	}}
}
