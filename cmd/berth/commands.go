package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"sort"
	"syscall"

	"github.com/berth-sh/berth/lang"
)

// Command is one berth subcommand. Flags follow Terraform's single-dash
// style (-chdir=DIR, -json), which is why berth uses the standard flag
// package rather than a POSIX-style flag library.
type Command struct {
	// Name is the full command name, e.g. "validate" or "state list".
	Name     string
	Synopsis string
	// Hidden commands are not listed in help (e.g. the provider mode).
	Hidden bool
	// OwnSignals commands get a context that SIGINT/SIGTERM do not cancel
	// and install their own handling (apply: the first signal stops
	// gracefully, the second aborts).
	OwnSignals bool
	// Run executes the command with its own arguments (after the name) and
	// returns the process exit code.
	Run func(ctx context.Context, m *Meta, args []string) int
}

var commands = map[string]*Command{}

// register adds a command to the CLI; each command's file calls it from init.
func register(c *Command) {
	if _, dup := commands[c.Name]; dup {
		panic("duplicate command " + c.Name)
	}
	commands[c.Name] = c
}

// Meta is what every command gets: where to write, the working directory
// and the global options.
type Meta struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	// Dir is the working directory after -chdir.
	Dir string
	// Color is false with -no-color or when NO_COLOR is set.
	Color bool
}

// NewFlagSet returns a flag set for a command that prints the command's
// usage on -h and reports flag errors on m.Stderr.
func (m *Meta) NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	return fs
}

// Errorf prints an error line for the user on stderr.
func (m *Meta) Errorf(format string, args ...any) {
	fmt.Fprintf(m.Stderr, "Error: "+format+"\n", args...)
}

func run(args []string, stdout, stderr io.Writer) int {
	global := flag.NewFlagSet("berth", flag.ContinueOnError)
	global.SetOutput(stderr)
	chdir := global.String("chdir", "", "switch to `DIR` before running the command")
	showVersion := global.Bool("version", false, "print the version")
	global.Usage = func() { usage(stderr) }
	if err := global.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 1
	}
	rest := global.Args()
	if *showVersion {
		rest = []string{"version"}
	}
	if len(rest) == 0 {
		usage(stderr)
		return 1
	}

	// Two-word commands ("state list") take precedence over one-word ones.
	var cmd *Command
	var cmdArgs []string
	if len(rest) >= 2 {
		if c, ok := commands[rest[0]+" "+rest[1]]; ok {
			cmd, cmdArgs = c, rest[2:]
		}
	}
	if cmd == nil {
		c, ok := commands[rest[0]]
		if !ok {
			hint := ""
			if s := lang.NameSuggestion(rest[0], slices.Sorted(maps.Keys(commands))); s != "" {
				hint = fmt.Sprintf(" Did you mean %q?", s)
			}
			fmt.Fprintf(stderr, "Error: unknown command %q.%s\n\n", rest[0], hint)
			usage(stderr)
			return 1
		}
		cmd, cmdArgs = c, rest[1:]
	}

	dir := "."
	if *chdir != "" {
		if st, err := os.Stat(*chdir); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "Error: -chdir=%s: not a directory.\n", *chdir)
			return 1
		}
		dir = *chdir
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	m := &Meta{Stdout: stdout, Stderr: stderr, Stdin: os.Stdin, Dir: dir, Color: !noColor}

	if cmd.OwnSignals {
		return cmd.Run(context.Background(), m, cmdArgs)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cmd.Run(ctx, m, cmdArgs)
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: berth [-chdir=DIR] <command> [options]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n, c := range commands {
		if !c.Hidden {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].Synopsis)
	}
}

// groupHelp answers a command group (state, workspace) called alone or
// with an unknown subcommand: the usage and the subcommands with their
// synopses, and the error with the closest subcommand.
func (m *Meta) groupHelp(group, usage string, subs []string, args []string) int {
	width := 0
	for _, n := range subs {
		width = max(width, len(n))
	}
	fmt.Fprintf(m.Stderr, "Usage: berth [-chdir=DIR] %s <subcommand> %s\n\nSubcommands:\n", group, usage)
	for _, n := range subs {
		fmt.Fprintf(m.Stderr, "  %-*s %s\n", width, n, commands[group+" "+n].Synopsis)
	}
	if len(args) > 0 && args[0] != "-h" && args[0] != "-help" && args[0] != "--help" {
		hint := ""
		if s := lang.NameSuggestion(args[0], subs); s != "" {
			hint = fmt.Sprintf(" Did you mean %q?", s)
		}
		fmt.Fprintf(m.Stderr, "\nError: unknown %s subcommand %q.%s\n", group, args[0], hint)
		return 1
	}
	if len(args) == 0 {
		return 1
	}
	return 0
}
