// Package plantext renders a plan as text for a reviewer: what plan,
// apply, destroy, drift and show PLAN print.
//
// The text follows Terraform's conventions so that a reviewer who knows
// Terraform needs no legend: "+ create", "~ update in place", "-/+" and
// "+/-" replace, "- destroy", "<= read"; attribute-level diffs with
// unchanged attributes hidden (and counted); "# forces replacement";
// "(sensitive value)" and "(known after apply)". On top of that, each
// change a provider rolls out in waves lists its waves.
//
// Whole values in a diff are written by the one value printer,
// package hclvalue; this package adds what a diff needs on top of it
// (markers, hidden counts, line diffs of heredocs).
package plantext

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/views/ansi"
	"github.com/berth-sh/berth/views/hclvalue"
	"github.com/zclconf/go-cty/cty"
)

// identifyingAttrs are shown even when unchanged, at the top level of an
// updated or replaced object, so the reader knows which object it is
// (id, name) and, for apps, how many replicas the rollout concerns.
var identifyingAttrs = map[string]bool{"id": true, "name": true, "replicas": true}

// Options say how Render writes a plan.
type Options struct {
	// Color adds ANSI colours.
	Color bool
	// Automation leaves out the hints that name a command for a person to
	// run next: the reader is a pipeline (BERTH_IN_AUTOMATION).
	Automation bool
	// Compact shows each change, and each object changed outside berth,
	// as one line: its symbol, its address and the names of the
	// attributes that change (plan -compact).
	Compact bool
}

// Render writes p as text for a reviewer: the drift found by refresh
// (apart from the changes), the legend, every change other than no-op
// sorted by address, the summary line and the output changes. Compact
// leaves out the legend and the explanations, and writes each change in
// one line.
func Render(w io.Writer, p *plans.Plan, o Options) {
	r := &planRenderer{color: o.Color, automation: o.Automation, compact: o.Compact}
	r.plan(p)
	// A failed write to the terminal leaves nothing useful to report to.
	_, _ = io.WriteString(w, r.b.String())
}

type planRenderer struct {
	b          strings.Builder
	color      bool
	automation bool
	compact    bool
}

func (r *planRenderer) paint(code, s string) string {
	return ansi.Paint(r.color, code, s)
}

func (r *planRenderer) line(s string) {
	r.b.WriteString(s)
	r.b.WriteByte('\n')
}

// symbol returns the coloured marker of a diff line or block.
func (r *planRenderer) symbol(sym string) string {
	switch sym {
	case "+":
		return r.paint(ansi.Green, sym)
	case "-":
		return r.paint(ansi.Red, sym)
	case "~":
		return r.paint(ansi.Yellow, sym)
	case "<=":
		return r.paint(ansi.Cyan, sym)
	case "-/+":
		return r.paint(ansi.Red, "-") + "/" + r.paint(ansi.Green, "+")
	case "+/-":
		return r.paint(ansi.Green, "+") + "/" + r.paint(ansi.Red, "-")
	}
	return sym
}

// marker is the coloured symbol of a change, right-aligned in the three
// columns the widest ("-/+") takes, and a space.
func (r *planRenderer) marker(sym string) string {
	return strings.Repeat(" ", 3-len(sym)) + r.symbol(sym) + " "
}

// actionSymbol is the block marker of an action.
func actionSymbol(a plans.Action) string {
	switch a {
	case plans.Create:
		return "+"
	case plans.Update:
		return "~"
	case plans.Delete:
		return "-"
	case plans.Read:
		return "<="
	case plans.DeleteThenCreate:
		return "-/+"
	case plans.CreateThenDelete:
		return "+/-"
	}
	return " "
}

// legend lines, in Terraform's order.
var legend = []struct {
	action plans.Action
	text   string
}{
	{plans.Create, "create"},
	{plans.Update, "update in place"},
	{plans.Delete, "destroy"},
	{plans.DeleteThenCreate, "destroy and then create replacement"},
	{plans.CreateThenDelete, "create replacement and then destroy"},
	{plans.Read, "read (data resources)"},
}

func (r *planRenderer) plan(p *plans.Plan) {
	changes := plans.Visible(p.Changes)
	drift := plans.Visible(p.Drift)
	var outputs []*plans.OutputChange
	for _, o := range p.Outputs {
		if o.Action != plans.NoOp {
			outputs = append(outputs, o)
		}
	}
	slices.SortFunc(outputs, func(a, b *plans.OutputChange) int { return strings.Compare(a.Name, b.Name) })

	if len(p.Recovered) > 0 {
		r.recovered(p.Recovered)
	}
	switch {
	case len(drift) > 0 && r.compact:
		r.compactDrift(drift)
	case len(drift) > 0:
		r.drift(p, drift)
	}
	// A plan that stopped on an error never claims there is nothing to do:
	// it only shows what it got to.
	if p.Mode == plans.RefreshOnlyMode {
		if len(drift) == 0 && !p.Errored {
			r.noDrift()
		}
		r.errored(p)
		return
	}
	if len(changes) == 0 && len(outputs) == 0 {
		if !p.Errored {
			r.noChanges()
		}
		r.errored(p)
		return
	}

	if len(changes) > 0 && r.compact {
		r.line("")
		r.line("berth will perform the following actions:")
		for _, c := range changes {
			r.line(r.compactLine(c, false))
		}
	} else if len(changes) > 0 {
		used := map[plans.Action]bool{}
		for _, c := range changes {
			used[c.Action] = true
		}
		r.line("")
		r.line("berth used the selected providers to generate the following execution")
		r.line("plan. Resource actions are indicated with the following symbols:")
		for _, l := range legend {
			if used[l.action] {
				r.line(r.marker(actionSymbol(l.action)) + l.text)
			}
		}
		r.line("")
		r.line("berth will perform the following actions:")
		for _, c := range changes {
			r.line("")
			r.change(c, false)
		}
	}
	if len(changes) > 0 {
		s := p.Summarize()
		r.line("")
		r.line(r.paint(ansi.Bold, "Plan:") + fmt.Sprintf(" %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy))
	}
	if len(outputs) > 0 {
		r.line("")
		r.line(r.paint(ansi.Bold, "Changes to Outputs:"))
		if r.compact {
			r.compactOutputs(outputs)
		} else {
			r.outputs(outputs)
		}
		if len(changes) == 0 && !p.Errored {
			r.line("")
			r.line("You can apply this plan to save these new output values to the berth")
			r.line("state, without changing any real infrastructure.")
		}
	}
	r.errored(p)
}

// recovered tells what berth found of an interrupted apply's creates and
// destroys (core.Recover), before the plan.
func (r *planRenderer) recovered(rs []plans.Recovery) {
	r.line("")
	r.line(r.paint(ansi.Bold, "Recovered from an interrupted apply"))
	r.line("")
	r.line("An earlier apply stopped before it recorded what these changes made;")
	r.line("berth looked for the objects and the state now records what exists:")
	r.line("")
	for _, rec := range rs {
		addr := rec.Addr.String()
		if rec.Deposed != "" {
			addr += " (deposed object " + rec.Deposed + ")"
		}
		id := ""
		if rec.ID != "" {
			id = fmt.Sprintf(" (id %q)", rec.ID)
		}
		switch rec.Outcome {
		case plans.RecoveredCreated:
			r.line(fmt.Sprintf("  %s %s: created%s, found by its idempotency key; now recorded", r.symbol("+"), addr, id))
		case plans.RecoveredNotCreated:
			r.line(fmt.Sprintf("  %s %s: the create made nothing", r.symbol("~"), addr))
		case plans.RecoveredPossibleOrphan:
			r.line(fmt.Sprintf("  %s %s: a create was under way, and its provider cannot look objects up by key: an object may exist that the state does not record", r.paint(ansi.Yellow+ansi.Bold, "!"), addr))
		case plans.RecoveredDestroyed:
			r.line(fmt.Sprintf("  %s %s%s: destroyed; no longer recorded", r.symbol("-"), addr, id))
		case plans.RecoveredStillExists:
			r.line(fmt.Sprintf("  %s %s%s: the destroy did not finish; still exists and recorded", r.symbol("~"), addr, id))
		}
	}
}

func (r *planRenderer) noChanges() {
	r.line("")
	r.line(r.paint(ansi.Green+ansi.Bold, "No changes.") + r.paint(ansi.Bold, " Your infrastructure matches the configuration."))
	r.line("")
	r.line("berth has compared your real infrastructure against your configuration")
	r.line("and found no differences, so no changes are needed.")
}

// noDrift ends a refresh-only plan (berth drift, plan -refresh-only) that
// found nothing: it compared the real objects with the state, not with
// the configuration.
func (r *planRenderer) noDrift() {
	r.line("")
	r.line(r.paint(ansi.Green+ansi.Bold, "No changes.") + r.paint(ansi.Bold, " Your infrastructure still matches the state."))
	r.line("")
	r.line("berth has compared your real infrastructure against the state and found")
	r.line("no differences: nothing has changed outside of berth.")
}

func (r *planRenderer) errored(p *plans.Plan) {
	if !p.Errored {
		return
	}
	r.line("")
	r.line(r.paint(ansi.Red+ansi.Bold, "Planning failed.") + r.paint(ansi.Bold, " berth stopped on an error while planning,"))
	r.line("so this plan shows only part of the changes and cannot be applied.")
}

func (r *planRenderer) drift(p *plans.Plan, drift []*plans.ResourceChange) {
	r.line("")
	r.line(r.paint(ansi.Bold, "Note: Objects have changed outside of berth"))
	r.line("")
	r.line("berth detected the following changes made outside of berth since the")
	r.line(`last "berth apply":`)
	for _, c := range drift {
		r.line("")
		r.change(c, true)
	}
	r.line("")
	if p.Mode == plans.RefreshOnlyMode {
		r.line("This is a refresh-only plan, so berth will not take any actions to undo")
		if r.automation {
			r.line("these. Applying it records the updated values in the berth state and")
			r.line("changes no remote objects.")
			return
		}
		r.line("these. If you were expecting these changes, record the updated values in")
		r.line(`the berth state with "berth apply -refresh-only", which changes no remote`)
		r.line(`objects; "berth apply" plans to undo them instead.`)
		return
	}
	r.line("Unless you have made equivalent changes to your configuration, or ignored")
	r.line("the relevant attributes using ignore_changes, the following plan may")
	r.line("include actions to undo or respond to these changes.")
	r.line("")
	r.line(strings.Repeat("─", 77))
}

// changeComment is the "# app.web will be …" line and, for some actions,
// a second line giving the reason.
func changeComment(c *plans.ResourceChange, drift bool) []string {
	addr := c.Addr.String()
	if drift {
		if c.Action == plans.Delete || c.After.IsNull() {
			return []string{addr + " has been deleted"}
		}
		return []string{addr + " has changed"}
	}
	switch c.Action {
	case plans.Create:
		return []string{addr + " will be created"}
	case plans.Read:
		return []string{addr + " will be read during apply"}
	case plans.Update:
		return []string{addr + " will be updated in place"}
	case plans.DeleteThenCreate, plans.CreateThenDelete:
		switch c.Reason {
		case plans.ReasonReplaceRequested:
			return []string{addr + " will be replaced, as requested"}
		case plans.ReasonTainted:
			return []string{addr + " is tainted, so it must be replaced"}
		}
		return []string{addr + " must be replaced"}
	case plans.Delete:
		if c.Deposed != "" {
			return []string{addr + " (deposed object " + c.Deposed + ") will be destroyed",
				"(left behind by a create_before_destroy replacement that could not destroy it)"}
		}
		lines := []string{addr + " will be destroyed"}
		switch c.Reason {
		case plans.ReasonNoConfig:
			lines = append(lines, "(because "+c.Addr.Resource.String()+" is not in configuration)")
		case plans.ReasonCountIndex:
			lines = append(lines, "(because index "+addrs.KeyString(c.Addr.Key)+" is out of range for count)")
		case plans.ReasonEachKey:
			lines = append(lines, "(because key "+addrs.KeyString(c.Addr.Key)+" is not in for_each map)")
		}
		return lines
	}
	return []string{addr}
}

// change writes one object's block.
func (r *planRenderer) change(c *plans.ResourceChange, drift bool) {
	for _, l := range changeComment(c, drift) {
		r.line(r.paint(ansi.Bold, "  # "+l))
	}
	if s := appSummary(c); s != "" && !drift {
		r.line("  # (" + s + ")")
	}
	r.line(r.marker(changeSymbol(c, drift)) + hclvalue.BlockHeader(c.Addr) + " {")

	d, before, after := r.changeDiffer(c, drift)
	lines, hidden := d.objectBody(6, nil, before, after, true)
	for _, l := range lines {
		r.line(l)
	}
	if hidden > 0 {
		r.line(strings.Repeat(" ", 8) + hiddenComment(hidden, "attribute"))
	}
	if (c.Rollout != nil || c.Canary != plans.CanaryNone) && !drift {
		r.line("")
		for _, l := range canaryLines(c.Canary, c.Rollout, c.Routers) {
			r.line(strings.Repeat(" ", 8) + l)
		}
		if c.Rollout != nil && len(c.Rollout.Waves) > 0 {
			for _, l := range rolloutLines(c.Rollout, c.Routers) {
				r.line(strings.Repeat(" ", 8) + l)
			}
		}
	}
	r.line("    }")
}

// changeSymbol is the marker of a change, or of an object changed outside
// berth (drift): "~" when it changed, "-" when it is gone.
func changeSymbol(c *plans.ResourceChange, drift bool) string {
	if !drift {
		return actionSymbol(c.Action)
	}
	if c.Action == plans.Delete || c.After.IsNull() {
		return "-"
	}
	return "~"
}

// changeDiffer returns the differ of a change and the two values it
// compares: a null before for a create or a read, a null after for a
// delete.
func (r *planRenderer) changeDiffer(c *plans.ResourceChange, drift bool) (d *differ, before, after cty.Value) {
	d = &differ{r: r}
	if c.Action.IsReplace() && !drift {
		d.replace = c.RequiresReplace
	}
	d.beforeRed, d.afterRed = c.BeforeRedacted, c.AfterRedacted
	before, after = c.Before, c.After
	if before == cty.NilVal {
		before = cty.NullVal(cty.DynamicPseudoType)
	}
	if after == cty.NilVal || c.Action == plans.Delete {
		after = cty.NullVal(cty.DynamicPseudoType)
	}
	if c.Action == plans.Create || c.Action == plans.Read {
		// A data source read during apply has no prior value worth diffing.
		before = cty.NullVal(cty.DynamicPseudoType)
	}
	return d, before, after
}

func hiddenComment(n int, what string) string {
	if n != 1 {
		what += "s"
	}
	return fmt.Sprintf("# (%d unchanged %s hidden)", n, what)
}

func (r *planRenderer) outputs(outputs []*plans.OutputChange) {
	d := &differ{r: r}
	var entries []hclvalue.Entry
	for _, o := range outputs {
		before, after := o.Before, o.After
		if before == cty.NilVal {
			before = cty.NullVal(cty.DynamicPseudoType)
		}
		if after == cty.NilVal || o.Action == plans.Delete {
			after = cty.NullVal(cty.DynamicPseudoType)
		}
		if o.Sensitive {
			before, after = before.Mark(providers.SensitiveMark), after.Mark(providers.SensitiveMark)
		}
		d.beforeRed, d.afterRed = o.BeforeRedacted, o.AfterRedacted
		e, st := d.diff(2, nil, before, after, true)
		if st == stateSkip {
			continue
		}
		e.Key = o.Name
		entries = append(entries, e.Entry)
	}
	for _, l := range d.entryLines(2, entries) {
		r.line(l)
	}
}
