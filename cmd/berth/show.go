package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/views/jsondoc"
	"github.com/berth-sh/berth/views/statetext"
)

func init() {
	register(&Command{
		Name:     "show",
		Synopsis: "Show a saved plan, or the current state",
		Run:      runShow,
	})
}

// runShow renders a saved plan (berth plan -out) as plan does, or, with no
// argument, the objects and outputs recorded in the state.
func runShow(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("show")
	asJSON := fs.Bool("json", false, "machine-readable output (docs/json-output.md)")
	noColor := fs.Bool("no-color", false, "disable colour in the output")
	compact := fs.Bool("compact", false, compactUsage+" (a saved plan)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] show [-json] [-no-color] [-compact] [PLAN]\n\n"+
			"Shows a saved plan, or the current state when no PLAN is given.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if *noColor {
		m.Color = false
	}
	switch fs.NArg() {
	case 0:
		if *compact {
			m.Errorf("-compact shows a saved plan: berth show -compact PLAN.")
			return exitError
		}
	case 1:
		path := fs.Arg(0)
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.Dir, path)
		}
		cfg, enc, ok := m.loadEncryption()
		if !ok {
			return exitError
		}
		p, err := plans.ReadPlanFile(ctx, path, enc.PlanTarget())
		if err != nil {
			m.Errorf("reading the saved plan: %s", err)
			return exitError
		}
		if *asJSON {
			// The configuration here is the plan's only if the files are
			// those it was made from.
			withConfig := jsondoc.WithProviderSources(cfg)
			if cfg != nil && !core.CheckPlanBinding(m.Dir, p).HasErrors() {
				withConfig = jsondoc.WithConfig(cfg)
			}
			if err := jsondoc.WritePlan(m.Stdout, p, withConfig); err != nil {
				m.Errorf("writing output: %s", err)
				return exitError
			}
			return exitOK
		}
		m.renderPlan(p, *compact)
		return exitOK
	default:
		m.Errorf("show takes at most one argument (a saved plan).")
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
	if *asJSON {
		cfg, _ := m.loadUnvalidated() // loaded fine for the backend above
		out, err := json.MarshalIndent(jsondoc.NewState(st, jsondoc.WithProviderSources(cfg)), "", "  ")
		if err != nil {
			m.Errorf("encoding the state: %s", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(out))
		return exitOK
	}
	statetext.State(m.Stdout, st)
	return exitOK
}
