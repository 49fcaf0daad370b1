// Package hclvalue writes recorded values in HCL syntax. It is the one
// printer of a value berth shows to a reader, as in Terraform: `berth
// output`, `berth state show`, `berth show` and the whole values in a
// plan's diff (an added attribute, an unchanged one kept for context) all
// go through Lines, so that a value reads the same everywhere and can be
// pasted back into configuration.
//
// The layout: object attributes and map elements as "key = value" with the
// keys of one level aligned, lists as one element a line with a trailing
// comma, nested levels indented by four columns, multi-line strings as
// heredocs. Null attributes are left out (an unset attribute says nothing);
// sensitive values show as "(sensitive value)", unknown ones as "(known
// after apply)".
package hclvalue

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Placeholders shown instead of values.
const (
	SensitivePlaceholder = "(sensitive value)"
	UnknownPlaceholder   = "(known after apply)"
)

// indentStep is how much deeper each nested level is indented.
const indentStep = 4

// Format returns v as an HCL expression for a line that starts at column
// 0 ("name = " + Format(v)): nested lines indented by four columns a level.
func Format(v cty.Value) string {
	head, tail := Lines(0, "", v)
	if len(tail) == 0 {
		return head
	}
	return head + "\n" + strings.Join(tail, "\n")
}

// Lines returns v as the value of an entry whose key starts at column
// indent: head is the first line, which follows "key = " (or a list
// element's marker), and tail the further lines, the last one closing the
// value at column indent. The keys of nested entries are at indent+4;
// marker, when set, is written two columns before each of them (a plan
// marks every line of an added value "+"; the marker may be coloured, but
// must show one column wide).
func Lines(indent int, marker string, v cty.Value) (head string, tail []string) {
	switch {
	case Sensitive(v):
		return SensitivePlaceholder, nil
	case !v.IsKnown():
		return UnknownPlaceholder, nil
	case v.IsNull():
		return "null", nil
	}
	v, _ = v.Unmark()
	ty := v.Type()
	var entries []Entry
	open, close := "{", "}"
	switch {
	case ty.IsObjectType() || ty.IsMapType():
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			key := Quote(k.AsString())
			if ty.IsObjectType() {
				if ev.IsNull() {
					// An unset attribute says nothing (Terraform leaves it
					// out too), even a sensitive one: that a secret is
					// unset gives nothing away.
					continue
				}
				key = AttrName(k.AsString())
			}
			h, t := Lines(indent+indentStep, marker, ev)
			entries = append(entries, Entry{Marker: marker, Key: key, Head: h, Tail: t})
		}
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		open, close = "[", "]"
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			h, t := Lines(indent+indentStep, marker, ev)
			entries = append(entries, Entry{Marker: marker, Elem: true, Head: h, Tail: t})
		}
	case ty == cty.String && IsMultiline(v):
		var lines []string
		for _, l := range HeredocLines(v.AsString()) {
			lines = append(lines, spaces(indent+indentStep)+l)
		}
		return "<<-EOT", append(lines, spaces(indent)+"EOT")
	default:
		return primitive(v), nil
	}
	if len(entries) == 0 {
		return open + close, nil
	}
	return open, append(EntryLines(indent+indentStep, entries), spaces(indent)+close)
}

// Entry is one line (and the lines of its value) of an object, a map or a
// list: an attribute, a map element or a list element.
type Entry struct {
	// Marker is written two columns before the key: a plan's "+", "-",
	// "~" or " ". It may be coloured, but must show one column wide; none
	// when empty.
	Marker string
	// Key is the attribute name or quoted map key, as written (see
	// AttrName and Quote); empty for a list element.
	Key  string
	Elem bool
	// Head is the value's first line, Tail its further lines, indented
	// already (see Lines).
	Head string
	Tail []string
	// Comment follows the first line ("# forces replacement").
	Comment string
	// Raw, when set, makes the entry a comment line at the keys' column
	// ("# (2 unchanged elements hidden)") instead.
	Raw string
}

// EntryLines lays out entries whose keys start at column indent: the keys
// aligned, a comma after each list element.
func EntryLines(indent int, entries []Entry) []string {
	width := 0
	for _, e := range entries {
		width = max(width, len(e.Key))
	}
	var lines []string
	for _, e := range entries {
		if e.Raw != "" {
			lines = append(lines, spaces(indent)+e.Raw)
			continue
		}
		l := spaces(indent)
		if e.Marker != "" {
			l = spaces(indent-2) + e.Marker + " "
		}
		if !e.Elem {
			l += e.Key + spaces(width-len(e.Key)) + " = "
		}
		l += e.Head
		if e.Elem && len(e.Tail) == 0 {
			l += ","
		}
		if e.Comment != "" {
			l += " " + e.Comment
		}
		lines = append(lines, l)
		lines = append(lines, e.Tail...)
		if e.Elem && len(e.Tail) > 0 {
			lines[len(lines)-1] += ","
		}
	}
	return lines
}

// Sensitive reports whether v shows as "(sensitive value)" (see
// plans.IsSensitive).
func Sensitive(v cty.Value) bool {
	return plans.IsSensitive(v)
}

// IsMultiline reports whether v is a known string of several lines, which
// is shown as a heredoc.
func IsMultiline(v cty.Value) bool {
	return !v.IsNull() && v.IsKnown() && strings.Contains(strings.TrimSuffix(v.AsString(), "\n"), "\n")
}

// HeredocLines returns the lines of a heredoc holding s, template
// sequences escaped ("$${", "%%{") so that they read back as the same
// string. A final newline is part of the heredoc's syntax, not a line.
func HeredocLines(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = escapeTemplate(l)
	}
	return lines
}

// Quote quotes s as an HCL string literal: Go's escapes, and "${" and
// "%{" escaped so that what is shown can be pasted into configuration.
func Quote(s string) string {
	return escapeTemplate(strconv.Quote(s))
}

func escapeTemplate(s string) string {
	s = strings.ReplaceAll(s, "${", "$${")
	return strings.ReplaceAll(s, "%{", "%%{")
}

// AttrName returns an object attribute's name as written: bare when it is
// an identifier, quoted otherwise.
func AttrName(name string) string {
	if hclsyntax.ValidIdentifier(name) {
		return name
	}
	return Quote(name)
}

// Number writes a number as an HCL literal, exactly: no exponent, no
// rounding (as cty's JSON encoding writes numbers).
func Number(f *big.Float) string {
	return f.Text('f', -1)
}

// primitive writes a known, non-null primitive as an HCL literal.
func primitive(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		return Quote(v.AsString())
	case cty.Number:
		return Number(v.AsBigFloat())
	case cty.Bool:
		return strconv.FormatBool(v.True())
	}
	return v.Type().FriendlyName()
}

// BlockHeader is how the block of the object at a is written in
// configuration: `app "web"`, `resource "acmedns_record" "www"`, `data
// "acmedns_zone" "main"`.
func BlockHeader(a addrs.Instance) string {
	res := a.Resource
	switch res.Kind() {
	case addrs.KindData:
		return fmt.Sprintf("data %q %q", res.Type, res.Name)
	case addrs.KindResource:
		return fmt.Sprintf("resource %q %q", res.Type, res.Name)
	}
	return fmt.Sprintf("%s %q", res.Type, res.Name)
}

func spaces(n int) string { return strings.Repeat(" ", n) }
