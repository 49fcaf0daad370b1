package main

import (
	"context"
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The completion scripts: each asks `berth __complete` (complete.go) for
// the candidates, so that they know nothing of berth's commands and never
// go out of date.
var (
	//go:embed completion/berth.bash
	bashCompletion string
	//go:embed completion/berth.zsh
	zshCompletion string
	//go:embed completion/berth.fish
	fishCompletion string
)

// completionScripts are the scripts by shell name.
var completionScripts = map[string]string{
	"bash": bashCompletion,
	"zsh":  zshCompletion,
	"fish": fishCompletion,
}

func init() {
	register(&Command{
		Name:     "completion",
		Synopsis: "Print the shell completion script for bash, zsh or fish",
		Run:      runCompletion,
	})
}

func runCompletion(_ context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("completion")
	fs.Bool("no-color", false, "accepted for BERTH_CLI_ARGS=-no-color; a script has no colour")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth completion bash|zsh|fish\n\n"+
			"Prints the completion script of a shell: it completes commands, their\n"+
			"options, and addresses from the state (state show, rm, mv, list, taint,\n"+
			"untaint, import, -target, -replace). To install it:\n\n"+
			"  bash  echo 'eval \"$(berth completion bash)\"' >> ~/.bashrc\n"+
			"  zsh   berth completion zsh > \"${fpath[1]}/_berth\"   (or source <(berth completion zsh) in ~/.zshrc)\n"+
			"  fish  berth completion fish > ~/.config/fish/completions/berth.fish\n\n"+
			"Options:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	shells := slices.Sorted(maps.Keys(completionScripts))
	if fs.NArg() != 1 {
		m.Errorf("completion takes one argument, the shell: %s.", strings.Join(shells, ", "))
		return exitError
	}
	script, ok := completionScripts[fs.Arg(0)]
	if !ok {
		m.Errorf("no completion for the shell %q; berth has it for %s.", fs.Arg(0), strings.Join(shells, ", "))
		return exitError
	}
	fmt.Fprint(m.Stdout, script)
	return exitOK
}
