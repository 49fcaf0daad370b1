package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/lang"
)

// completeCommand is the hidden entry point the completion scripts of
// `berth completion` call: `berth __complete -- WORD...`, the words after
// "berth" on the command line up to the one being completed (possibly
// empty), prints the candidates for that last word, one a line. No
// candidate lets the shell fall back to completing file names.
const completeCommand = "__complete"

// stateReadTimeout bounds the reading of the state for address candidates,
// so that a slow remote backend cannot freeze the shell.
const stateReadTimeout = 5 * time.Second

func init() {
	register(&Command{
		Name:     completeCommand,
		Synopsis: "Print completion candidates (called by the completion scripts)",
		Hidden:   true,
		Run:      runComplete,
	})
}

func runComplete(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet(completeCommand)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth %s -- [WORD...] CURRENT\n\n"+
			"Prints the candidates for CURRENT, the word being completed after the\n"+
			"words before it, one a line. The scripts of berth completion call it.\n\nOptions:\n", completeCommand)
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	words := fs.Args()
	if len(words) == 0 {
		words = []string{""}
	}
	ctx, cancel := context.WithTimeout(ctx, stateReadTimeout)
	defer cancel()
	for _, c := range m.completions(ctx, words) {
		fmt.Fprintln(m.Stdout, c)
	}
	return exitOK
}

// addressArgs says, for the commands whose positional arguments are
// addresses, whether the n-th (from 0) is one, and where its candidates
// come from.
var addressArgs = map[string]func(n int) (addressSource, bool){
	"state show": first(fromState),
	"state mv":   first(fromState),
	"state rm":   every(fromState),
	"state list": every(fromState),
	"taint":      first(fromState),
	"untaint":    first(fromState),
	"import":     first(fromConfigOnly),
	// The apps a rollout concerns are in the state.
	"rollout status":  first(fromState),
	"rollout promote": first(fromState),
	"rollout abort":   first(fromState),
	// The day-2 commands work on recorded apps.
	"status": first(fromStateApps),
	"logs":   first(fromStateApps),
	"exec":   first(fromStateApps),
}

// addressFlags are the flags whose values are addresses.
var addressFlags = map[string]addressSource{
	"target":  fromStateAndConfig,
	"replace": fromState,
}

// addressSource is where address candidates come from.
type addressSource int

const (
	// fromState: the addresses recorded in the state (resources and their
	// instances).
	fromState addressSource = iota
	// fromStateAndConfig adds the configuration's resources, which -target
	// may name before they exist.
	fromStateAndConfig
	// fromConfigOnly: the configuration's managed resources that the state
	// does not record (import adopts what berth does not manage yet).
	fromConfigOnly
	// fromStateApps: the apps recorded in the state (status, logs, exec).
	fromStateApps
)

func first(src addressSource) func(int) (addressSource, bool) {
	return func(n int) (addressSource, bool) { return src, n == 0 }
}

func every(src addressSource) func(int) (addressSource, bool) {
	return func(int) (addressSource, bool) { return src, true }
}

// completions returns the candidates for the last of words (the words
// after "berth"), sorted, those that begin with it.
func (m *Meta) completions(ctx context.Context, words []string) []string {
	cur, prev := words[len(words)-1], words[:len(words)-1]
	// -chdir changes the directory of this completion only.
	own := *m
	m = &own
	// A lone "-" is no flag on a command line, but being typed it is the
	// start of one.
	curFlag := strings.HasPrefix(cur, "-")

	// The global options come before the command's name.
	global, _ := newGlobalFlags(io.Discard)
	i := 0
	for i < len(prev) && isFlagWord(prev[i]) {
		if f := global.Lookup(flagName(prev[i])); f != nil && !isBoolFlag(f) && !strings.Contains(prev[i], "=") {
			i++ // its value
		}
		i++
	}
	if i > len(prev) {
		return nil // the value of a global option: a directory
	}
	_ = global.Parse(prev[:i])
	if dir := global.Lookup("chdir").Value.String(); dir != "" {
		m.Dir = dir
	}
	rest := prev[i:]
	if len(rest) == 0 {
		if curFlag {
			return matching(cur, flagCandidates(global, cur))
		}
		return matching(cur, commandWords(nil))
	}
	if group := subcommands(rest[0]); len(rest) == 1 && len(group) > 0 && !curFlag {
		return matching(cur, group)
	}
	cmd, cmdArgs := lookup(rest)
	if cmd == nil {
		return nil
	}
	switch cmd.Name {
	case "help":
		if n := len(cmdArgs); n == 0 || (n == 1 && len(subcommands(cmdArgs[0])) > 0) {
			return matching(cur, commandWords(cmdArgs))
		}
		return nil
	case "completion":
		if len(cmdArgs) == 0 && !curFlag {
			return matching(cur, slices.Sorted(maps.Keys(completionScripts)))
		}
	}

	fs := m.commandFlags(cmd)
	if fs == nil {
		return nil
	}
	flags, positional, pending, dashdash := scanArgs(fs, cmdArgs)
	_ = fs.Parse(flags) // for -state
	switch {
	case pending != "":
		if src, ok := addressFlags[pending]; ok {
			return matching(cur, m.addresses(ctx, fs, src))
		}
		return nil
	case curFlag && !dashdash:
		name, _, hasValue := strings.Cut(cur, "=")
		if !hasValue {
			return matching(cur, flagCandidates(fs, cur))
		}
		src, ok := addressFlags[flagName(name)]
		if !ok || fs.Lookup(flagName(name)) == nil {
			return nil
		}
		var out []string
		for _, a := range m.addresses(ctx, fs, src) {
			out = append(out, name+"="+a)
		}
		return matching(cur, out)
	}
	if at, ok := addressArgs[cmd.Name]; ok {
		if src, ok := at(len(positional)); ok {
			return matching(cur, m.addresses(ctx, fs, src))
		}
	}
	return nil
}

// scanArgs is splitArgs for a command line that stops in the middle:
// pending is the name of a flag that waits for its value (the word being
// completed), and dashdash says that "--" ended the flags.
func scanArgs(fs *flag.FlagSet, args []string) (flags, positional []string, pending string, dashdash bool) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return flags, append(positional, args[i+1:]...), "", true
		case !isFlagWord(arg):
			positional = append(positional, arg)
			continue
		}
		flags = append(flags, arg)
		if strings.Contains(arg, "=") {
			continue
		}
		if f := fs.Lookup(flagName(arg)); f != nil && !isBoolFlag(f) {
			if i+1 == len(args) {
				return flags[:len(flags)-1], positional, f.Name, false
			}
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, positional, "", false
}

// isFlagWord says whether a word is a flag, as splitArgs decides.
func isFlagWord(w string) bool { return len(w) >= 2 && w[0] == '-' }

// flagName is the name of the flag a word sets: "-target=x" sets target.
func flagName(w string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(w, "-"), "-"), "=")
	return name
}

// flagCandidates are fs's flags, spelled with as many dashes as cur has:
// "-name" for a boolean flag, "-name=" for one that takes a value, so that
// the value follows without a space.
func flagCandidates(fs *flag.FlagSet, cur string) []string {
	dash := "-"
	if strings.HasPrefix(cur, "--") {
		dash = "--"
	}
	var out []string
	fs.VisitAll(func(f *flag.Flag) {
		if isBoolFlag(f) {
			out = append(out, dash+f.Name)
		} else {
			out = append(out, dash+f.Name+"=")
		}
	})
	return out
}

// commandWords returns the words that may follow words (nil, or a command
// group's name) in a command's name: the first words of the commands, or
// the group's subcommands. Hidden commands are left out.
func commandWords(words []string) []string {
	if len(words) == 1 {
		return subcommands(words[0])
	}
	seen := map[string]bool{}
	for name, c := range commands {
		if !c.Hidden {
			seen[strings.Fields(name)[0]] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// subcommands returns the second words of the commands of group ("list"
// for "state list"), or nil when group is not a group.
func subcommands(group string) []string {
	var out []string
	for name, c := range commands {
		if sub, ok := strings.CutPrefix(name, group+" "); ok && !c.Hidden {
			out = append(out, sub)
		}
	}
	slices.Sort(out)
	return out
}

// matching returns the candidates that begin with cur, sorted, without
// duplicates.
func matching(cur string, candidates []string) []string {
	var out []string
	for _, c := range candidates {
		if strings.HasPrefix(c, cur) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// commandFlags returns the flag set cmd parses its arguments with, without
// running it: Meta.parse hands it over and stops the command there.
func (m *Meta) commandFlags(cmd *Command) *flag.FlagSet {
	var fs *flag.FlagSet
	probe := &Meta{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader(""), Dir: m.Dir,
		inspectFlags: func(f *flag.FlagSet) { fs = f }}
	cmd.Run(context.Background(), probe, nil)
	return fs
}

// addresses returns the address candidates of src: from the state (the
// file of a -state flag in fs, else the configured backend) and the
// configuration. What cannot be read gives no candidates: completion
// reports nothing.
func (m *Meta) addresses(ctx context.Context, fs *flag.FlagSet, src addressSource) []string {
	quiet := &Meta{Stdout: io.Discard, Stderr: io.Discard, Dir: m.Dir}
	var recorded []string
	sf := &stateFlags{}
	if f := fs.Lookup("state"); f != nil {
		sf.statePath = f.Value.String()
	}
	if b, ok := quiet.stateBackend(ctx, sf); ok {
		if st, err := b.Read(ctx); err == nil {
			recorded = st.Addresses()
		}
	}
	switch src {
	case fromState:
		return recorded
	case fromStateApps:
		return slices.DeleteFunc(recorded, func(a string) bool { return !strings.HasPrefix(a, lang.KindApp+".") })
	}
	cfg, _ := lang.LoadDir(m.Dir)
	if cfg == nil {
		return recorded
	}
	out := slices.Clone(recorded)
	if src == fromConfigOnly {
		out = nil
	}
	for addr := range cfg.Resources {
		if src == fromConfigOnly && (strings.HasPrefix(addr, "data.") || slices.Contains(recorded, addr)) {
			continue
		}
		out = append(out, addr)
	}
	return out
}
