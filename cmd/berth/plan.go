package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/views/diagnostics"
	"github.com/berth-sh/berth/views/events"
	"github.com/berth-sh/berth/views/jsondoc"
	"github.com/berth-sh/berth/views/plantext"
	"github.com/hashicorp/hcl/v2"
)

func init() {
	register(&Command{
		Name:     "plan",
		Synopsis: "Show the changes berth would make to match the configuration",
		Run:      runPlan,
	})
}

// Exit codes of plan -detailed-exitcode and drift.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
)

// varsFlag collects -var and -var-file in command-line order, because a
// later option overrides an earlier one.
type varsFlag struct {
	kind string
	args *[]lang.VarArg
}

func (v varsFlag) String() string { return "" }

func (v varsFlag) Set(s string) error {
	*v.args = append(*v.args, lang.VarArg{Kind: v.kind, Value: s})
	return nil
}

// instancesFlag is a repeatable resource-instance address (-target, -replace).
type instancesFlag []addrs.Instance

func (f *instancesFlag) String() string { return "" }

func (f *instancesFlag) Set(s string) error {
	a, err := addrs.ParseInstance(s)
	if err != nil {
		return fmt.Errorf("%q is not a resource address, such as app.web or app.web[0]", s)
	}
	*f = append(*f, a)
	return nil
}

// opFlags are the flags that plan, apply, destroy and drift share: what to
// plan (variables, targets, mode) and how to run (parallelism, locking).
type opFlags struct {
	// events, when set, receives the engine's progress while planning
	// (refresh events in the -json stream).
	events func(core.Event)

	vars        []lang.VarArg
	targets     instancesFlag
	replace     instancesFlag
	refresh     bool
	refreshOnly bool
	destroy     bool
	parallelism int
	lock        bool
	lockTimeout time.Duration
	json        bool
	noColor     bool
	// compactWarnings is -compact-warnings (Meta.CompactWarnings).
	compactWarnings bool
	// canary is set by berth rollout promote and abort (PlanOptions.Canary).
	canary map[string]plans.CanaryPart
}

// register adds the shared flags to fs. planning is false for commands
// that take no planning options (e.g. apply of a saved plan still accepts
// them, so every engine command uses the full set; drift sets fewer).
func (o *opFlags) register(fs *flag.FlagSet, planning bool) {
	if planning {
		o.registerVars(fs)
		fs.Var(&o.targets, "target", "plan only `ADDRESS` and what it depends on (repeatable)")
		fs.Var(&o.replace, "replace", "plan to replace `ADDRESS` even if nothing changed (repeatable)")
		fs.BoolVar(&o.refresh, "refresh", true, "read the real objects before planning")
		fs.BoolVar(&o.refreshOnly, "refresh-only", false, "only record changes made outside berth; change nothing")
		fs.BoolVar(&o.destroy, "destroy", false, "plan to destroy every managed object")
	}
	fs.IntVar(&o.parallelism, "parallelism", core.DefaultParallelism, "at most `N` provider calls at once")
	fs.BoolVar(&o.lock, "lock", true, "lock the state while working")
	fs.DurationVar(&o.lockTimeout, "lock-timeout", 0, "wait up to `DURATION` for the state lock")
	fs.BoolVar(&o.json, "json", false, "machine-readable output (docs/json-output.md)")
	fs.BoolVar(&o.noColor, "no-color", false, "disable colour in the output")
	fs.BoolVar(&o.compactWarnings, "compact-warnings", false, "show warnings as one line each (their summaries); errors stay in full")
}

// registerVars adds -var and -var-file to fs.
func (o *opFlags) registerVars(fs *flag.FlagSet) {
	fs.Var(varsFlag{"var", &o.vars}, "var", "set an input variable: `NAME=VALUE` (repeatable)")
	fs.Var(varsFlag{"var-file", &o.vars}, "var-file", "read input variables from `FILE` (repeatable)")
}

// configure sets what the flags change in how m writes.
func (o *opFlags) configure(m *Meta) {
	if o.noColor {
		m.Color = false
	}
	m.CompactWarnings = o.compactWarnings
}

// planOptions converts the flags into core's options.
func (o *opFlags) planOptions() (core.PlanOptions, error) {
	mode := plans.NormalMode
	switch {
	case o.destroy && o.refreshOnly:
		return core.PlanOptions{}, errors.New("-destroy and -refresh-only cannot be used together")
	case o.destroy:
		mode = plans.DestroyMode
	case o.refreshOnly:
		mode = plans.RefreshOnlyMode
		if !o.refresh {
			return core.PlanOptions{}, errors.New("-refresh-only and -refresh=false cannot be used together")
		}
	}
	return core.PlanOptions{Mode: mode, Refresh: o.refresh, Targets: o.targets, Replace: o.replace, Canary: o.canary}, nil
}

// workspace is what an engine command has wired: the configuration, the
// operation that runs the engine against the state, and the event sink.
type workspace struct {
	cfg *lang.Config
	op  *core.Operation
	// enc is the encryption of the state and saved plans; nil for none.
	enc *encryption.Config
	// release gives back a lock held across plan and apply (Hold).
	release func() hcl.Diagnostics
}

// close releases what the workspace holds, and says what it could not.
func (w *workspace) close() hcl.Diagnostics {
	if w == nil || w.release == nil {
		return nil
	}
	d := w.release()
	w.release = nil
	return d
}

// files returns the parsed configuration files, for diagnostic snippets.
func (w *workspace) files() map[string]*hcl.File {
	if w == nil || w.cfg == nil {
		return nil
	}
	return w.cfg.Files
}

// open loads the configuration and wires an operation for it. vars
// overrides the collected variables when non-nil (a saved plan's).
func (m *Meta) open(ctx context.Context, o *opFlags) (*workspace, hcl.Diagnostics) {
	cfg, diags := m.loadConfig()
	w := &workspace{cfg: cfg}
	if diags.HasErrors() {
		return w, diags
	}
	if o.parallelism < 1 {
		return w, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid -parallelism",
			Detail: fmt.Sprintf("-parallelism must be at least 1, not %d.", o.parallelism)})
	}
	eng, d := m.engine(cfg, o.vars, o.parallelism)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return w, diags
	}
	w.enc, d = m.encryption(cfg, o.vars)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return w, diags
	}
	b, d := m.backend(ctx, cfg, w.enc)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return w, diags
	}
	eng.Events = o.events
	w.op = &core.Operation{Engine: eng, State: b, LockTimeout: o.lockTimeout, NoLock: !o.lock}
	return w, diags
}

// runPlan plans and renders the changes; with -out it saves the plan for
// berth apply.
func runPlan(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("plan")
	var o opFlags
	o.register(fs, true)
	out := fs.String("out", "", "save the plan to `FILE` for berth apply")
	compact := fs.Bool("compact", false, compactUsage)
	detailed := fs.Bool("detailed-exitcode", false, "exit 0 when there are no changes, 1 on error, 2 when there are changes")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] plan [options]\n\n"+
			"Refreshes the recorded objects, compares them with the configuration and\n"+
			"shows the changes berth would make. Nothing is changed.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	o.configure(m)
	if fs.NArg() > 0 {
		m.Errorf("plan takes no arguments, got %q.", fs.Arg(0))
		return exitError
	}
	// With -json the output is a stream of messages (docs/json-output.md),
	// the plan's JSON document last; as text, the refresh's progress
	// comes before the plan.
	ew := events.NewWriter(m.Stdout, o.json, m.Color)
	ew.Version()
	o.events = ew.Handle
	p, w, diags := m.makePlan(ctx, &o, "")
	if o.json {
		if p != nil {
			ew.PlannedChanges(p)
		}
		ew.Diagnostics(diags, w.files())
	}
	if p == nil {
		if !o.json {
			m.showDiagnostics(diags, w.files())
		}
		return exitError
	}
	if o.json {
		if err := jsondoc.WritePlan(m.Stdout, p, jsondoc.WithConfig(w.cfg)); err != nil {
			m.Errorf("writing output: %s", err)
			return exitError
		}
	} else {
		m.renderPlan(p, *compact)
		m.showDiagnostics(diags, w.files())
	}
	if diags.HasErrors() {
		return exitError
	}
	if *out == "" && !o.json {
		plantext.NotSaved(m.Stdout, p, m.planTextOptions(false))
	}
	if *out != "" {
		if d := core.BindPlan(m.Dir, p); d.HasErrors() {
			m.showDiagnostics(d, w.files())
			return exitError
		}
		path := *out
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.Dir, path)
		}
		if err := plans.WritePlanFile(ctx, path, p, w.enc.PlanTarget()); err != nil {
			m.Errorf("saving the plan: %s", err)
			return exitError
		}
		if !o.json {
			fmt.Fprintf(m.Stdout, "\nSaved the plan to: %s\n", *out)
			if !m.Automation {
				fmt.Fprintf(m.Stdout, "\nTo perform exactly these actions, run:\n    berth apply %q\n", *out)
			}
		}
	}
	if *detailed && p.Applicable() {
		return exitChanges
	}
	return exitOK
}

// makePlan wires the operation and plans. The plan is nil when planning
// could not start or produced nothing to show.
// makePlan opens the workspace and plans. With holdFor set (apply,
// destroy) the state lock is taken for that operation and kept, for the
// apply to run under the same lock: call w.close when done.
func (m *Meta) makePlan(ctx context.Context, o *opFlags, holdFor string) (*plans.Plan, *workspace, hcl.Diagnostics) {
	opts, err := o.planOptions()
	if err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid options", Detail: err.Error()}}
	}
	w, diags := m.open(ctx, o)
	if diags.HasErrors() {
		return nil, w, diags
	}
	if holdFor != "" {
		release, d := w.op.Hold(ctx, holdFor)
		if d.HasErrors() {
			return nil, w, diags.Extend(d)
		}
		w.release = release
		// Refused before planning rather than after the confirmation.
		if d := w.op.CheckErroredState(); d.HasErrors() {
			return nil, w, diags.Extend(d)
		}
	}
	p, _, d := w.op.Plan(ctx, opts)
	return p, w, diags.Extend(d)
}

// report shows diagnostics as text, or with -json as the validate
// document on stderr, so that stdout holds only the command's document.
func (m *Meta) report(o *opFlags, diags hcl.Diagnostics, files map[string]*hcl.File) {
	if len(diags) == 0 {
		return
	}
	if o.json {
		_ = diagnostics.WriteDocument(m.Stderr, diags, files)
		return
	}
	m.showDiagnostics(diags, files)
}

// compactUsage is the help of -compact, the same for every command that
// shows a plan.
const compactUsage = "show each change in one line: its action, address and changed attributes"

// renderPlan writes p as text on stdout (package plantext), each change
// in one line when compact.
func (m *Meta) renderPlan(p *plans.Plan, compact bool) {
	plantext.Render(m.Stdout, p, m.planTextOptions(compact))
}

// planTextOptions are the options of package plantext for m's output.
func (m *Meta) planTextOptions(compact bool) plantext.Options {
	return plantext.Options{Color: m.Color, Automation: m.Automation, Compact: compact}
}
