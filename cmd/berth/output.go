package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func init() {
	register(&Command{
		Name:     "output",
		Synopsis: "Show the root outputs recorded in the state",
		Run:      runOutput,
	})
}

// sensitiveOutput is shown instead of a sensitive output's value in text,
// as Terraform does; -json and -raw show the value, since a script asked
// for it explicitly.
const sensitiveOutput = "<sensitive>"

// runOutput prints the outputs recorded in the state (never evaluated
// anew: what the last apply recorded is what other tools consume).
func runOutput(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("output")
	asJSON := fs.Bool("json", false, "print the outputs (or NAME's value) as JSON, sensitive values included")
	raw := fs.Bool("raw", false, "print NAME's value as a raw string, for scripts (strings, numbers and bools only)")
	fs.Bool("no-color", false, "disable colour in the output")
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: berth [-chdir=DIR] output [-json|-raw] [NAME]\n\n"+
			"Prints the root outputs recorded by the last apply, or only NAME's value.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() > 1 {
		m.Errorf("output takes at most one argument (an output name).")
		return exitError
	}
	if *asJSON && *raw {
		m.Errorf("-json and -raw cannot be used together.")
		return exitError
	}
	b, ok := m.stateBackend(&stateFlags{})
	if !ok {
		return exitError
	}
	st, ok := m.readState(ctx, b)
	if !ok {
		return exitError
	}
	if st == nil {
		st = state.New()
	}

	if fs.NArg() == 1 {
		name := fs.Arg(0)
		o := st.Outputs[name]
		if o == nil {
			hint := " (was it applied?)"
			if s := lang.NameSuggestion(name, slices.Sorted(maps.Keys(st.Outputs))); s != "" {
				hint = fmt.Sprintf("; did you mean %q?", s)
			}
			m.Errorf("output %q not found: the state has no output of that name%s.", name, hint)
			return exitError
		}
		switch {
		case *asJSON:
			b, err := valueJSON(o.Value)
			if err != nil {
				m.Errorf("encoding %s: %s", name, err)
				return exitError
			}
			fmt.Fprintln(m.Stdout, string(b))
		case *raw:
			v, _ := o.Value.UnmarkDeep()
			if v.IsNull() || !v.Type().IsPrimitiveType() {
				m.Errorf("-raw prints only strings, numbers and bools; use -json for %s.", name)
				return exitError
			}
			s, _ := convertToString(v)
			fmt.Fprint(m.Stdout, s)
		default:
			if o.Sensitive {
				fmt.Fprintln(m.Stdout, sensitiveOutput)
			} else {
				fmt.Fprintln(m.Stdout, formatValue(o.Value))
			}
		}
		return exitOK
	}
	if *raw {
		m.Errorf("-raw needs an output name.")
		return exitError
	}
	if *asJSON {
		b, err := json.MarshalIndent(jsonOutputs(st, true), "", "  ")
		if err != nil {
			m.Errorf("encoding outputs: %s", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(b))
		return exitOK
	}
	if len(st.Outputs) == 0 {
		fmt.Fprintln(m.Stderr, "Warning: No outputs found\n\nThe state has no outputs: either the configuration declares none, or it\nhas not been applied yet.")
		return exitOK
	}
	writeOutputsText(m.Stdout, st)
	return exitOK
}

// writeOutputsText writes "name = value" lines, sorted by name, sensitive
// values hidden.
func writeOutputsText(w io.Writer, st *state.State) {
	for _, n := range stateOutputs(st) {
		o := st.Outputs[n]
		v := sensitiveOutput
		if !o.Sensitive {
			v = formatValue(o.Value)
		}
		fmt.Fprintf(w, "%s = %s\n", n, v)
	}
}

// jsonOutputs is the outputs as `output -json` prints them (Terraform's
// shape: name -> {sensitive, type, value}). withSensitive includes the
// values of sensitive outputs.
func jsonOutputs(st *state.State, withSensitive bool) map[string]jsonOut {
	out := make(map[string]jsonOut, len(st.Outputs))
	for n, o := range st.Outputs {
		jo := jsonOut{Sensitive: o.Sensitive}
		if withSensitive || !o.Sensitive {
			if b, err := valueJSON(o.Value); err == nil {
				jo.Value = json.RawMessage(b)
			}
		}
		out[n] = jo
	}
	return out
}

// valueJSON encodes a wholly known value as plain JSON, marks dropped.
func valueJSON(v cty.Value) ([]byte, error) {
	v, _ = v.UnmarkDeep()
	return ctyjson.SimpleJSONValue{Value: v}.MarshalJSON()
}

// convertToString formats a primitive as -raw prints it.
func convertToString(v cty.Value) (string, error) {
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Bool:
		if v.True() {
			return "true", nil
		}
		return "false", nil
	case cty.Number:
		return formatNumber(v.AsBigFloat()), nil
	}
	return "", fmt.Errorf("not a primitive value")
}

// formatValue writes a recorded value the way it would be written in
// configuration: primitives as HCL literals, collections as JSON (which is
// valid HCL for them).
func formatValue(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return "null"
	}
	if v.Type().IsPrimitiveType() {
		return primitiveString(v)
	}
	b, err := valueJSON(v)
	if err != nil {
		return fmt.Sprintf("(cannot show: %s)", err)
	}
	var pretty any
	if json.Unmarshal(b, &pretty) == nil {
		if pb, err := json.MarshalIndent(pretty, "", "  "); err == nil {
			return string(pb)
		}
	}
	return string(b)
}
