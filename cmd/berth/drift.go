package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/berth-sh/berth/core/plans"
	"github.com/zclconf/go-cty/cty"
)

func init() {
	register(&Command{
		Name:     "drift",
		Synopsis: "Check whether the real objects still match the state",
		Run:      runDrift,
	})
}

// runDrift makes a refresh-only plan and reports what changed outside
// berth: exit 0 when reality matches the state, 2 when it drifted, 1 on
// error. It changes nothing, not even the state.
func runDrift(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("drift")
	var o opFlags
	o.register(fs, false)
	fs.Var(varsFlag{"var", &o.vars}, "var", "set an input variable: `NAME=VALUE` (repeatable)")
	fs.Var(varsFlag{"var-file", &o.vars}, "var-file", "read input variables from `FILE` (repeatable)")
	fs.Var(&o.targets, "target", "check only `ADDRESS` (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: berth [-chdir=DIR] drift [-json] [options]\n\n"+
			"Reads every recorded object from its provider and reports the ones that\n"+
			"changed outside berth. Exit status 0 when none did, 2 when some did, 1 on\n"+
			"error. With -json, prints a drift report (docs/json-output.md).\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if o.noColor {
		m.Color = false
	}
	if fs.NArg() > 0 {
		m.Errorf("drift takes no arguments, got %q.", fs.Arg(0))
		return exitError
	}
	o.refresh, o.refreshOnly = true, true
	p, w, diags := m.makePlan(ctx, &o, "")
	if p == nil || diags.HasErrors() {
		m.report(&o, diags, w.files())
		return exitError
	}
	report := newDriftReport(p)
	if o.json {
		b, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			m.Errorf("encoding the report: %s", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(b))
	} else {
		renderPlan(m.Stdout, p, m.Color)
	}
	m.report(&o, diags, w.files())
	if report.Drifted {
		return exitChanges
	}
	return exitOK
}

// driftReport is the document `berth drift -json` prints.
type driftReport struct {
	FormatVersion string        `json:"format_version"`
	Drifted       bool          `json:"drifted"`
	Objects       []driftObject `json:"objects"`
}

type driftObject struct {
	Address string `json:"address"`
	// Action is "update" (the object changed) or "delete" (it is gone).
	Action     string           `json:"action"`
	Attributes []driftAttribute `json:"attributes"`
}

// driftAttribute is one changed attribute: its value as recorded in the
// state and as found live. Sensitive values are never shown: both are
// null and Sensitive is true.
type driftAttribute struct {
	Path      string `json:"path"`
	Recorded  any    `json:"recorded"`
	Live      any    `json:"live"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// newDriftReport lists the plan's drift, by address, with the leaf
// attributes that differ.
func newDriftReport(p *plans.Plan) driftReport {
	r := driftReport{FormatVersion: jsonFormatVersion, Objects: []driftObject{}}
	for _, c := range visibleChanges(p.Drift) {
		obj := driftObject{Address: c.Addr.String(), Action: string(c.Action), Attributes: []driftAttribute{}}
		if c.Action != plans.Delete {
			driftLeaves(nil, c.Before, c.After, &obj.Attributes)
		}
		r.Objects = append(r.Objects, obj)
	}
	sort.Slice(r.Objects, func(i, j int) bool { return r.Objects[i].Address < r.Objects[j].Address })
	r.Drifted = len(r.Objects) > 0
	return r
}

// driftLeaves appends the differing attributes of before and after under
// path: objects and maps are descended into, anything else is compared
// whole.
func driftLeaves(path cty.Path, before, after cty.Value, out *[]driftAttribute) {
	sensitive := isSensitive(before) || isSensitive(after)
	ub, ua := unmarkDeep(before), unmarkDeep(after)
	if ub.RawEquals(ua) {
		return
	}
	if !sensitive && !ub.IsNull() && !ua.IsNull() && ub.IsKnown() && ua.IsKnown() &&
		(ub.Type().IsObjectType() || ub.Type().IsMapType()) && (ua.Type().IsObjectType() || ua.Type().IsMapType()) {
		keys := map[string]bool{}
		for k := range ub.AsValueMap() {
			keys[k] = true
		}
		for k := range ua.AsValueMap() {
			keys[k] = true
		}
		names := sortedKeys(keys)
		for _, k := range names {
			var step cty.PathStep = cty.GetAttrStep{Name: k}
			if ub.Type().IsMapType() {
				step = cty.IndexStep{Key: cty.StringVal(k)}
			}
			driftLeaves(extend(path, step), elemOrNull(before, k), elemOrNull(after, k), out)
		}
		return
	}
	a := driftAttribute{Path: plans.FormatPath(path), Sensitive: sensitive}
	if !sensitive {
		a.Recorded, _, _ = jsonValue(before)
		a.Live, _, _ = jsonValue(after)
	}
	*out = append(*out, a)
}

// elemOrNull returns the attribute or element k of an object or map, or
// a dynamic null when it has none. Marks on v are kept on the element.
func elemOrNull(v cty.Value, k string) cty.Value {
	uv, marks := v.Unmark()
	if uv.IsNull() {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	m := uv.AsValueMap()
	e, ok := m[k]
	if !ok {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return e.WithMarks(marks)
}
