package main

import (
	"context"
	"time"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/views/rolloutview"
)

// berth rollout: the commands of a rollout that spans runs (a canary,
// docs/rollouts.md). status reads the state; promote and abort plan and
// apply the part they name, as apply does (confirmation, -auto-approve,
// graceful Ctrl-C).

func init() {
	register(&Command{Name: "rollout", Synopsis: "Follow and finish canary rollouts (status, promote, abort)", Run: runRolloutHelp})
	register(&Command{Name: "rollout status", Synopsis: "Show where an app's rollout stands", Run: runRolloutStatus})
	register(&Command{
		Name: "rollout promote", Synopsis: "Roll a canary's spec out to every instance", OwnSignals: true,
		Run: func(ctx context.Context, m *Meta, args []string) int { return m.runApply(ctx, args, promoteCmd) },
	})
	register(&Command{
		Name: "rollout abort", Synopsis: "Remove a canary: traffic back to the stable instances first", OwnSignals: true,
		Run: func(ctx context.Context, m *Meta, args []string) int { return m.runApply(ctx, args, abortCmd) },
	})
}

var (
	promoteCmd = applyCommand{name: "rollout promote", canary: plans.CanaryPromote, usage: "Usage: berth [-chdir=DIR] rollout promote [-auto-approve] [options] ADDRESS\n\n" +
		"Completes the canary rollout of the app at ADDRESS: its canary instances join\n" +
		"the stable traffic, the other instances are replaced wave by wave (each new\n" +
		"one healthy behind the load balancers before an old one is drained), and the\n" +
		"canary's own target groups are retired. Shows the plan and asks first.\n\nOptions:\n"}
	abortCmd = applyCommand{name: "rollout abort", canary: plans.CanaryAbort, usage: "Usage: berth [-chdir=DIR] rollout abort [-auto-approve] [options] ADDRESS\n\n" +
		"Removes the canary of the app at ADDRESS: all traffic goes back to the stable\n" +
		"instances (the load balancers' weights are read back), then the canary\n" +
		"instances are drained and stopped. The app keeps the spec the state records.\n" +
		"Shows the plan and asks first.\n\nOptions:\n"}
)

func runRolloutHelp(ctx context.Context, m *Meta, args []string) int {
	return m.groupHelp(ctx, "rollout", "[options] ADDRESS", []string{"status", "promote", "abort"}, args)
}

func runRolloutStatus(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "rollout status", "Usage: berth [-chdir=DIR] rollout status [-json] [-state=PATH] ADDRESS\n\n"+
		"Shows where the rollout of the app at ADDRESS stands, as the state records it:\n"+
		"settled, paused at a canary (its instances, its weight, since when), or\n"+
		"interrupted; its instances by role, and the weights its load balancers'\n"+
		"listeners forward by. berth plan or drift read what runs now.", false)
	asJSON := fs.Bool("json", false, "machine-readable output (docs/json-output.md)")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		m.Errorf("rollout status takes exactly one address, e.g. berth rollout status app.web.")
		return exitError
	}
	targets, ok := m.parseAddresses(fs.Args())
	if !ok {
		return exitError
	}
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return exitError
	}
	st, ok := m.readState(ctx, b)
	if !ok {
		return exitError
	}
	if st == nil {
		m.Errorf("%s", notInState(st, targets[0]))
		return exitError
	}
	s, diags := core.RolloutStatusOf(st, targets[0])
	if diags.HasErrors() {
		m.showDiagnostics(diags, nil)
		return exitError
	}
	if *asJSON {
		if err := rolloutview.JSON(m.Stdout, s); err != nil {
			m.Errorf("%s", err)
			return exitError
		}
		return exitOK
	}
	rolloutview.Text(m.Stdout, s, m.Color, time.Now())
	return exitOK
}
