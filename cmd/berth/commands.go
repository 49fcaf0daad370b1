package main

import (
	"context"
	"errors"
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
	// Automation is true when BERTH_IN_AUTOMATION is set (to anything):
	// berth runs in a pipeline, not for a person at a terminal, and leaves
	// out the hints that tell a person which command to run next, as
	// Terraform does with TF_IN_AUTOMATION.
	Automation bool
	// CompactWarnings is -compact-warnings: warnings as one line each
	// (their summaries), errors in full.
	CompactWarnings bool

	// inspectFlags, when set, receives the flag set a command parses its
	// arguments with, and the command stops there (exit 0) without doing
	// anything: how completion learns a command's flags.
	inspectFlags func(*flag.FlagSet)
}

// envInAutomation is the environment variable that sets Meta.Automation.
const envInAutomation = "BERTH_IN_AUTOMATION"

// NewFlagSet returns a flag set for a command. Its Usage writes to
// fs.Output(), which Meta.parse points at stdout for -h and at stderr for
// a flag error. Every command accepts -input, as Terraform's do, so that
// CI scripts written for Terraform run unchanged.
func (m *Meta) NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Bool("input", false, "berth never prompts for variable values; accepted for Terraform compatibility")
	return fs
}

// parse parses a command's flags, wherever they are among its positional
// arguments (splitArgs), which fs.Args() then returns; ok is false when the
// command must return code: 0 after -h or -help (the usage on stdout), 1
// after a flag error (the error and the usage on stderr).
func (m *Meta) parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if m.inspectFlags != nil {
		m.inspectFlags(fs)
		return 0, false
	}
	flags, positional := splitArgs(fs, args)
	if code, ok := parseFlagSet(fs, m.Stdout, flags); !ok {
		return code, false
	}
	// Parsing "--" and the positional arguments sets no flag: it makes
	// them fs.Args().
	_ = fs.Parse(append([]string{"--"}, positional...))
	return 0, true
}

// parseFlagSet parses args with the flag package's rules (flags first,
// up to the first positional argument), with errors on fs.Output(): the
// global flag set's parse, which comes before the Meta and must stop at
// the command's name, and the flags part of Meta.parse.
func parseFlagSet(fs *flag.FlagSet, stdout io.Writer, args []string) (code int, ok bool) {
	// The flag package prints the usage inside Parse, on the same output
	// for -h as for an error; printing it afterwards lets -h go to stdout.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		stderr := fs.Output()
		fs.SetOutput(stdout)
		fs.Usage()
		fs.SetOutput(stderr)
		return 0, false
	default:
		fs.Usage() // after the error, which Parse printed
		return 1, false
	}
}

// Errorf prints an error line for the user on stderr.
func (m *Meta) Errorf(format string, args ...any) {
	fmt.Fprintf(m.Stderr, "Error: "+format+"\n", args...)
}

// globalFlags are the options that come before the command's name.
type globalFlags struct {
	chdir   string
	version bool
}

// newGlobalFlags returns the flag set of the global options, its errors
// on stderr.
func newGlobalFlags(stderr io.Writer) (*flag.FlagSet, *globalFlags) {
	g := &globalFlags{}
	fs := flag.NewFlagSet("berth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&g.chdir, "chdir", "", "switch to `DIR` before running the command")
	fs.BoolVar(&g.version, "version", false, "print the version")
	fs.Usage = func() { usage(fs.Output()) }
	return fs, g
}

func run(args []string, stdout, stderr io.Writer) int {
	global, g := newGlobalFlags(stderr)
	if code, ok := parseFlagSet(global, stdout, args); !ok {
		return code
	}
	rest := global.Args()
	if g.version {
		rest = []string{"version"}
	}
	if len(rest) == 0 {
		usage(stderr)
		return 1
	}

	cmd, cmdArgs := lookup(rest)
	if cmd == nil {
		unknownCommand(stderr, rest[0])
		return 1
	}
	// Hidden commands are berth's own (a provider process inherits the
	// environment), and help prints usage whatever the defaults.
	if !cmd.Hidden && cmd.Name != "help" {
		var err error
		if cmdArgs, err = withEnvArgs(os.Getenv, cmd.Name, cmdArgs); err != nil {
			fmt.Fprintf(stderr, "Error: %s.\n", err)
			return 1
		}
	}

	dir := "."
	if g.chdir != "" {
		if st, err := os.Stat(g.chdir); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "Error: -chdir=%s: not a directory.\n", g.chdir)
			return 1
		}
		dir = g.chdir
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	m := &Meta{Stdout: stdout, Stderr: stderr, Stdin: os.Stdin, Dir: dir, Color: !noColor,
		Automation: os.Getenv(envInAutomation) != ""}

	if cmd.OwnSignals {
		return cmd.Run(context.Background(), m, cmdArgs)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cmd.Run(ctx, m, cmdArgs)
}

// lookup finds the command that args name and returns it with its own
// arguments, or nil. Two-word commands ("state list") take precedence over
// one-word ones.
func lookup(args []string) (*Command, []string) {
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c, args[2:]
		}
	}
	if len(args) >= 1 {
		if c, ok := commands[args[0]]; ok {
			return c, args[1:]
		}
	}
	return nil, nil
}

// unknownCommand reports a command name that is not one, with the closest
// command, and the usage.
func unknownCommand(w io.Writer, name string) {
	hint := ""
	if s := lang.NameSuggestion(name, slices.Sorted(maps.Keys(commands))); s != "" {
		hint = fmt.Sprintf(" Did you mean %q?", s)
	}
	fmt.Fprintf(w, "Error: unknown command %q.%s\n\n", name, hint)
	usage(w)
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

// groupHelp answers a command group (state, workspace) called alone, with
// -h, or with an unknown subcommand: the usage and the subcommands with
// their synopses, and the error with the closest subcommand. A subcommand
// named after options (`state -no-color list`, as BERTH_CLI_ARGS makes
// it) runs with them.
func (m *Meta) groupHelp(ctx context.Context, group, usage string, subs []string, args []string) int {
	fs := m.NewFlagSet(group)
	fs.Bool("no-color", false, "accepted for BERTH_CLI_ARGS=-no-color; the usage has no colour")
	fs.Usage = func() {
		width := 0
		for _, n := range subs {
			width = max(width, len(n))
		}
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] %s <subcommand> %s\n\nSubcommands:\n", group, usage)
		for _, n := range subs {
			fmt.Fprintf(fs.Output(), "  %-*s %s\n", width, n, commands[group+" "+n].Synopsis)
		}
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		if c, ok := commands[group+" "+fs.Arg(0)]; ok {
			// The group's flags are all boolean: the first positional
			// argument is the first word that is not a flag.
			i := slices.Index(args, fs.Arg(0))
			return c.Run(ctx, m, slices.Delete(slices.Clone(args), i, i+1))
		}
	}
	fs.Usage()
	if fs.NArg() > 0 {
		hint := ""
		if s := lang.NameSuggestion(fs.Arg(0), subs); s != "" {
			hint = fmt.Sprintf(" Did you mean %q?", s)
		}
		fmt.Fprintf(m.Stderr, "\nError: unknown %s subcommand %q.%s\n", group, fs.Arg(0), hint)
	}
	return 1
}
