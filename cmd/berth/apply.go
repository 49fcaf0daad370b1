package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/views/ansi"
	"github.com/berth-sh/berth/views/events"
	"github.com/hashicorp/hcl/v2"
)

func init() {
	register(&Command{
		Name:       "apply",
		Synopsis:   "Make the changes the configuration requires",
		Run:        func(ctx context.Context, m *Meta, args []string) int { return m.runApply(ctx, args, applyCmd) },
		OwnSignals: true,
	})
	register(&Command{
		Name:       "destroy",
		Synopsis:   "Destroy every object berth manages",
		Run:        func(ctx context.Context, m *Meta, args []string) int { return m.runApply(ctx, args, destroyCmd) },
		OwnSignals: true,
	})
}

// applyCommand is a command that plans and applies: apply, destroy, and
// the parts of a canary rollout (rollout promote and abort).
type applyCommand struct {
	name string
	// usage is the help text before the options.
	usage string
	// destroy plans the destruction of everything (-destroy).
	destroy bool
	// canary, when set, is the part of the canary rollout of the one
	// object the command takes as its argument.
	canary plans.CanaryPart
}

var (
	applyCmd = applyCommand{name: "apply", usage: "Usage: berth [-chdir=DIR] apply [-auto-approve] [options] [PLAN]\n\n" +
		"Plans, asks for confirmation and makes the changes. With PLAN (a file from\n" +
		"berth plan -out), applies exactly that plan without asking. Of more than\n" +
		"20 changes, each is numbered as it completes: \"[12/40] app.web: ...\".\n\nOptions:\n"}
	destroyCmd = applyCommand{name: "destroy", destroy: true, usage: "Usage: berth [-chdir=DIR] destroy [-auto-approve] [options]\n\n" +
		"Destroys every object berth manages (or only -target ones), after showing\n" +
		"the plan and asking for confirmation.\n\nOptions:\n"}
)

// interrupts turns SIGINT/SIGTERM into the two stages of stopping an
// apply: the first closes stop (nothing new starts, calls in flight
// finish and are recorded), the second cancels the context (calls in
// flight are abandoned; the state records what is known).
type interrupts struct {
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{}
	sigs   chan os.Signal

	mu       sync.Mutex
	count    int
	applying bool
	notify   func(graceful bool)
}

func newInterrupts(parent context.Context, notify func(graceful bool)) *interrupts {
	ctx, cancel := context.WithCancel(parent)
	in := &interrupts{ctx: ctx, cancel: cancel, stop: make(chan struct{}), sigs: make(chan os.Signal, 2), notify: notify}
	signal.Notify(in.sigs, os.Interrupt, syscall.SIGTERM)
	go in.loop()
	return in
}

func (in *interrupts) loop() {
	for {
		select {
		case <-in.sigs:
		case <-in.ctx.Done():
			return
		}
		in.mu.Lock()
		in.count++
		n, applying := in.count, in.applying
		in.mu.Unlock()
		switch {
		case n == 1:
			close(in.stop)
			in.notify(true)
			if !applying {
				// Planning or waiting for confirmation: nothing to finish.
				in.cancel()
			}
		case n == 2:
			in.notify(false)
			in.cancel()
			return
		}
	}
}

// startApply marks the point after which the first signal stops gracefully
// instead of abandoning the command. It reports false when an interrupt
// already arrived.
func (in *interrupts) startApply() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.applying = true
	return in.count == 0
}

func (in *interrupts) interrupted() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.count > 0
}

func (in *interrupts) close() {
	signal.Stop(in.sigs)
	in.cancel()
}

// runApply implements the commands that plan and apply (applyCommand).
func (m *Meta) runApply(parent context.Context, args []string, cmd applyCommand) (code int) {
	name, destroy := cmd.name, cmd.destroy
	fs := m.NewFlagSet(name)
	var o opFlags
	o.register(fs, cmd.canary == plans.CanaryNone)
	if cmd.canary != plans.CanaryNone {
		o.registerVars(fs) // the configuration's providers may need them
	}
	autoApprove := fs.Bool("auto-approve", false, "do not ask for confirmation")
	compact := fs.Bool("compact", false, compactUsage)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), cmd.usage)
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	o.configure(m)
	if destroy {
		o.destroy = true
	}
	var planFile string
	switch {
	case cmd.canary != plans.CanaryNone:
		if fs.NArg() != 1 {
			m.Errorf("%s takes exactly one address, e.g. berth %s app.web.", name, name)
			return exitError
		}
		addrs, ok := m.parseAddresses(fs.Args())
		if !ok {
			return exitError
		}
		// The plan covers the app and its load balancers (core).
		o.canary = map[string]plans.CanaryPart{addrs[0].String(): cmd.canary}
		o.refresh = true
	case fs.NArg() > 1 || (destroy && fs.NArg() > 0):
		m.Errorf("%s takes at most one argument (a saved plan), got %q.", name, strings.Join(fs.Args(), " "))
		return exitError
	case fs.NArg() == 1:
		planFile = fs.Arg(0)
		if !filepath.IsAbs(planFile) {
			planFile = filepath.Join(m.Dir, planFile)
		}
	}

	ew := events.NewWriter(m.Stdout, o.json, m.Color)
	ew.Version()
	o.events = ew.Handle // the refresh's progress, before the plan
	in := newInterrupts(parent, ew.Interrupted)
	defer in.close()
	ctx := in.ctx

	fail := func(diags hcl.Diagnostics, files map[string]*hcl.File) int {
		if o.json {
			ew.Diagnostics(diags, files)
		} else {
			m.showDiagnostics(diags, files)
		}
		return exitError
	}

	var (
		p *plans.Plan
		w *workspace
	)
	if planFile != "" {
		var diags hcl.Diagnostics
		p, w, diags = m.openSavedPlan(ctx, planFile, &o)
		if diags.HasErrors() {
			return fail(diags, w.files())
		}
	} else {
		if o.json && !*autoApprove {
			m.Errorf("-json requires -auto-approve: there is no way to confirm in machine-readable mode.")
			return exitError
		}
		var diags hcl.Diagnostics
		p, w, diags = m.makePlan(ctx, &o, name)
		defer func() {
			// A lock left behind fails the command: every later run would
			// stop on it.
			if d := w.close(); d.HasErrors() {
				code = fail(d, nil)
			}
		}()
		if p != nil {
			if o.json {
				ew.PlannedChanges(p)
			} else {
				m.renderPlan(p, *compact)
			}
		}
		if diags.HasErrors() || p == nil {
			return fail(diags, w.files())
		}
		if len(diags) > 0 {
			fail(diags, w.files()) // warnings
		}
		// A refresh-only plan changes nothing but the state: that is
		// still a change to confirm when something drifted.
		if p.Applicable() && !*autoApprove {
			if ok, code := m.confirm(ctx, destroy); !ok {
				return code
			}
		}
	}

	if !in.startApply() {
		m.Errorf("interrupted before applying: nothing was changed.")
		return exitError
	}
	w.op.Engine.Events = ew.Handle
	if !o.json {
		fmt.Fprintln(m.Stdout)
	}
	st, diags := w.op.Apply(ctx, p, core.ApplyOptions{Stop: in.stop})
	if diags.HasErrors() {
		fail(diags, w.files())
		unstored := core.StateWriteFailureOf(diags)
		if unstored != nil && !unstored.Stored && unstored.ErroredPath == "" {
			// No file could hold the state: it is printed, as the
			// diagnostic says, for the user to save.
			fmt.Fprintf(m.Stderr, "%s\n%s\n%s\n", core.StateBeginLine, bytes.TrimRight(unstored.Data, "\n"), core.StateEndLine)
		}
		if ew.Tally().Started == 0 && !in.interrupted() && unstored == nil {
			// Refused before anything ran: the error says it all.
			return exitError
		}
		ew.ApplyFailed(name, in.interrupted(), unstored)
		return exitError
	}
	if len(diags) > 0 {
		fail(diags, w.files())
	}
	ew.ApplyComplete(name, p.Mode, st)
	return exitOK
}

// bold is how a command's success line stands out (green and bold).
func (m *Meta) bold(s string) string {
	return ansi.Paint(m.Color, ansi.Bold+ansi.Green, s)
}

// confirm asks the user to type "yes". It refuses, with a message saying
// how to apply without a prompt, when standard input is closed or not
// interactive and gives no answer.
func (m *Meta) confirm(ctx context.Context, destroy bool) (bool, int) {
	q, what := "Do you want to perform these actions?", "berth will perform the actions described above."
	if destroy {
		q, what = "Do you really want to destroy all resources?", "berth will destroy all your managed objects, as shown above.\n  There is no undo."
	}
	fmt.Fprintf(m.Stdout, "\n%s\n  %s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", m.boldPlain(q), what)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(m.Stdin).ReadString('\n')
		ch <- answer{line, err}
	}()
	var a answer
	select {
	case a = <-ch:
	case <-ctx.Done():
		fmt.Fprintln(m.Stdout)
		m.Errorf("interrupted: nothing was changed.")
		return false, exitError
	}
	fmt.Fprintln(m.Stdout)
	if a.err != nil && strings.TrimSpace(a.line) == "" {
		if errors.Is(a.err, io.EOF) {
			m.Errorf("no answer: standard input is closed or not a terminal, so berth cannot ask for confirmation.\nRun berth apply -auto-approve to apply without confirmation, or save a plan with berth plan -out=FILE and apply it.")
		} else {
			m.Errorf("reading the answer: %s", a.err)
		}
		return false, exitError
	}
	if strings.TrimSpace(a.line) != "yes" {
		if destroy {
			m.Errorf("Destroy cancelled.")
		} else {
			m.Errorf("Apply cancelled.")
		}
		return false, exitError
	}
	return true, exitOK
}

func (m *Meta) boldPlain(s string) string {
	return ansi.Paint(m.Color, ansi.Bold, s)
}

// openSavedPlan reads a saved plan (core.OpenSavedPlan decides what it
// forbids and what binds it) and wires an operation to apply it with the
// plan's variables (core.SavedPlanVariables). Core's Operation.Apply then
// checks the plan against the state.
func (m *Meta) openSavedPlan(ctx context.Context, path string, o *opFlags) (*plans.Plan, *workspace, hcl.Diagnostics) {
	var planning []string
	for flag, given := range map[string]bool{
		"-var": len(o.vars) > 0, "-target": len(o.targets) > 0, "-replace": len(o.replace) > 0,
		"-destroy": o.destroy, "-refresh-only": o.refreshOnly, "-refresh=false": !o.refresh,
	} {
		if given {
			planning = append(planning, flag)
		}
	}
	// The plan's keys come from the configuration, loaded without the
	// checks loadConfig makes: the plan is checked against the
	// configuration files before they are validated (OpenSavedPlan).
	loaded, loadDiags := lang.LoadDir(m.Dir)
	enc, diags := m.encryption(loaded, nil)
	if diags.HasErrors() {
		return nil, &workspace{cfg: loaded}, diags
	}
	p, diags := core.OpenSavedPlan(ctx, path, m.Dir, planning, enc.PlanTarget())
	if diags.HasErrors() {
		if loadDiags.HasErrors() && enc.PlanTarget() == nil {
			// Its encryption may be in what did not load.
			diags = diags.Extend(loadDiags)
		}
		return nil, &workspace{cfg: loaded}, diags
	}
	cfg, diags := m.loadConfig()
	w := &workspace{cfg: cfg, enc: enc}
	if diags.HasErrors() {
		return nil, w, diags
	}
	vars, d := core.SavedPlanVariables(cfg, p, os.Environ())
	if d.HasErrors() {
		return nil, w, d
	}
	b, d := m.backend(ctx, cfg, enc)
	if d.HasErrors() {
		return nil, w, d
	}
	eng := m.newEngine(cfg, vars, o.parallelism)
	w.op = &core.Operation{Engine: eng, State: b, LockTimeout: o.lockTimeout, NoLock: !o.lock}
	return p, w, diags
}
