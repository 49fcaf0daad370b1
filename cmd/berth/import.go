package main

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/addrs"
)

func init() {
	register(&Command{
		Name:     "import",
		Synopsis: "Bring an existing object under berth's management",
		Run:      runImport,
	})
}

// runImport records an existing object, found by its provider-specific
// ID, in the state at ADDRESS (which must be declared in the
// configuration). The object itself is not changed.
func runImport(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("import")
	var o opFlags
	fs.Var(varsFlag{"var", &o.vars}, "var", "set an input variable: `NAME=VALUE` (repeatable)")
	fs.Var(varsFlag{"var-file", &o.vars}, "var-file", "read input variables from `FILE` (repeatable)")
	fs.BoolVar(&o.lock, "lock", true, "lock the state while working")
	fs.DurationVar(&o.lockTimeout, "lock-timeout", 0, "wait up to `DURATION` for the state lock")
	noColor := fs.Bool("no-color", false, "disable colour in the output")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] import [options] ADDRESS ID\n\n"+
			"Reads the existing object ID from its provider and records it in the state\n"+
			"as ADDRESS, which must be declared in the configuration. Run berth plan\n"+
			"afterwards to see how it differs from its configuration.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if *noColor {
		m.Color = false
	}
	if fs.NArg() != 2 {
		m.Errorf("import takes two arguments: ADDRESS ID.")
		return exitError
	}
	addr, err := addrs.ParseInstance(fs.Arg(0))
	if err != nil {
		m.Errorf("invalid address %q: %s", fs.Arg(0), err)
		return exitError
	}
	o.parallelism = 1
	w, diags := m.open(ctx, &o)
	if diags.HasErrors() {
		m.showDiagnostics(diags, w.files())
		return exitError
	}
	fmt.Fprintf(m.Stdout, "%s: Importing from ID %q...\n", addr, fs.Arg(1))
	_, d := w.op.Import(ctx, addr, fs.Arg(1))
	diags = diags.Extend(d)
	m.showDiagnostics(diags, w.files())
	if diags.HasErrors() {
		return exitError
	}
	fmt.Fprintf(m.Stdout, "%s: Import prepared!\n\n%s\n\nThe object is now managed by berth", addr, m.bold("Import successful!"))
	if m.Automation {
		fmt.Fprintln(m.Stdout, ".")
	} else {
		fmt.Fprintln(m.Stdout, ": run berth plan to compare it with its configuration.")
	}
	return exitOK
}
