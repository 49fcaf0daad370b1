package main

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/providers/plugin"
)

// The hidden provider mode: berth re-executes itself as
// `berth internal-provider NAME` to run a built-in provider as a plugin
// process (see plugin.BuiltinSpec). The built-in providers register
// themselves with package providers/builtin from their packages' init
// functions; importing them into this command is what ships them.
func init() {
	register(&Command{
		Name:     plugin.BuiltinCommand,
		Synopsis: "Serve a built-in provider as a plugin (used by berth itself)",
		Hidden:   true,
		Run:      runInternalProvider,
	})
}

func runInternalProvider(_ context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet(plugin.BuiltinCommand)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth %s NAME\n\n"+
			"Serves the built-in provider NAME as a plugin. berth runs this itself;\n"+
			"it is not meant to be run by hand.\n\nOptions:\n", plugin.BuiltinCommand)
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		m.Errorf("usage: berth %s NAME; this command is run by berth itself to start a built-in provider", plugin.BuiltinCommand)
		return 1
	}
	// Serve returns when berth closes the plugin; a process started by
	// hand without berth's handshake environment exits inside it.
	if err := plugin.ServeBuiltin(fs.Arg(0)); err != nil {
		m.Errorf("%v", err)
		return 1
	}
	return 0
}
