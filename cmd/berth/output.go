package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/views/jsondoc"
	"github.com/berth-sh/berth/views/statetext"
)

func init() {
	register(&Command{
		Name:     "output",
		Synopsis: "Show the root outputs recorded in the state",
		Run:      runOutput,
	})
}

// runOutput prints the outputs recorded in the state (never evaluated
// anew: what the last apply recorded is what other tools consume).
func runOutput(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("output")
	asJSON := fs.Bool("json", false, "print the outputs (or NAME's value) as JSON, sensitive values included")
	raw := fs.Bool("raw", false, "print NAME's value as a raw string, for scripts (strings, numbers and bools only)")
	fs.Bool("no-color", false, "disable colour in the output")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] output [-json|-raw] [NAME]\n\n"+
			"Prints the root outputs recorded by the last apply, or only NAME's value.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 1 {
		m.Errorf("output takes at most one argument (an output name).")
		return exitError
	}
	if *asJSON && *raw {
		m.Errorf("-json and -raw cannot be used together.")
		return exitError
	}
	b, ok := m.stateBackend(ctx, &stateFlags{})
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
			b, err := jsondoc.OutputValue(o.Value)
			if err != nil {
				m.Errorf("encoding %s: %s", name, err)
				return exitError
			}
			fmt.Fprintln(m.Stdout, string(b))
		case *raw:
			s, err := statetext.Raw(o.Value)
			if err != nil {
				m.Errorf("-raw prints only strings, numbers and bools; use -json for %s.", name)
				return exitError
			}
			fmt.Fprint(m.Stdout, s)
		default:
			fmt.Fprintln(m.Stdout, statetext.Output(o))
		}
		return exitOK
	}
	if *raw {
		m.Errorf("-raw needs an output name.")
		return exitError
	}
	if *asJSON {
		b, err := json.MarshalIndent(jsondoc.Outputs(st, true), "", "  ")
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
	statetext.Outputs(m.Stdout, st)
	return exitOK
}
