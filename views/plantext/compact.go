package plantext

import (
	"strings"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/views/ansi"
	"github.com/berth-sh/berth/views/hclvalue"
	"github.com/zclconf/go-cty/cty"
)

// compactDrift lists the objects changed outside berth, one line each
// (Options.Compact).
func (r *planRenderer) compactDrift(drift []*plans.ResourceChange) {
	r.line("")
	r.line(r.paint(ansi.Bold, "Note: Objects have changed outside of berth"))
	r.line("")
	for _, c := range drift {
		r.line(r.compactLine(c, true))
	}
}

// compactLine is a change, or an object changed outside berth (drift), in
// one line: "  ~ app.web  image, replicas". A create, a destroy and a read
// name no attribute: all of them are new, or gone. Why an object is
// replaced, when the attributes do not say it, and the part of a canary
// rollout come first, in parentheses.
func (r *planRenderer) compactLine(c *plans.ResourceChange, drift bool) string {
	sym := changeSymbol(c, drift)
	line := r.marker(sym) + c.ChangeKey()
	var notes []string
	if !drift {
		switch c.Reason {
		case plans.ReasonTainted:
			notes = append(notes, "(tainted)")
		case plans.ReasonReplaceRequested:
			notes = append(notes, "(replace requested)")
		}
		if note, ok := canaryNotes[c.Canary]; ok {
			notes = append(notes, note)
		}
	}
	if sym == "~" || c.Action.IsReplace() {
		notes = append(notes, r.changedAttrs(c, drift)...)
	}
	if len(notes) > 0 {
		line += "  " + strings.Join(notes, ", ")
	}
	return line
}

// canaryNotes say in a compact line which part of a canary rollout a
// change carries out (canaryLines says it in full).
var canaryNotes = map[plans.CanaryPart]string{
	plans.CanaryStart:   "(canary)",
	plans.CanaryPromote: "(promote canary)",
	plans.CanaryAbort:   "(abort canary)",
	plans.CanaryReplan:  "(abort canary first)",
}

// changedAttrs names the top-level attributes that change, by name,
// marking those that force the replacement.
func (r *planRenderer) changedAttrs(c *plans.ResourceChange, drift bool) []string {
	d, before, after := r.changeDiffer(c, drift)
	var names []string
	for _, n := range attrNames(before, after) {
		if !d.changed(cty.GetAttrPath(n), attrOf(before, n), attrOf(after, n)) {
			continue
		}
		name := hclvalue.AttrName(n)
		if d.forcesReplacementUnder(n) {
			name += " " + r.paint(ansi.Red, "(forces replacement)")
		}
		names = append(names, name)
	}
	return names
}

// forcesReplacementUnder reports whether a change of attribute n, or of
// something in it, forces the replacement.
func (d *differ) forcesReplacementUnder(n string) bool {
	for _, p := range d.replace {
		if len(p) > 0 && p[0] == (cty.GetAttrStep{Name: n}) {
			return true
		}
	}
	return false
}

// compactOutputs lists the output changes, one name a line.
func (r *planRenderer) compactOutputs(outputs []*plans.OutputChange) {
	for _, o := range outputs {
		r.line(r.marker(actionSymbol(o.Action)) + o.Name)
	}
}
