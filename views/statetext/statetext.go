// Package statetext shows the recorded state as text: an object as `berth
// state show` and `berth show` print it, and the outputs as `berth
// output`, `berth show` and the end of `berth apply` print them. Values are
// written by the one value printer, package hclvalue, in HCL syntax.
package statetext

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/views/hclvalue"
	"github.com/zclconf/go-cty/cty"
)

// SensitiveOutput is shown instead of a sensitive output's value, as
// Terraform does; `output -json` and `-raw` show the value, since a script
// asked for it explicitly.
const SensitiveOutput = "<sensitive>"

// Object writes the instance at addr the way `terraform state show` does:
// a comment with the address, then a block of the resource's kind with
// the attributes sorted and aligned. No schema is needed: every attribute
// is shown as an attribute (nested blocks as objects or lists).
func Object(w io.Writer, addr addrs.Instance, obj *state.Object) {
	var b strings.Builder
	b.WriteString("# " + addr.String() + ":")
	if obj.Status == state.ObjectTainted {
		b.WriteString(" (tainted)")
	}
	b.WriteString("\n" + hclvalue.BlockHeader(addr) + " ")
	v := obj.Value
	switch {
	case hclvalue.Sensitive(v):
		// A wholly sensitive object still shows its structure, never values.
		b.WriteString("{\n    # " + hclvalue.SensitivePlaceholder + "\n}")
	case v.IsNull() || !v.Type().IsObjectType():
		b.WriteString("{}")
	default:
		b.WriteString(hclvalue.Format(v))
	}
	b.WriteString("\n")
	// A failed write to the terminal leaves nothing useful to report to.
	_, _ = io.WriteString(w, b.String())
}

// State writes every object of st, by address, then its outputs: what
// `berth show` prints without a plan.
func State(w io.Writer, st *state.State) {
	if st.Empty() {
		fmt.Fprintln(w, "The state is empty: berth manages no objects yet.")
		return
	}
	for _, r := range st.SortedResources() {
		for _, k := range r.SortedKeys() {
			Object(w, r.Addr.Instance(k), r.Instances[k])
			fmt.Fprintln(w)
		}
	}
	if len(st.Outputs) > 0 {
		fmt.Fprintf(w, "\nOutputs:\n\n")
		Outputs(w, st)
	}
}

// Outputs writes "name = value" lines, sorted by name, sensitive values
// hidden.
func Outputs(w io.Writer, st *state.State) {
	for _, n := range slices.Sorted(maps.Keys(st.Outputs)) {
		fmt.Fprintf(w, "%s = %s\n", n, Output(st.Outputs[n]))
	}
}

// Output is the value of o as `berth output NAME` prints it.
func Output(o *state.Output) string {
	if o.Sensitive {
		return SensitiveOutput
	}
	return hclvalue.Format(o.Value)
}

// ErrNotPrimitive is Raw's error for a value that is not a string, a
// number or a bool.
var ErrNotPrimitive = errors.New("not a string, number or bool")

// Raw is a primitive value as `berth output -raw` prints it, for scripts:
// a string without quotes, a number or bool as written in HCL.
func Raw(v cty.Value) (string, error) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return "", ErrNotPrimitive
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Bool:
		return strconv.FormatBool(v.True()), nil
	case cty.Number:
		return hclvalue.Number(v.AsBigFloat()), nil
	}
	return "", ErrNotPrimitive
}
