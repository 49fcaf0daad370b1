package main

import (
	"context"
	"fmt"
	"strings"
)

// `berth help COMMAND` prints the usage that `berth COMMAND -h` prints, as
// Terraform's `terraform help COMMAND` does.
func init() {
	register(&Command{
		Name:     "help",
		Synopsis: "Show the usage of berth or of a command",
		Run:      runHelp,
	})
}

func runHelp(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("help")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth help [COMMAND]\n\n"+
			"Prints the usage of COMMAND (one or two words, e.g. \"state list\"), the\n"+
			"same as berth COMMAND -h, or the list of commands.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		usage(m.Stdout)
		return 0
	}
	cmd, rest := lookup(fs.Args())
	if cmd == nil || len(rest) > 0 {
		unknownCommand(m.Stderr, strings.Join(fs.Args(), " "))
		return 1
	}
	return cmd.Run(ctx, m, []string{"-h"})
}
