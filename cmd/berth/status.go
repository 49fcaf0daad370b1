package main

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/views/statusview"
)

func init() {
	register(&Command{Name: "status", Synopsis: "Show apps' instances as they run now", Run: runStatus})
}

// runStatus reads the apps' instances from their platforms (not from the
// state) and shows them with the rollout in progress.
func runStatus(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("status")
	var f instanceFlags
	f.register(fs)
	asJSON := fs.Bool("json", false, "machine-readable output (docs/json-output.md)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] status [-json] [options] [ADDRESS]\n\n"+
			"Shows every app recorded in the state, or the app at ADDRESS, as its\n"+
			"platform runs it now: each instance with its host, state, readiness,\n"+
			"version (image digest and config hash), age and restarts, and the\n"+
			"rollout in progress (a canary, or a rollout left with instances on two\n"+
			"specs). It reads the instances live and changes nothing, not even the\n"+
			"state. Exit status 1 when an app cannot be read.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 1 {
		m.Errorf("status takes at most one address, e.g. berth status app.web.")
		return exitError
	}
	var addr *addrs.Instance
	if fs.NArg() == 1 {
		var ok bool
		if addr, ok = m.parseAppAddress(fs.Arg(0)); !ok {
			return exitError
		}
	}
	in, ok := m.openInstances(ctx, &f, addr)
	if !ok {
		return exitError
	}
	defer in.Close()
	apps := in.Status(ctx)
	if *asJSON {
		if err := statusview.JSON(m.Stdout, apps); err != nil {
			m.Errorf("%s", err)
			return exitError
		}
	} else {
		statusview.Text(m.Stdout, apps, m.Color, time.Now())
	}
	for _, a := range apps {
		if a.Diagnostics.HasErrors() {
			return exitError
		}
	}
	return exitOK
}
