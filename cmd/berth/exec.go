package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"golang.org/x/term"

	"github.com/berth-sh/berth/providers"
)

func init() {
	register(&Command{Name: "exec", Synopsis: "Run a command in an instance of an app", Run: runExec})
}

// runExec runs a command in one instance of an app, attached to berth's
// standard streams, with a terminal when berth has one, and exits with
// the command's exit code.
func runExec(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("exec")
	var f instanceFlags
	f.register(fs)
	instance := fs.String("instance", "", "run in the instance `NAME` (e.g. web-1); default: the first ready one")
	noTTY := fs.Bool("no-tty", false, "do not allocate a terminal, even when berth runs in one")
	stdin := fs.Bool("stdin", false, "pass standard input to the command even when it is not a terminal")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] exec [-instance NAME] [options] ADDRESS -- COMMAND [ARG...]\n\n"+
			"Runs COMMAND in an instance of the app at ADDRESS (the one -instance\n"+
			"names, else the first ready one) through the app's provider. When\n"+
			"standard input and output are a terminal, the command gets one too and\n"+
			"reads its input from it (berth exec app.web -- sh). berth exits with\n"+
			"the command's exit status, or 1 when it cannot run it.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	// The command is everything after "--", flags of its own included;
	// berth's flags and the address come before.
	cut := slices.Index(args, "--")
	var command []string
	if cut >= 0 {
		args, command = args[:cut], args[cut+1:]
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if cut < 0 {
		m.Errorf("exec needs the command after --, e.g. berth exec app.web -- sh.")
		return exitError
	}
	if fs.NArg() != 1 {
		m.Errorf("exec takes exactly one address before --, e.g. berth exec app.web -- sh.")
		return exitError
	}
	if len(command) == 0 {
		m.Errorf("exec needs a command after --, e.g. berth exec app.web -- sh.")
		return exitError
	}
	addr, ok := m.parseAppAddress(fs.Arg(0))
	if !ok {
		return exitError
	}
	in, ok := m.openInstances(ctx, &f, addr)
	if !ok {
		return exitError
	}
	defer in.Close()

	req := providers.InstanceExecRequest{Instance: *instance, Command: command, Stdout: m.Stdout, Stderr: m.Stderr}
	inFile, inTerm := m.Stdin.(*os.File)
	inTerm = inTerm && term.IsTerminal(int(inFile.Fd()))
	outFile, outTerm := m.Stdout.(*os.File)
	outTerm = outTerm && term.IsTerminal(int(outFile.Fd()))
	if inTerm || *stdin {
		req.Stdin = m.Stdin
	}
	if inTerm && outTerm && !*noTTY {
		req.TTY = true
		if w, h, err := term.GetSize(int(outFile.Fd())); err == nil {
			req.Size = providers.TerminalSize{Width: uint(w), Height: uint(h)}
		}
		resize, stop := watchResize(ctx, outFile)
		defer stop()
		req.Resize = resize
		// Keys go to the remote terminal as typed, Ctrl-C included.
		old, err := term.MakeRaw(int(inFile.Fd()))
		if err != nil {
			m.Errorf("cannot put the terminal in raw mode: %s", err)
			return exitError
		}
		defer func() { _ = term.Restore(int(inFile.Fd()), old) }()
	}
	code, diags := in.Exec(ctx, req)
	if len(diags) > 0 {
		m.showDiagnostics(diags, nil)
	}
	if diags.HasErrors() {
		return exitError
	}
	return code
}
