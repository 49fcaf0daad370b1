package main

import (
	"context"
	"fmt"
)

func init() {
	register(&Command{
		Name:     "graph",
		Synopsis: "Print the dependency graph in Graphviz DOT",
		Run:      runGraph,
	})
}

// runGraph prints the engine's dependency graph of the configuration and
// the recorded state, in DOT (berth graph | dot -Tsvg > graph.svg). It
// reads the state without locking: it changes nothing and a graph of a
// moment ago is as good.
func runGraph(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("graph")
	var o opFlags
	fs.Var(varsFlag{"var", &o.vars}, "var", "set an input variable: `NAME=VALUE` (repeatable)")
	fs.Var(varsFlag{"var-file", &o.vars}, "var-file", "read input variables from `FILE` (repeatable)")
	noColor := fs.Bool("no-color", false, "disable colour in the output")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] graph\n\n"+
			"Prints the dependency graph of the configuration and the recorded state in\n"+
			"Graphviz's DOT language: berth graph | dot -Tsvg > graph.svg\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if *noColor {
		m.Color = false
	}
	if fs.NArg() > 0 {
		m.Errorf("graph takes no arguments.")
		return exitError
	}
	o.parallelism, o.lock = 1, false
	w, diags := m.open(ctx, &o)
	if diags.HasErrors() {
		m.showDiagnostics(diags, w.files())
		return exitError
	}
	st, err := w.op.State.Read(ctx)
	if err != nil {
		m.Errorf("reading the state: %s", err)
		return exitError
	}
	dot, d := w.op.Engine.Graph(st)
	diags = diags.Extend(d)
	if dot != "" {
		fmt.Fprint(m.Stdout, dot)
	}
	m.showDiagnostics(diags, w.files())
	if diags.HasErrors() {
		return exitError
	}
	return exitOK
}
