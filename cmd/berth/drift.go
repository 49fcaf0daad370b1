package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/berth-sh/berth/views/events"
	"github.com/berth-sh/berth/views/jsondoc"
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
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] drift [-json] [options]\n\n"+
			"Reads every recorded object from its provider, compares it with the state\n"+
			"(not with the configuration: plan does that) and reports the ones that\n"+
			"changed outside berth. Exit status 0 when none did, 2 when some did, 1 on\n"+
			"error. With -json, prints a drift report (docs/json-output.md).\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	o.configure(m)
	if fs.NArg() > 0 {
		m.Errorf("drift takes no arguments, got %q.", fs.Arg(0))
		return exitError
	}
	o.refresh, o.refreshOnly = true, true
	if !o.json {
		// The refresh's progress; -json prints the report alone.
		o.events = events.NewWriter(m.Stdout, false, m.Color).Handle
	}
	p, w, diags := m.makePlan(ctx, &o, "")
	if p == nil || diags.HasErrors() {
		m.report(&o, diags, w.files())
		return exitError
	}
	report := jsondoc.NewDriftReport(p)
	if o.json {
		b, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			m.Errorf("encoding the report: %s", err)
			return exitError
		}
		fmt.Fprintln(m.Stdout, string(b))
	} else {
		m.renderPlan(p, false)
	}
	m.report(&o, diags, w.files())
	if report.Drifted {
		return exitChanges
	}
	return exitOK
}
