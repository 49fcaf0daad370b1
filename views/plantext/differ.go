package plantext

import (
	"maps"
	"slices"
	"strings"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/views/ansi"
	"github.com/berth-sh/berth/views/hclvalue"
	"github.com/zclconf/go-cty/cty"
)

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

// entryLines lays out entries whose marker is at column col, keys
// aligned, markers and comments coloured.
func (d *differ) entryLines(col int, entries []hclvalue.Entry) []string {
	painted := make([]hclvalue.Entry, len(entries))
	for i, e := range entries {
		e.Marker = d.r.symbol(e.Marker)
		e.Comment = d.r.paint(ansi.Red, e.Comment)
		painted[i] = e
	}
	return hclvalue.EntryLines(col+2, painted)
}

func spaces(n int) string { return strings.Repeat(" ", n) }

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
	var entries []hclvalue.Entry
	hidden := 0
	inList := false
	if len(path) > 0 {
		_, inList = path[len(path)-1].(cty.IndexStep)
	}
	for _, n := range attrNames(before, after) {
		e, st, ok := d.referenceEntry(path, n, before, after)
		if !ok || !top {
			e, st = d.diff(col, extend(path, cty.GetAttrStep{Name: n}), attrOf(before, n), attrOf(after, n), true)
		}
		switch st {
		case stateSkip:
			continue
		case stateUnchanged:
			// Identifying attributes stay in view at the top and in list
			// elements (which instance of several changes).
			if !(top || inList) || !identifyingAttrs[n] || hclvalue.Sensitive(e.valueOf) {
				hidden++
				continue
			}
		}
		e.Key = hclvalue.AttrName(n)
		entries = append(entries, e.Entry)
	}
	return d.entryLines(col, entries), hidden
}

// attrNames returns the attribute names of two objects (either may be
// null or unknown), sorted.
func attrNames(before, after cty.Value) []string {
	names := map[string]bool{}
	for _, v := range []cty.Value{before, after} {
		if ty := v.Type(); ty.IsObjectType() && !v.IsNull() && v.IsKnown() {
			for n := range ty.AttributeTypes() {
				names[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(names))
}

// attrOf returns attribute n of v, an object that may be null, unknown or
// without it (a null, or an unknown value, then).
func attrOf(v cty.Value, n string) cty.Value {
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

// changed reports whether the value at path differs from before to after,
// as diff decides it (a value redacted in a plan file is not null).
func (d *differ) changed(path cty.Path, before, after cty.Value) bool {
	bNull := before.IsNull() && redactionDigest(d.beforeRed, path) == ""
	aNull := after.IsNull() && redactionDigest(d.afterRed, path) == ""
	if bNull || aNull {
		return bNull != aNull
	}
	return !d.sameValue(path, before, after)
}

// diffEntry is an entry and, for the caller's checks, the value it shows.
type diffEntry struct {
	hclvalue.Entry
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
		e.Comment = "# forces replacement"
	}
	switch {
	case bNull && aNull:
		return e, stateSkip
	case hclvalue.Sensitive(before) || hclvalue.Sensitive(after):
		e.Head = hclvalue.SensitivePlaceholder
		switch {
		case bNull:
			e.Marker = "+"
		case aNull:
			e.Marker = "-"
			if arrowNull {
				e.Head += " -> null"
			}
		case d.sameValue(path, before, after):
			e.Marker = " "
			e.valueOf = after
			return e, stateUnchanged
		default:
			e.Marker = "~"
		}
		e.valueOf = cty.StringVal("").Mark(providers.SensitiveMark)
		return e, stateChanged
	case bNull:
		e.Marker = "+"
		e.Head, e.Tail = d.full(col, "+", after)
		return e, stateChanged
	case aNull:
		e.Marker = "-"
		e.Head, e.Tail = d.full(col, "-", before)
		if arrowNull {
			appendLast(&e.Entry, " -> null")
		}
		return e, stateChanged
	}
	before, _ = before.Unmark()
	after, _ = after.Unmark()
	if d.sameValue(path, before, after) {
		e.Marker = " "
		e.Head, e.Tail = d.full(col, " ", after)
		return e, stateUnchanged
	}
	e.Marker = "~"
	if !after.IsKnown() || !before.IsKnown() {
		d.arrow(&e.Entry, col, before, after)
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
	case bt == cty.String && at == cty.String && (hclvalue.IsMultiline(before) || hclvalue.IsMultiline(after)):
		e.Head = "<<-EOT"
		e.Tail = d.heredocDiff(col, before.AsString(), after.AsString())
		return e, stateChanged
	default:
		d.arrow(&e.Entry, col, before, after)
		return e, stateChanged
	}
	e.Head = open
	e.Tail = body
	if hidden > 0 {
		e.Tail = append(e.Tail, spaces(col+6)+hiddenComment(hidden, what))
	}
	e.Tail = append(e.Tail, spaces(col+2)+close)
	return e, stateChanged
}

// arrow shows a change as the whole values: before -> after.
func (d *differ) arrow(e *hclvalue.Entry, col int, before, after cty.Value) {
	e.Head, e.Tail = d.full(col, " ", before)
	appendLast(e, " -> ")
	h, t := d.full(col, " ", after)
	appendLast(e, h)
	e.Tail = append(e.Tail, t...)
}

// appendLast appends s to the entry's last line.
func appendLast(e *hclvalue.Entry, s string) {
	if len(e.Tail) > 0 {
		e.Tail[len(e.Tail)-1] += s
	} else {
		e.Head += s
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
	var entries []hclvalue.Entry
	hidden := 0
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		e, st := d.diff(col, extend(path, cty.IndexStep{Key: cty.StringVal(k)}), get(bm, k), get(am, k), true)
		switch st {
		case stateSkip:
			continue
		case stateUnchanged:
			hidden++
			continue
		}
		e.Key = hclvalue.Quote(k)
		entries = append(entries, e.Entry)
	}
	return d.entryLines(col, entries), hidden
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
	var entries []hclvalue.Entry
	run := 0
	flush := func() {
		if run > 0 {
			entries = append(entries, hclvalue.Entry{Raw: hiddenComment(run, "element")})
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
		it.e.Elem = true
		entries = append(entries, it.e.Entry)
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
	var entries []hclvalue.Entry
	hidden := 0
	null := cty.NullVal(cty.DynamicPseudoType)
	for _, v := range bs {
		if in(v, as) {
			hidden++
			continue
		}
		e, _ := d.diff(col, nil, v, null, false)
		e.Elem = true
		entries = append(entries, e.Entry)
	}
	for _, v := range as {
		if !in(v, bs) {
			e, _ := d.diff(col, nil, null, v, false)
			e.Elem = true
			entries = append(entries, e.Entry)
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

// heredocDiff diffs two multi-line strings line by line, for an entry
// whose marker is at column col.
func (d *differ) heredocDiff(col int, before, after string) []string {
	bl, al := hclvalue.HeredocLines(before), hclvalue.HeredocLines(after)
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
	return hclvalue.Lines(col+2, d.r.symbol(sym), v)
}
