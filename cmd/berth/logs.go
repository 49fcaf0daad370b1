package main

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/views/logview"
)

func init() {
	register(&Command{Name: "logs", Synopsis: "Show the output of an app's instances", Run: runLogs})
}

// sinceFlag is -since: a duration back from now ("10m") or a time
// (RFC 3339).
type sinceFlag struct{ t *time.Time }

func (f sinceFlag) String() string { return "" }

func (f sinceFlag) Set(s string) error {
	t, err := parseSince(s, time.Now())
	if err == nil {
		*f.t = t
	}
	return err
}

// parseSince reads -since's value against now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q is negative: give how long back, e.g. 10m", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (10m, 1h30m) nor a time (2026-12-03T15:04:05Z)", s)
}

// runLogs prints the output of an app's instances merged, each line
// behind its instance's name; with -f it follows until Ctrl-C.
func runLogs(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("logs")
	var f instanceFlags
	f.register(fs)
	var opts core.LogsOptions
	fs.StringVar(&opts.Instance, "instance", "", "only the instance `NAME` (e.g. web-1)")
	fs.BoolVar(&opts.Follow, "f", false, "follow: keep printing new output until interrupted (Ctrl-C)")
	fs.Var(sinceFlag{&opts.Since}, "since", "only output since `WHEN`: a duration back from now (10m) or a time (RFC 3339)")
	fs.IntVar(&opts.Tail, "tail", -1, "only the last `N` lines of each instance (-1: all)")
	timestamps := fs.Bool("timestamps", false, "show each line's time")
	asJSON := fs.Bool("json", false, "machine-readable output: one JSON object a line (docs/json-output.md)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] logs [-f] [-instance NAME] [-since WHEN] [-tail N] [options] ADDRESS\n\n"+
			"Prints the output (stdout and stderr) of the instances of the app at\n"+
			"ADDRESS, merged in time order, each line behind the name of the instance\n"+
			"that wrote it. With -f, keeps printing new output until interrupted\n"+
			"(Ctrl-C ends it with exit status 0). The output is read through the app's\n"+
			"provider: its hosts need not be reachable with docker or kubectl.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		m.Errorf("logs takes exactly one address, e.g. berth logs app.web.")
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
	var known []core.AppLogLine
	for _, a := range in.Apps {
		for _, i := range app.DecodeInstances(a.Object.Value) {
			known = append(known, core.AppLogLine{App: a.Addr, LogLine: providers.LogLine{Instance: i.Name}})
		}
	}
	p := logview.NewPrinter(m.Stdout, m.Color, *timestamps, len(in.Apps) > 1, known)
	write := p.Lines
	if *asJSON {
		write = func(lines []core.AppLogLine) { _ = logview.JSONLines(m.Stdout, lines) }
	}
	diags := in.Logs(ctx, opts, write)
	if len(diags) > 0 {
		m.showDiagnostics(diags, nil)
	}
	if diags.HasErrors() {
		return exitError
	}
	return exitOK
}
