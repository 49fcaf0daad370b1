package main

// Rendering of plans: the text a reviewer reads (renderPlan) and the JSON
// document machines read (newJSONPlan, writePlanJSON), used by plan, apply,
// destroy, drift and show.
//
// The text follows Terraform's conventions so that a reviewer who knows
// Terraform needs no legend: "+ create", "~ update in place", "-/+" and
// "+/-" replace, "- destroy", "<= read"; attribute-level diffs with
// unchanged attributes hidden (and counted); "# forces replacement";
// "(sensitive value)" and "(known after apply)". On top of that, each
// change a provider rolls out in waves lists its waves.

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/version"
	"github.com/zclconf/go-cty/cty"
)

// ANSI escapes used by the renderers.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// Placeholders shown instead of values.
const (
	sensitivePlaceholder = "(sensitive value)"
	unknownPlaceholder   = "(known after apply)"
)

// identifyingAttrs are shown even when unchanged, at the top level of an
// updated or replaced object, so the reader knows which object it is
// (id, name) and, for apps, how many replicas the rollout concerns.
var identifyingAttrs = map[string]bool{"id": true, "name": true, "replicas": true}

// maxWaveInstances is how many instances a wave line names before it
// summarises the rest ("and 7 more"): a 200-replica app must not print
// 200 names per wave.
const maxWaveInstances = 4

// renderPlan writes p as text for a reviewer: the drift found by refresh
// (apart from the changes), the legend, every change other than no-op
// sorted by address, the summary line and the output changes.
func renderPlan(w io.Writer, p *plans.Plan, color bool) {
	r := &planRenderer{color: color}
	r.plan(p)
	// A failed write to the terminal leaves nothing useful to report to.
	_, _ = io.WriteString(w, r.b.String())
}

type planRenderer struct {
	b     strings.Builder
	color bool
}

func (r *planRenderer) paint(code, s string) string {
	if !r.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (r *planRenderer) line(s string) {
	r.b.WriteString(s)
	r.b.WriteByte('\n')
}

// symbol returns the coloured marker of a diff line or block.
func (r *planRenderer) symbol(sym string) string {
	switch sym {
	case "+":
		return r.paint(ansiGreen, sym)
	case "-":
		return r.paint(ansiRed, sym)
	case "~":
		return r.paint(ansiYellow, sym)
	case "<=":
		return r.paint(ansiCyan, sym)
	case "-/+":
		return r.paint(ansiRed, "-") + "/" + r.paint(ansiGreen, "+")
	case "+/-":
		return r.paint(ansiGreen, "+") + "/" + r.paint(ansiRed, "-")
	}
	return sym
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

// visibleChanges returns the changes of cs that do something, by address.
func visibleChanges(cs []*plans.ResourceChange) []*plans.ResourceChange {
	var out []*plans.ResourceChange
	for _, c := range cs {
		if c.Action != plans.NoOp {
			out = append(out, c)
		}
	}
	return sortedChanges(out)
}

func (r *planRenderer) plan(p *plans.Plan) {
	changes := visibleChanges(p.Changes)
	drift := visibleChanges(p.Drift)
	var outputs []*plans.OutputChange
	for _, o := range p.Outputs {
		if o.Action != plans.NoOp {
			outputs = append(outputs, o)
		}
	}
	slices.SortFunc(outputs, func(a, b *plans.OutputChange) int { return strings.Compare(a.Name, b.Name) })

	if len(drift) > 0 {
		r.drift(p, drift)
	}
	// A plan that stopped on an error never claims there is nothing to do:
	// it only shows what it got to.
	if p.Mode == plans.RefreshOnlyMode {
		if len(drift) == 0 && !p.Errored {
			r.noChanges()
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

	if len(changes) > 0 {
		used := map[plans.Action]bool{}
		for _, c := range changes {
			used[c.Action] = true
		}
		r.line("")
		r.line("berth used the selected providers to generate the following execution")
		r.line("plan. Resource actions are indicated with the following symbols:")
		for _, l := range legend {
			if used[l.action] {
				sym := actionSymbol(l.action)
				r.line(strings.Repeat(" ", 3-len(sym)) + r.symbol(sym) + " " + l.text)
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
		r.line(r.paint(ansiBold, "Plan:") + fmt.Sprintf(" %d to add, %d to change, %d to destroy.", s.Add, s.Change, s.Destroy))
	}
	if len(outputs) > 0 {
		r.line("")
		r.line(r.paint(ansiBold, "Changes to Outputs:"))
		r.outputs(outputs)
		if len(changes) == 0 && !p.Errored {
			r.line("")
			r.line("You can apply this plan to save these new output values to the berth")
			r.line("state, without changing any real infrastructure.")
		}
	}
	r.errored(p)
}

func (r *planRenderer) noChanges() {
	r.line("")
	r.line(r.paint(ansiGreen+ansiBold, "No changes.") + r.paint(ansiBold, " Your infrastructure matches the configuration."))
	r.line("")
	r.line("berth has compared your real infrastructure against your configuration")
	r.line("and found no differences, so no changes are needed.")
}

func (r *planRenderer) errored(p *plans.Plan) {
	if !p.Errored {
		return
	}
	r.line("")
	r.line(r.paint(ansiRed+ansiBold, "Planning failed.") + r.paint(ansiBold, " berth stopped on an error while planning,"))
	r.line("so this plan shows only part of the changes and cannot be applied.")
}

func (r *planRenderer) drift(p *plans.Plan, drift []*plans.ResourceChange) {
	r.line("")
	r.line(r.paint(ansiBold, "Note: Objects have changed outside of berth"))
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

// blockHeader is how the object's block is written in configuration.
func blockHeader(a addrs.Instance) string {
	res := a.Resource
	switch res.Kind() {
	case addrs.KindData:
		return fmt.Sprintf("data %q %q", res.Type, res.Name)
	case addrs.KindResource:
		return fmt.Sprintf("resource %q %q", res.Type, res.Name)
	}
	return fmt.Sprintf("%s %q", res.Type, res.Name)
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
		r.line(r.paint(ansiBold, "  # "+l))
	}
	sym := actionSymbol(c.Action)
	if drift {
		sym = "~"
		if c.Action == plans.Delete || c.After.IsNull() {
			sym = "-"
		}
	}
	r.line(strings.Repeat(" ", 3-len(sym)) + r.symbol(sym) + " " + blockHeader(c.Addr) + " {")

	d := &differ{r: r}
	if c.Action.IsReplace() && !drift {
		d.replace = c.RequiresReplace
	}
	d.beforeRed, d.afterRed = c.BeforeRedacted, c.AfterRedacted
	before, after := c.Before, c.After
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
	lines, hidden := d.objectBody(6, nil, before, after, true)
	for _, l := range lines {
		r.line(l)
	}
	if hidden > 0 {
		r.line(strings.Repeat(" ", 8) + hiddenComment(hidden, "attribute"))
	}
	if c.Rollout != nil && !drift {
		r.line("")
		for _, l := range rolloutLines(c.Rollout) {
			r.line(strings.Repeat(" ", 8) + l)
		}
	}
	r.line("    }")
}

func hiddenComment(n int, what string) string {
	if n != 1 {
		what += "s"
	}
	return fmt.Sprintf("# (%d unchanged %s hidden)", n, what)
}

// waveInstanceNames are a wave's instances as the plan shows them:
// "web-1 on edge-1".
func waveInstanceNames(w providers.Wave) []string {
	out := make([]string, len(w.Instances))
	for i, in := range w.Instances {
		out[i] = in.Name
		if in.Host != "" {
			out[i] += " on " + in.Host
		}
	}
	return out
}

// rolloutLines describes the waves of a rollout:
//
//	rollout: 3 waves, min healthy 10s, deadline 5m, auto-revert
//	  wave 1: 1 instance  (web-1 on edge-1)
func rolloutLines(ro *providers.Rollout) []string {
	head := "rollout: " + plural(len(ro.Waves), "wave")
	if ro.MinHealthy > 0 {
		head += ", min healthy " + app.FormatDuration(ro.MinHealthy)
	}
	if ro.HealthyDeadline > 0 {
		head += ", deadline " + app.FormatDuration(ro.HealthyDeadline)
	}
	if ro.MaxUnavailable > 0 {
		head += fmt.Sprintf(", max unavailable %d", ro.MaxUnavailable)
	}
	if ro.AutoRevert {
		head += ", auto-revert"
	}
	lines := []string{head}
	descs := make([]string, len(ro.Waves))
	width := 0
	for i, w := range ro.Waves {
		descs[i] = plural(len(w.Instances), "instance")
		width = max(width, len(descs[i]))
	}
	numWidth := len(strconv.Itoa(len(ro.Waves)))
	for i, w := range ro.Waves {
		l := fmt.Sprintf("wave %*d: %s", numWidth, i+1, descs[i])
		if len(w.Instances) > 0 {
			names := waveInstanceNames(w)
			more := ""
			if len(names) > maxWaveInstances {
				more = fmt.Sprintf(", and %d more", len(names)-(maxWaveInstances-1))
				names = names[:maxWaveInstances-1]
			}
			l = fmt.Sprintf("wave %*d: %-*s (%s%s)", numWidth, i+1, width, descs[i], strings.Join(names, ", "), more)
		}
		lines = append(lines, "  "+l)
	}
	return lines
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (r *planRenderer) outputs(outputs []*plans.OutputChange) {
	d := &differ{r: r}
	var entries []entry
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
		e.key = o.Name
		entries = append(entries, e.entry)
	}
	for _, l := range d.entryLines(2, entries) {
		r.line(l)
	}
}

// entry is one attribute, map element or list element of a diff.
type entry struct {
	sym string // "+", "-", "~" or " "
	// key is the attribute name or quoted map key; empty for list elements.
	key     string
	elem    bool
	head    string   // the value's first line
	tail    []string // the value's further lines, indented
	comment string   // "# forces replacement"
	// raw, when set, makes the entry a comment line ("# (2 unchanged
	// elements hidden)") instead.
	raw string
}

// diffState says what a diff found.
type diffState int

const (
	stateSkip      diffState = iota // null on both sides: not shown, not counted
	stateUnchanged                  // equal
	stateChanged
)

// differ renders the attribute-level diff of one object.
type differ struct {
	r *planRenderer
	// replace lists the paths that force a replacement (replace actions only).
	replace []cty.Path
	// beforeRed and afterRed are the redactions of a plan read from a
	// file: two redacted values compare by digest.
	beforeRed, afterRed []plans.Redaction
}

func spaces(n int) string { return strings.Repeat(" ", n) }

// entryLines writes entries whose marker is at column col, keys aligned.
func (d *differ) entryLines(col int, entries []entry) []string {
	width := 0
	for _, e := range entries {
		width = max(width, len(e.key))
	}
	var lines []string
	for _, e := range entries {
		if e.raw != "" {
			lines = append(lines, spaces(col+2)+e.raw)
			continue
		}
		l := spaces(col) + d.r.symbol(e.sym) + " "
		if !e.elem {
			l += e.key + spaces(width-len(e.key)) + " = "
		}
		l += e.head
		if e.elem && len(e.tail) == 0 {
			l += ","
		}
		if e.comment != "" {
			l += " " + d.r.paint(ansiRed, e.comment)
		}
		lines = append(lines, l)
		lines = append(lines, e.tail...)
		if e.elem && len(e.tail) > 0 {
			lines[len(lines)-1] += ","
		}
	}
	return lines
}

func (d *differ) forcesReplacement(path cty.Path) bool {
	for _, p := range d.replace {
		if p.Equals(path) {
			return true
		}
	}
	return false
}

func extend(path cty.Path, step cty.PathStep) cty.Path {
	return append(path[:len(path):len(path)], step)
}

// isSensitive reports whether v is shown as "(sensitive value)": it carries
// the sensitive mark, or it is a set with a sensitive element (a set's
// elements are identified by their values, so one cannot be shown without
// the others; plan files redact such a set as a whole too).
func isSensitive(v cty.Value) bool {
	if plans.HasSensitiveMark(v) {
		return true
	}
	if !v.Type().IsSetType() || !v.ContainsMarked() {
		return false
	}
	_, pvms := v.UnmarkDeepWithPaths()
	for _, pvm := range pvms {
		for m := range pvm.Marks {
			if plans.IsSensitiveMark(m) {
				return true
			}
		}
	}
	return false
}

func unmarkDeep(v cty.Value) cty.Value {
	v, _ = v.UnmarkDeep()
	return v
}

// sameValue reports whether a and b are equal, marks aside. Two values
// redacted in a plan file are equal when their digests are.
func (d *differ) sameValue(path cty.Path, a, b cty.Value) bool {
	ra, rb := redactionsUnder(d.beforeRed, path), redactionsUnder(d.afterRed, path)
	if len(ra) != len(rb) {
		return false
	}
	for k, da := range ra {
		if rb[k] != da {
			return false
		}
	}
	return unmarkDeep(a).RawEquals(unmarkDeep(b))
}

// redactionsUnder returns the digests of the redactions at or below path,
// by their path relative to it.
func redactionsUnder(reds []plans.Redaction, path cty.Path) map[string]string {
	var out map[string]string
	for _, r := range reds {
		if len(r.Path) >= len(path) && r.Path[:len(path)].Equals(path) {
			if out == nil {
				out = map[string]string{}
			}
			out[plans.FormatPath(r.Path[len(path):])] = r.Digest
		}
	}
	return out
}

func redactionDigest(reds []plans.Redaction, path cty.Path) string {
	for _, r := range reds {
		if r.Path.Equals(path) {
			return r.Digest
		}
	}
	return ""
}

// objectBody diffs the attributes of two objects (either may be null)
// whose entries have their marker at column col. top says this is the
// object itself, where identifying attributes are shown even when equal.
func (d *differ) objectBody(col int, path cty.Path, before, after cty.Value, top bool) ([]string, int) {
	names := map[string]bool{}
	for _, v := range []cty.Value{before, after} {
		if ty := v.Type(); ty.IsObjectType() && !v.IsNull() && v.IsKnown() {
			for n := range ty.AttributeTypes() {
				names[n] = true
			}
		}
	}
	attr := func(v cty.Value, n string) cty.Value {
		if !v.Type().IsObjectType() || !v.Type().HasAttribute(n) {
			if !v.IsKnown() {
				return cty.DynamicVal
			}
			return cty.NullVal(cty.DynamicPseudoType)
		}
		if !v.IsKnown() {
			// A wholly unknown object: every attribute is unknown.
			return cty.UnknownVal(v.Type().AttributeType(n))
		}
		if v.IsNull() {
			return cty.NullVal(cty.DynamicPseudoType)
		}
		// GetAttr keeps the marks of v on the result.
		return v.GetAttr(n)
	}
	var entries []entry
	hidden := 0
	inList := false
	if len(path) > 0 {
		_, inList = path[len(path)-1].(cty.IndexStep)
	}
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for n := range names {
			if !yield(n) {
				return
			}
		}
	}) {
		e, st := d.diff(col, extend(path, cty.GetAttrStep{Name: n}), attr(before, n), attr(after, n), true)
		switch st {
		case stateSkip:
			continue
		case stateUnchanged:
			// Identifying attributes stay in view at the top and in list
			// elements (which instance of several changes).
			if !(top || inList) || !identifyingAttrs[n] || isSensitive(e.valueOf) {
				hidden++
				continue
			}
		}
		e.key = n
		entries = append(entries, e.entry)
	}
	return d.entryLines(col, entries), hidden
}

// diffEntry is an entry and, for the caller's checks, the value it shows.
type diffEntry struct {
	entry
	valueOf cty.Value
}

// diff renders the change of one value from before to after, as an entry
// whose marker is at column col. arrowNull says a removal shows "-> null"
// (attributes and map elements; list elements do not).
func (d *differ) diff(col int, path cty.Path, before, after cty.Value, arrowNull bool) (diffEntry, diffState) {
	// A part redacted in a plan file reads back as a null placeholder: it
	// is not null for the diff.
	bNull := before.IsNull() && redactionDigest(d.beforeRed, path) == ""
	aNull := after.IsNull() && redactionDigest(d.afterRed, path) == ""
	var e diffEntry
	e.valueOf = after
	if d.forcesReplacement(path) {
		e.comment = "# forces replacement"
	}
	switch {
	case bNull && aNull:
		return e, stateSkip
	case isSensitive(before) || isSensitive(after):
		e.head = sensitivePlaceholder
		switch {
		case bNull:
			e.sym = "+"
		case aNull:
			e.sym = "-"
			if arrowNull {
				e.head += " -> null"
			}
		case d.sameValue(path, before, after):
			e.sym = " "
			e.valueOf = after
			return e, stateUnchanged
		default:
			e.sym = "~"
		}
		e.valueOf = cty.StringVal("").Mark(providers.SensitiveMark)
		return e, stateChanged
	case bNull:
		e.sym = "+"
		e.head, e.tail = d.full(col, "+", after)
		return e, stateChanged
	case aNull:
		e.sym = "-"
		e.head, e.tail = d.full(col, "-", before)
		if arrowNull {
			e.appendLast(" -> null")
		}
		return e, stateChanged
	}
	before, _ = before.Unmark()
	after, _ = after.Unmark()
	if d.sameValue(path, before, after) {
		e.sym = " "
		e.head, e.tail = d.full(col, " ", after)
		return e, stateUnchanged
	}
	e.sym = "~"
	if !after.IsKnown() || !before.IsKnown() {
		e.head, e.tail = d.full(col, " ", before)
		e.appendLast(" -> ")
		h, t := d.full(col, " ", after)
		e.appendLast(h)
		e.tail = append(e.tail, t...)
		return e, stateChanged
	}
	bt, at := before.Type(), after.Type()
	var body []string
	var hidden int
	var open, close, what string
	switch {
	case bt.IsObjectType() && at.IsObjectType():
		body, hidden = d.objectBody(col+4, path, before, after, false)
		open, close, what = "{", "}", "attribute"
	case bt.IsMapType() && at.IsMapType():
		body, hidden = d.mapBody(col+4, path, before, after)
		open, close, what = "{", "}", "element"
	case (bt.IsListType() || bt.IsTupleType()) && (at.IsListType() || at.IsTupleType()):
		body, hidden = d.listBody(col+4, path, before, after)
		open, close, what = "[", "]", "element"
	case bt.IsSetType() && at.IsSetType():
		body, hidden = d.setBody(col+4, before, after)
		open, close, what = "[", "]", "element"
	case bt == cty.String && at == cty.String && (isMultiline(before) || isMultiline(after)):
		e.head = "<<-EOT"
		e.tail = d.heredocDiff(col, before.AsString(), after.AsString())
		return e, stateChanged
	default:
		e.head, e.tail = d.full(col, " ", before)
		e.appendLast(" -> ")
		h, t := d.full(col, " ", after)
		e.appendLast(h)
		e.tail = append(e.tail, t...)
		return e, stateChanged
	}
	e.head = open
	e.tail = body
	if hidden > 0 {
		e.tail = append(e.tail, spaces(col+6)+hiddenComment(hidden, what))
	}
	e.tail = append(e.tail, spaces(col+2)+close)
	return e, stateChanged
}

// appendLast appends s to the entry's last line.
func (e *entry) appendLast(s string) {
	if len(e.tail) > 0 {
		e.tail[len(e.tail)-1] += s
	} else {
		e.head += s
	}
}

func (d *differ) mapBody(col int, path cty.Path, before, after cty.Value) ([]string, int) {
	bm, am := before.AsValueMap(), after.AsValueMap()
	keys := map[string]bool{}
	for k := range bm {
		keys[k] = true
	}
	for k := range am {
		keys[k] = true
	}
	get := func(m map[string]cty.Value, k string) cty.Value {
		if v, ok := m[k]; ok {
			return v
		}
		return cty.NullVal(cty.DynamicPseudoType)
	}
	var entries []entry
	hidden := 0
	for _, k := range sortedKeys(keys) {
		e, st := d.diff(col, extend(path, cty.IndexStep{Key: cty.StringVal(k)}), get(bm, k), get(am, k), true)
		switch st {
		case stateSkip:
			continue
		case stateUnchanged:
			hidden++
			continue
		}
		e.key = hclString(k)
		entries = append(entries, e.entry)
	}
	return d.entryLines(col, entries), hidden
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func isStructural(ty cty.Type) bool {
	return ty.IsObjectType() || ty.IsMapType() || ty.IsListType() || ty.IsTupleType() || ty.IsSetType()
}

// listBody diffs two lists (or tuples). Lists of the same length whose
// elements are structures are diffed element by element (an element's
// attributes changed); otherwise elements are matched by a longest common
// subsequence, so an insertion shows as one added element. Unchanged
// primitive elements next to a change are shown, for context (the position
// of a command-line argument matters); other unchanged elements are
// counted in place. The hidden count returned is always 0.
func (d *differ) listBody(col int, path cty.Path, before, after cty.Value) ([]string, int) {
	bs, as := before.AsValueSlice(), after.AsValueSlice()
	type item struct {
		e  diffEntry
		st diffState
	}
	var items []item
	idx := func(i int) cty.Path { return extend(path, cty.IndexStep{Key: cty.NumberIntVal(int64(i))}) }
	null := cty.NullVal(cty.DynamicPseudoType)
	bn, an := elementNames(bs), elementNames(as)
	// Lists of one length are diffed element by element (a renamed port is
	// one change, with what it forces), unless a name appears twice (an
	// instance with its old and new container): then, as for lists whose
	// length changed, elements are matched by name.
	byName := bn != nil && an != nil && (len(bs) != len(as) || hasDuplicates(bn) || hasDuplicates(an))
	if !byName {
		bn, an = nil, nil
	}
	pairwise := len(bs) == len(as) && len(bs) > 0 && !byName
	for i := 0; pairwise && i < len(bs); i++ {
		pairwise = isStructural(unmarkDeep(bs[i]).Type()) && isStructural(unmarkDeep(as[i]).Type())
	}
	if pairwise {
		for i := range bs {
			e, st := d.diff(col, idx(i), bs[i], as[i], false)
			items = append(items, item{e, st})
		}
	} else {
		eq := func(i, j int) bool { return unmarkDeep(bs[i]).RawEquals(unmarkDeep(as[j])) }
		if bn != nil && an != nil {
			// Objects that name themselves (an app's instances) are matched
			// by name: "web-1 changes, web-5 is new", not every element
			// removed and added again. Where a name appears twice (an
			// instance's old and new container mid-rollout), an element
			// equal to the planned one is its match.
			exact := make([]int, len(as))
			for j := range as {
				exact[j] = -1
				for i := range bs {
					if bn[i] == an[j] && eq(i, j) {
						exact[j] = i
						break
					}
				}
			}
			eq = func(i, j int) bool { return bn[i] == an[j] && (exact[j] < 0 || exact[j] == i) }
		}
		for _, op := range lcs(len(bs), len(as), eq) {
			var e diffEntry
			var st diffState
			switch {
			case op.i >= 0 && op.j >= 0:
				e, st = d.diff(col, idx(op.j), bs[op.i], as[op.j], false)
			case op.i >= 0:
				e, st = d.diff(col, idx(op.i), bs[op.i], null, false)
			default:
				e, st = d.diff(col, idx(op.j), null, as[op.j], false)
			}
			items = append(items, item{e, st})
		}
	}
	changed := func(k int) bool { return k >= 0 && k < len(items) && items[k].st == stateChanged }
	var entries []entry
	run := 0
	flush := func() {
		if run > 0 {
			entries = append(entries, entry{raw: hiddenComment(run, "element")})
			run = 0
		}
	}
	for k, it := range items {
		if it.st == stateUnchanged {
			context := !isStructural(unmarkDeep(it.e.valueOf).Type()) && (changed(k-1) || changed(k+1))
			if !context {
				run++
				continue
			}
		}
		flush()
		it.e.elem = true
		entries = append(entries, it.e.entry)
	}
	flush()
	return d.entryLines(col, entries), 0
}

func hasDuplicates(names []string) bool {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return true
		}
		seen[n] = true
	}
	return false
}

// elementNames returns the "name" attribute of each element when every
// element is an object with a known string name; else nil.
func elementNames(vs []cty.Value) []string {
	names := make([]string, len(vs))
	for i, v := range vs {
		v = unmarkDeep(v)
		if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute("name") {
			return nil
		}
		n := v.GetAttr("name")
		if n.IsNull() || !n.IsKnown() || n.Type() != cty.String {
			return nil
		}
		names[i] = n.AsString()
	}
	return names
}

// setBody diffs two sets: elements only in before are removed, only in
// after added.
func (d *differ) setBody(col int, before, after cty.Value) ([]string, int) {
	bs, as := before.AsValueSlice(), after.AsValueSlice()
	in := func(v cty.Value, vs []cty.Value) bool {
		for _, w := range vs {
			if unmarkDeep(v).RawEquals(unmarkDeep(w)) {
				return true
			}
		}
		return false
	}
	var entries []entry
	hidden := 0
	null := cty.NullVal(cty.DynamicPseudoType)
	for _, v := range bs {
		if in(v, as) {
			hidden++
			continue
		}
		e, _ := d.diff(col, nil, v, null, false)
		e.elem = true
		entries = append(entries, e.entry)
	}
	for _, v := range as {
		if !in(v, bs) {
			e, _ := d.diff(col, nil, null, v, false)
			e.elem = true
			entries = append(entries, e.entry)
		}
	}
	return d.entryLines(col, entries), hidden
}

// lcsOp is one step of a diff: i and j index before and after; -1 on the
// side that does not have the element.
type lcsOp struct{ i, j int }

// lcs diffs two sequences by their longest common subsequence, removals
// before additions at each point of difference.
func lcs(n, m int, eq func(i, j int) bool) []lcsOp {
	t := make([][]int, n+1)
	for i := range t {
		t[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if eq(i, j) {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	var ops []lcsOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && eq(i, j):
			ops = append(ops, lcsOp{i, j})
			i++
			j++
		case i < n && (j == m || t[i+1][j] >= t[i][j+1]):
			ops = append(ops, lcsOp{i, -1})
			i++
		default:
			ops = append(ops, lcsOp{-1, j})
			j++
		}
	}
	return ops
}

func isMultiline(v cty.Value) bool {
	return !v.IsNull() && v.IsKnown() && strings.Contains(strings.TrimSuffix(v.AsString(), "\n"), "\n")
}

func heredocLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// heredocDiff diffs two multi-line strings line by line, for an entry
// whose marker is at column col.
func (d *differ) heredocDiff(col int, before, after string) []string {
	bl, al := heredocLines(before), heredocLines(after)
	var lines []string
	for _, op := range lcs(len(bl), len(al), func(i, j int) bool { return bl[i] == al[j] }) {
		switch {
		case op.i >= 0 && op.j >= 0:
			lines = append(lines, spaces(col+6)+bl[op.i])
		case op.i >= 0:
			lines = append(lines, spaces(col+4)+d.r.symbol("-")+" "+bl[op.i])
		default:
			lines = append(lines, spaces(col+4)+d.r.symbol("+")+" "+al[op.j])
		}
	}
	return append(lines, spaces(col+2)+"EOT")
}

// full renders a whole value (added, removed or shown unchanged) for an
// entry whose marker is at column col; nested entries get marker sym.
func (d *differ) full(col int, sym string, v cty.Value) (string, []string) {
	switch {
	case isSensitive(v):
		return sensitivePlaceholder, nil
	case !v.IsKnown():
		return unknownPlaceholder, nil
	case v.IsNull():
		return "null", nil
	}
	v, _ = v.Unmark()
	ty := v.Type()
	var entries []entry
	var open, close string
	switch {
	case ty.IsObjectType():
		open, close = "{", "}"
		for _, n := range slices.Sorted(func(yield func(string) bool) {
			for n := range ty.AttributeTypes() {
				if !yield(n) {
					return
				}
			}
		}) {
			av := v.GetAttr(n)
			if av.IsNull() {
				continue
			}
			h, t := d.full(col+4, sym, av)
			entries = append(entries, entry{sym: sym, key: n, head: h, tail: t})
		}
	case ty.IsMapType():
		open, close = "{", "}"
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			h, t := d.full(col+4, sym, ev)
			entries = append(entries, entry{sym: sym, key: hclString(k.AsString()), head: h, tail: t})
		}
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		open, close = "[", "]"
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			h, t := d.full(col+4, sym, ev)
			entries = append(entries, entry{sym: sym, elem: true, head: h, tail: t})
		}
	case ty == cty.String && isMultiline(v):
		var lines []string
		for _, l := range heredocLines(v.AsString()) {
			lines = append(lines, spaces(col+6)+l)
		}
		return "<<-EOT", append(lines, spaces(col+2)+"EOT")
	default:
		return primitiveString(v), nil
	}
	if len(entries) == 0 {
		return open + close, nil
	}
	return open, append(d.entryLines(col+4, entries), spaces(col+2)+close)
}

// primitiveString writes a known, non-null primitive as in HCL.
func primitiveString(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		return hclString(v.AsString())
	case cty.Number:
		return formatNumber(v.AsBigFloat())
	case cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	}
	return v.GoString()
}

func formatNumber(f *big.Float) string {
	if f.IsInt() {
		return f.Text('f', 0)
	}
	return f.Text('g', -1)
}

// hclString quotes s as an HCL string literal: "${" and "%{" escaped so
// that what is shown can be pasted into configuration.
func hclString(s string) string {
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q, "${", "$${")
	return strings.ReplaceAll(q, "%{", "%%{")
}

// ---- JSON ----

// jsonPlan is the document `berth show -json FILE` prints and the last
// line of `berth plan -json` (docs/json-output.md, "plan"), in the shape
// of Terraform's JSON plan. Sensitive values are null, flagged in the
// *_sensitive fields; unknown values are null, flagged in after_unknown.
type jsonPlan struct {
	FormatVersion   string                      `json:"format_version"`
	BerthVersion    string                      `json:"berth_version"`
	Mode            string                      `json:"mode"`
	Variables       map[string]jsonPlanVariable `json:"variables"`
	ResourceChanges []jsonResourceChange        `json:"resource_changes"`
	ResourceDrift   []jsonResourceChange        `json:"resource_drift"`
	OutputChanges   map[string]jsonChange       `json:"output_changes"`
	Summary         jsonPlanSummary             `json:"summary"`
	StateLineage    string                      `json:"state_lineage"`
	StateSerial     uint64                      `json:"state_serial"`
	ConfigHash      string                      `json:"config_hash"`
	Targets         []string                    `json:"targets"`
	Replace         []string                    `json:"replace"`
	Applyable       bool                        `json:"applyable"`
	Errored         bool                        `json:"errored"`
}

type jsonPlanVariable struct {
	Value     any  `json:"value"`
	Sensitive bool `json:"sensitive,omitempty"`
}

type jsonPlanSummary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	Read    int `json:"read"`
}

type jsonResourceChange struct {
	Address      string       `json:"address"`
	Mode         string       `json:"mode"`
	Type         string       `json:"type"`
	Name         string       `json:"name"`
	Index        any          `json:"index,omitempty"`
	Provider     string       `json:"provider"`
	Change       jsonChange   `json:"change"`
	ActionReason string       `json:"action_reason,omitempty"`
	Deposed      string       `json:"deposed,omitempty"`
	Rollout      *jsonRollout `json:"rollout,omitempty"`
}

type jsonChange struct {
	Actions         []string `json:"actions"`
	Before          any      `json:"before"`
	After           any      `json:"after"`
	AfterUnknown    any      `json:"after_unknown"`
	BeforeSensitive any      `json:"before_sensitive"`
	AfterSensitive  any      `json:"after_sensitive"`
	ReplacePaths    [][]any  `json:"replace_paths,omitempty"`
}

type jsonRollout struct {
	Waves           []jsonWave `json:"waves"`
	MinHealthy      string     `json:"min_healthy,omitempty"`
	HealthyDeadline string     `json:"healthy_deadline,omitempty"`
	MaxUnavailable  int        `json:"max_unavailable"`
	AutoRevert      bool       `json:"auto_revert"`
}

type jsonWave struct {
	Wave        int                `json:"wave"`
	Instances   []jsonWaveInstance `json:"instances"`
	Description string             `json:"description"`
}

type jsonWaveInstance struct {
	Name string `json:"name"`
	Host string `json:"host,omitempty"`
}

// jsonActions lists an action as Terraform does: a replacement is two
// actions, in the order they happen.
func jsonActions(a plans.Action) []string {
	switch a {
	case plans.DeleteThenCreate:
		return []string{"delete", "create"}
	case plans.CreateThenDelete:
		return []string{"create", "delete"}
	}
	return []string{string(a)}
}

// newJSONPlan converts p into its JSON document.
func newJSONPlan(p *plans.Plan) jsonPlan {
	s := p.Summarize()
	doc := jsonPlan{
		FormatVersion:   jsonFormatVersion,
		BerthVersion:    version.String(),
		Mode:            string(p.Mode),
		Variables:       map[string]jsonPlanVariable{},
		ResourceChanges: []jsonResourceChange{},
		ResourceDrift:   []jsonResourceChange{},
		OutputChanges:   map[string]jsonChange{},
		Summary:         jsonPlanSummary{Add: s.Add, Change: s.Change, Destroy: s.Destroy, Read: s.Read},
		StateLineage:    p.StateLineage,
		StateSerial:     p.StateSerial,
		ConfigHash:      p.ConfigHash,
		Targets:         []string{},
		Replace:         []string{},
		Applyable:       !p.Errored && p.HasChanges(),
		Errored:         p.Errored,
	}
	for name, v := range p.Variables {
		val, _, sens := jsonValue(v)
		doc.Variables[name] = jsonPlanVariable{Value: val, Sensitive: sens != false}
	}
	for _, c := range sortedChanges(p.Changes) {
		doc.ResourceChanges = append(doc.ResourceChanges, newJSONResourceChange(c, c.Action))
	}
	for _, c := range sortedChanges(p.Drift) {
		a := c.Action
		if a == plans.NoOp {
			continue
		}
		if c.After == cty.NilVal || c.After.IsNull() {
			a = plans.Delete
		}
		doc.ResourceDrift = append(doc.ResourceDrift, newJSONResourceChange(c, a))
	}
	for _, o := range p.Outputs {
		before, after := o.Before, o.After
		if o.Sensitive {
			before, after = markWhole(before), markWhole(after)
		}
		doc.OutputChanges[o.Name] = newJSONChange(o.Action, before, after, nil)
	}
	for _, t := range p.Targets {
		doc.Targets = append(doc.Targets, t.String())
	}
	for _, t := range p.Replace {
		doc.Replace = append(doc.Replace, t.String())
	}
	return doc
}

func markWhole(v cty.Value) cty.Value {
	if v == cty.NilVal {
		return v
	}
	return v.Mark(providers.SensitiveMark)
}

// sortedChanges returns cs by address (a stable sort: a deposed object's
// destroy stays beside its instance's change).
func sortedChanges(cs []*plans.ResourceChange) []*plans.ResourceChange {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b *plans.ResourceChange) int { return a.Addr.Compare(b.Addr) })
	return out
}

func newJSONResourceChange(c *plans.ResourceChange, action plans.Action) jsonResourceChange {
	res := c.Addr.Resource
	jc := jsonResourceChange{
		Address:      c.Addr.String(),
		Mode:         res.Mode.String(),
		Type:         res.Type,
		Name:         res.Name,
		Provider:     c.Provider,
		Change:       newJSONChange(action, c.Before, c.After, c.RequiresReplace),
		ActionReason: string(c.Reason),
		Deposed:      c.Deposed,
	}
	switch k := c.Addr.Key.(type) {
	case addrs.IntKey:
		jc.Index = int(k)
	case addrs.StringKey:
		jc.Index = string(k)
	}
	if ro := c.Rollout; ro != nil {
		jr := &jsonRollout{Waves: []jsonWave{}, MaxUnavailable: ro.MaxUnavailable, AutoRevert: ro.AutoRevert}
		if ro.MinHealthy > 0 {
			jr.MinHealthy = app.FormatDuration(ro.MinHealthy)
		}
		if ro.HealthyDeadline > 0 {
			jr.HealthyDeadline = app.FormatDuration(ro.HealthyDeadline)
		}
		for i, w := range ro.Waves {
			jw := jsonWave{Wave: i + 1, Instances: []jsonWaveInstance{}, Description: plural(len(w.Instances), "instance")}
			for _, in := range w.Instances {
				jw.Instances = append(jw.Instances, jsonWaveInstance(in))
			}
			jr.Waves = append(jr.Waves, jw)
		}
		jc.Rollout = jr
	}
	return jc
}

func newJSONChange(action plans.Action, before, after cty.Value, replace []cty.Path) jsonChange {
	if action == plans.Delete {
		after = cty.NilVal
	}
	if action == plans.Create {
		before = cty.NilVal
	}
	jc := jsonChange{Actions: jsonActions(action)}
	var bUnknown any
	jc.Before, bUnknown, jc.BeforeSensitive = jsonValue(before)
	_ = bUnknown // a prior value is always known
	jc.After, jc.AfterUnknown, jc.AfterSensitive = jsonValue(after)
	for _, p := range replace {
		jc.ReplacePaths = append(jc.ReplacePaths, jsonPath(p))
	}
	return jc
}

// jsonPath writes a path as Terraform's replace_paths do: attribute names
// and map keys as strings, list indexes as numbers.
func jsonPath(p cty.Path) []any {
	out := []any{}
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			out = append(out, s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull():
				out = append(out, s.Key.AsString())
			case s.Key.Type() == cty.Number && s.Key.IsKnown() && !s.Key.IsNull():
				out = append(out, json.Number(formatNumber(s.Key.AsBigFloat())))
			default:
				out = append(out, nil)
			}
		}
	}
	return out
}

// jsonValue converts a value into its JSON form with the unknown and
// sensitive parts null, and the two parallel structures that flag them, as
// Terraform's after_unknown and *_sensitive do: true where the value is
// unknown (sensitive), false for a wholly known (non-sensitive) primitive
// or null, an object holding only the keys with something flagged for an
// object or map, and an array with one flag per element for a list, tuple
// or set.
func jsonValue(v cty.Value) (value, unknown, sensitive any) {
	if v == cty.NilVal {
		return nil, false, false
	}
	if isSensitive(v) {
		// Whether the value is known is not said either.
		return nil, false, true
	}
	v, _ = v.Unmark()
	if !v.IsKnown() {
		return nil, true, false
	}
	if v.IsNull() {
		return nil, false, false
	}
	ty := v.Type()
	switch {
	case ty.IsObjectType() || ty.IsMapType():
		vals := map[string]any{}
		unk := map[string]any{}
		sens := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			key := k.AsString()
			var u, s any
			vals[key], u, s = jsonValue(ev)
			if hasTrue(u) {
				unk[key] = u
			}
			if hasTrue(s) {
				sens[key] = s
			}
		}
		return vals, unk, sens
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		vals, unk, sens := []any{}, []any{}, []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			ev2, u, s := jsonValue(ev)
			vals = append(vals, ev2)
			unk = append(unk, u)
			sens = append(sens, s)
		}
		return vals, unk, sens
	case ty == cty.String:
		return v.AsString(), false, false
	case ty == cty.Number:
		return json.Number(formatNumber(v.AsBigFloat())), false, false
	case ty == cty.Bool:
		return v.True(), false, false
	}
	return nil, false, false
}

// hasTrue reports whether a flag structure of jsonValue flags anything.
func hasTrue(flag any) bool {
	switch f := flag.(type) {
	case bool:
		return f
	case map[string]any:
		for _, v := range f {
			if hasTrue(v) {
				return true
			}
		}
	case []any:
		for _, v := range f {
			if hasTrue(v) {
				return true
			}
		}
	}
	return false
}

// writePlanJSON prints p's JSON document on one line.
func writePlanJSON(w io.Writer, p *plans.Plan) error {
	data, err := json.Marshal(newJSONPlan(p))
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
