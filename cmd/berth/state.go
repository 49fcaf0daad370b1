package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/views/statetext"
)

// The state commands read and edit the recorded state without touching
// the real systems: `state list|show|pull` only read it, `state mv|rm`
// rewrite it under the state lock, and `force-unlock` removes a lock left
// behind. The editing itself is package state's (State.Move, State.Remove):
// these commands parse flags, lock, and render.

func init() {
	register(&Command{Name: "state", Synopsis: "Inspect and edit the recorded state (list, show, mv, rm, pull, push, lock, rekey)", Run: runStateHelp})
	register(&Command{Name: "state list", Synopsis: "List the objects in the state", Run: runStateList})
	register(&Command{Name: "state show", Synopsis: "Show an object's attributes from the state", Run: runStateShow})
	register(&Command{Name: "state mv", Synopsis: "Give an object in the state a new address", Run: runStateMv})
	register(&Command{Name: "state rm", Synopsis: "Forget objects without destroying them", Run: runStateRm})
	register(&Command{Name: "state pull", Synopsis: "Print the state as stored (JSON)", Run: runStatePull})
	register(&Command{Name: "state push", Synopsis: "Store a state file (an errored state) as the state", Run: runStatePush})
	register(&Command{Name: "state lock", Synopsis: "Say who holds the state lock (state lock show)", Run: runStateLock})
	register(&Command{Name: "force-unlock", Synopsis: "Release a state lock left behind", Run: runForceUnlock})
}

// runStateHelp answers `berth state` alone or with an unknown subcommand.
func runStateHelp(ctx context.Context, m *Meta, args []string) int {
	return m.groupHelp(ctx, "state", "[options] [args]", []string{"list", "show", "mv", "rm", "pull", "push", "lock", "rekey"}, args)
}

// stateFlags are the options the state commands share.
type stateFlags struct {
	statePath   string
	lock        bool
	lockTimeout time.Duration
}

// newStateFlagSet returns the flag set of a state command, with -state
// and, for the commands that write, -lock and -lock-timeout.
func newStateFlagSet(m *Meta, name, usage string, writes bool) (*flag.FlagSet, *stateFlags) {
	fs := m.NewFlagSet(name)
	sf := &stateFlags{lock: true}
	fs.StringVar(&sf.statePath, "state", "", "use the state file at `PATH` instead of the configured backend")
	fs.BoolFunc("no-color", "disable colour in the output", func(string) error { m.Color = false; return nil })
	if writes {
		fs.BoolVar(&sf.lock, "lock", true, "lock the state while changing it")
		fs.DurationVar(&sf.lockTimeout, "lock-timeout", 0, "how long to wait for the state lock (e.g. 30s)")
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage+"\n\nOptions:\n")
		fs.PrintDefaults()
	}
	return fs, sf
}

// stateBackend opens the state: the file named by -state, or the backend
// of the configuration (local berth.state by default), encrypted as the
// configuration and BERTH_ENCRYPTION say (either way). The configuration
// is only loaded, not validated: its backend and encryption blocks are
// all that is needed, and a state must stay inspectable while the
// configuration is being fixed. A directory without configuration uses
// the default backend.
func (m *Meta) stateBackend(ctx context.Context, sf *stateFlags) (*statemgr.Manager, bool) {
	cfg, enc, ok := m.loadEncryption()
	if !ok {
		return nil, false
	}
	if sf.statePath != "" {
		path := sf.statePath
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.Dir, path)
		}
		return statemgr.New(local.New(path), statemgr.WithEncryption(enc.StateTarget())), true
	}
	b, diags := m.backend(ctx, cfg, enc)
	if diags.HasErrors() {
		m.showDiagnostics(diags, cfg.FilesOrNil())
		return nil, false
	}
	return b, true
}

// loadUnvalidated loads the configuration without validating it, for the
// commands that need only its backend block (nil when the directory has
// no configuration); it reports errors itself.
func (m *Meta) loadUnvalidated() (*lang.Config, bool) {
	files, err := lang.ConfigFiles(m.Dir)
	if err != nil || len(files) == 0 {
		return nil, true
	}
	c, diags := lang.LoadDir(m.Dir)
	if diags.HasErrors() {
		m.showDiagnostics(diags, c.Files)
		return nil, false
	}
	return c, true
}

// loadEncryption loads the configuration as loadUnvalidated does and
// evaluates its encryption (with BERTH_ENCRYPTION; variables from var
// files and the environment). It reports what goes wrong; ok is false
// then.
func (m *Meta) loadEncryption() (*lang.Config, *encryption.Config, bool) {
	cfg, ok := m.loadUnvalidated()
	if !ok {
		return nil, nil, false
	}
	enc, diags := m.encryption(cfg, nil)
	if diags.HasErrors() {
		m.showDiagnostics(diags, cfg.FilesOrNil())
		return nil, nil, false
	}
	return cfg, enc, true
}

// readState reads the state; a missing state is nil without error.
func (m *Meta) readState(ctx context.Context, b *statemgr.Manager) (*state.State, bool) {
	st, err := b.Read(ctx)
	if err != nil {
		m.Errorf("%s", err)
		return nil, false
	}
	return st, true
}

// parseAddresses parses command-line addresses, reporting the first
// invalid one.
func (m *Meta) parseAddresses(args []string) ([]addrs.Instance, bool) {
	out := make([]addrs.Instance, 0, len(args))
	for _, a := range args {
		addr, err := addrs.ParseInstance(a)
		if err != nil {
			m.Errorf("%s", err)
			return nil, false
		}
		out = append(out, addr)
	}
	return out, true
}

// notInState is the error for an address that matches nothing, with the
// closest address recorded when one is close enough to be a typo.
func notInState(st *state.State, addr addrs.Instance) string {
	msg := fmt.Sprintf("no object is recorded at %s.", addr)
	if s := addrs.Suggest(addr.String(), st.Addresses()); s != "" {
		msg += fmt.Sprintf(" Did you mean %s?", s)
	}
	return msg
}

// withLock runs fn holding the state lock (unless -lock=false) and
// releases it afterwards, whatever fn returns; the engine's operations
// lock the same way (core.Operation).
func (m *Meta) withLock(ctx context.Context, b *statemgr.Manager, sf *stateFlags, operation string, fn func() int) int {
	op := &core.Operation{State: b, LockTimeout: sf.lockTimeout, NoLock: !sf.lock}
	release, diags := op.Hold(ctx, operation)
	if diags.HasErrors() {
		m.showDiagnostics(diags, nil)
		return exitError
	}
	code := fn()
	if d := release(); d.HasErrors() {
		m.showDiagnostics(d, nil)
		code = exitError
	}
	return code
}

// editState is how the state commands change the state: under the lock
// (none for a dry run, which only reads), read it, let change edit it and
// print what it does (it returns how many objects it changed, and false
// after reporting an error), then write it back, unless dry-running.
func (m *Meta) editState(ctx context.Context, b *statemgr.Manager, sf *stateFlags, operation string, dryRun bool, verb, past string, change func(*state.State) (int, bool)) int {
	edit := func() int {
		st, ok := m.readState(ctx, b)
		if !ok {
			return 1
		}
		if st == nil {
			m.Errorf("no state is recorded in %s: nothing to %s.", b.Location(), verb)
			return 1
		}
		n, ok := change(st)
		if !ok {
			return 1
		}
		if dryRun {
			return 0
		}
		if err := b.Write(ctx, st); err != nil {
			m.Errorf("%s", err)
			return 1
		}
		fmt.Fprintf(m.Stdout, "Successfully %s %d object(s).\n", past, n)
		return 0
	}
	if dryRun {
		return edit()
	}
	return m.withLock(ctx, b, sf, operation, edit)
}

// runStateList prints the address of every instance in the state, one a
// line, in address order; with addresses, only the instances they name
// (a resource address names all its instances). An address that names
// nothing is an error, so that a script checking for an object gets an
// exit status rather than empty output to interpret.
func runStateList(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "state list", "Usage: berth [-chdir=DIR] state list [-state=PATH] [ADDRESS...]\n\n"+
		"Lists the instances recorded in the state, one address a line, sorted.\n"+
		"Addresses filter the list: a resource address (app.web) selects all its\n"+
		"instances, an instance address (app.web[0]) that one.", false)
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	filters, ok := m.parseAddresses(fs.Args())
	if !ok {
		return 1
	}
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	st, ok := m.readState(ctx, b)
	if !ok {
		return 1
	}
	var out strings.Builder
	if len(filters) == 0 {
		if st != nil {
			for addr := range st.AllInstances() {
				out.WriteString(addr.String() + "\n")
			}
		}
		fmt.Fprint(m.Stdout, out.String())
		return 0
	}
	seen := map[addrs.Instance]bool{}
	var selected []addrs.Instance
	for _, f := range filters {
		matched := st.Select(f)
		if len(matched) == 0 {
			m.Errorf("%s", notInState(st, f))
			return 1
		}
		for _, a := range matched {
			if !seen[a] {
				seen[a] = true
				selected = append(selected, a)
			}
		}
	}
	sort.Slice(selected, func(i, j int) bool { return selected[i].Less(selected[j]) })
	for _, a := range selected {
		out.WriteString(a.String() + "\n")
	}
	fmt.Fprint(m.Stdout, out.String())
	return 0
}

// runStateShow prints one instance's recorded attributes in HCL syntax,
// like `terraform state show`: sensitive values as (sensitive value),
// null attributes left out.
func runStateShow(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "state show", "Usage: berth [-chdir=DIR] state show [-state=PATH] ADDRESS\n\n"+
		"Shows the attributes recorded for one instance.", false)
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		m.Errorf("state show takes exactly one address, e.g. berth state show app.web[0].")
		return 1
	}
	targets, ok := m.parseAddresses(fs.Args())
	if !ok {
		return 1
	}
	addr := targets[0]
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	st, ok := m.readState(ctx, b)
	if !ok {
		return 1
	}
	if st == nil {
		m.Errorf("no state is recorded in %s.", b.Location())
		return 1
	}
	matched := st.Select(addr)
	switch {
	case len(matched) == 0:
		m.Errorf("%s", notInState(st, addr))
		return 1
	case len(matched) > 1:
		var names []string
		for _, a := range matched {
			names = append(names, a.String())
		}
		m.Errorf("%s has %d instances; show one of them: %s.", addr, len(matched), strings.Join(names, ", "))
		return 1
	}
	addr = matched[0]
	statetext.Object(m.Stdout, addr, st.Instance(addr))
	return 0
}

// runStateMv moves an instance or a whole resource to a new address in
// the state (after a rename in the configuration), so that berth does not
// destroy and recreate it.
func runStateMv(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "state mv", "Usage: berth [-chdir=DIR] state mv [-dry-run] [-lock-timeout=D] SOURCE DESTINATION\n\n"+
		"Gives the object(s) at SOURCE the address DESTINATION in the state, without\n"+
		"touching the real systems: a resource to a resource (app.web -> app.front,\n"+
		"every instance keeps its key), or an instance to an instance\n"+
		"(app.web[0] -> app.web[\"eu\"]). DESTINATION must not exist and must be of\n"+
		"the same type.", true)
	dryRun := fs.Bool("dry-run", false, "print what would be moved without changing the state")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 2 {
		m.Errorf("state mv takes exactly two addresses: SOURCE DESTINATION.")
		return 1
	}
	addrList, ok := m.parseAddresses(fs.Args())
	if !ok {
		return 1
	}
	from, to := addrList[0], addrList[1]
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	return m.editState(ctx, b, sf, "state mv", *dryRun, "move", "moved", func(st *state.State) (int, bool) {
		if len(st.Select(from)) == 0 {
			m.Errorf("%s", notInState(st, from))
			return 0, false
		}
		moved, err := st.Move(from, to)
		if err != nil {
			m.Errorf("%s.", err)
			return 0, false
		}
		verb := "Moved"
		if *dryRun {
			verb = "Would move"
		}
		for _, mv := range moved {
			fmt.Fprintf(m.Stdout, "%s %s to %s\n", verb, mv.From, mv.To)
		}
		return len(moved), true
	})
}

// runStateRm forgets objects: they keep existing in the real systems, but
// berth no longer manages them (after moving them to another state, or to
// stop a destroy).
func runStateRm(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "state rm", "Usage: berth [-chdir=DIR] state rm [-dry-run] [-lock-timeout=D] ADDRESS...\n\n"+
		"Removes the objects at the addresses from the state without destroying\n"+
		"them: berth forgets them. A resource address removes all its instances.", true)
	dryRun := fs.Bool("dry-run", false, "print what would be removed without changing the state")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		m.Errorf("state rm takes at least one address.")
		return 1
	}
	targets, ok := m.parseAddresses(fs.Args())
	if !ok {
		return 1
	}
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	return m.editState(ctx, b, sf, "state rm", *dryRun, "remove", "removed", func(st *state.State) (int, bool) {
		// Every address is checked before anything is removed, so that a
		// typo in the third address does not leave the first two removed.
		for _, a := range targets {
			if len(st.Select(a)) == 0 && len(st.DeposedAt(a)) == 0 {
				m.Errorf("%s", notInState(st, a))
				return 0, false
			}
		}
		verb := "Removed"
		if *dryRun {
			verb = "Would remove"
		}
		n := 0
		for _, a := range targets {
			removed, _ := st.Remove(a) // an overlap of addresses removes nothing twice
			for _, r := range removed {
				fmt.Fprintf(m.Stdout, "%s %s\n", verb, r)
			}
			n += len(removed)
			// Deposed objects left without their instance (see state.Deposed).
			for _, d := range st.RemoveDeposedAt(a) {
				fmt.Fprintf(m.Stdout, "%s %s (deposed object %s)\n", verb, d.Addr, d.Key)
				n++
			}
		}
		return n, true
	})
}

// runStatePull prints the state as stored: the backend's bytes
// (decrypted, when the state is encrypted), after checking that they
// decode, so a script never gets a corrupt state as if it were good.
func runStatePull(ctx context.Context, m *Meta, args []string) int {
	flags, sf := newStateFlagSet(m, "state pull", "Usage: berth [-chdir=DIR] state pull [-state=PATH]\n\n"+
		"Prints the state as stored (JSON, docs of the format in package state),\n"+
		"decrypted when it is encrypted. Prints nothing when no state is recorded.", false)
	if code, ok := m.parse(flags, args); !ok {
		return code
	}
	if flags.NArg() > 0 {
		m.Errorf("state pull takes no arguments.")
		return 1
	}
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	// One read of the state, then a decode of those very bytes: what is
	// printed is what was checked.
	data, _, err := b.Pull(ctx)
	if err != nil {
		m.Errorf("%s", err)
		return 1
	}
	_, _ = m.Stdout.Write(data)
	return 0
}

// runStatePush stores a state file as the state, under the lock: the
// errored state an apply wrote when it could not store its state (a full
// disk), once the problem is fixed. As Terraform's, it refuses a state of
// another lineage, and one older than the stored state (-force overrides
// the latter only).
func runStatePush(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "state push", "Usage: berth [-chdir=DIR] state push [-force] [-lock-timeout=D] PATH\n\n"+
		"Stores the state file at PATH as the state (the errored.berth.state an apply\n"+
		"wrote when it could not store its state), encrypted as the configuration\n"+
		"says; PATH may be plaintext or encrypted with a configured key. Refused when\n"+
		"PATH holds a state of another lineage, or an older serial than the stored\n"+
		"state (-force for that).", true)
	force := fs.Bool("force", false, "store it even if the stored state has a higher serial")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		m.Errorf("state push takes exactly one argument: the state file to store.")
		return 1
	}
	path := fs.Arg(0)
	if !filepath.IsAbs(path) {
		path = filepath.Join(m.Dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		m.Errorf("%s", err)
		return 1
	}
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	if encryption.IsEncrypted(data) {
		// An errored state, encrypted as the state: any configured key
		// reads it, and the state is written with the primary one.
		opened, err := b.Encryption().Open(ctx, data, encryption.KindState)
		if err != nil {
			m.Errorf("%s cannot be used as a state: %s", fs.Arg(0), err)
			return 1
		}
		data = opened.Plain
	}
	pushed, err := statefile.Decode(data)
	if err != nil {
		m.Errorf("%s cannot be used as a state: %s", fs.Arg(0), err)
		return 1
	}
	return m.withLock(ctx, b, sf, "state push", func() int {
		stored, ok := m.readState(ctx, b)
		if !ok {
			return 1
		}
		if stored != nil {
			if stored.Lineage != pushed.Lineage {
				m.Errorf("%s holds a state of lineage %s, and %s one of lineage %s: another state's history. Nothing was stored.", fs.Arg(0), pushed.Lineage, b.Location(), stored.Lineage)
				return 1
			}
			if stored.Serial > pushed.Serial && !*force {
				m.Errorf("%s has serial %d, older than the stored state's %d: storing it would lose what was recorded since. Nothing was stored (-force stores it anyway).", fs.Arg(0), pushed.Serial, stored.Serial)
				return 1
			}
		}
		if err := b.Write(ctx, pushed); err != nil {
			m.Errorf("%s", err)
			return 1
		}
		fmt.Fprintf(m.Stdout, "Stored %s as the state in %s (serial %d).\n", fs.Arg(0), b.Location(), pushed.Serial)
		return 0
	})
}

// runStateLock answers `state lock show`: who holds the state lock, from
// the lock record, or that nobody does.
func runStateLock(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "state lock", "Usage: berth [-chdir=DIR] state lock show [-state=PATH]\n\n"+
		"Says who holds the state lock (user, host, pid, operation, since when, lock\n"+
		"ID), or that nobody does.", false)
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || fs.Arg(0) != "show" {
		m.Errorf("state lock takes one subcommand: show.")
		return 1
	}
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	info, err := b.Holder(ctx)
	if err != nil {
		m.Errorf("%s", err)
		return 1
	}
	if info == nil {
		fmt.Fprintf(m.Stdout, "%s is not locked.\n", b.Location())
		return 0
	}
	fmt.Fprintf(m.Stdout, "%s is locked by %s (pid %d on %s) for %s since %s, with berth %s.\nLock ID: %s\n",
		b.Location(), info.Who, info.PID, info.Host, info.Operation, info.Created.Format(time.RFC3339), info.Version, info.ID)
	return 0
}

// runForceUnlock removes a lock whose holder will never release it (a
// crashed or killed berth). The lock ID is the one the lock error printed,
// so that a lock taken by another run since is never broken by mistake.
func runForceUnlock(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "force-unlock", "Usage: berth [-chdir=DIR] force-unlock [-force] LOCK_ID\n\n"+
		"Releases the state lock with ID LOCK_ID, whoever holds it. Only do this when\n"+
		"the holder is gone: two runs changing one state at once corrupt it.", false)
	force := fs.Bool("force", false, "do not ask for confirmation")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		m.Errorf("force-unlock takes exactly one argument: the lock ID.")
		return 1
	}
	id := fs.Arg(0)
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	if !*force {
		fmt.Fprintf(m.Stdout, "Do you really want to force-unlock the state?\n"+
			"  berth will remove the lock %s on %s, whoever holds it.\n"+
			"  Only 'yes' will be accepted to confirm.\n\n  Enter a value: ", id, b.Location())
		answer, err := bufio.NewReader(m.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			m.Errorf("reading the answer: %s", err)
			return 1
		}
		fmt.Fprintln(m.Stdout)
		if strings.TrimSpace(answer) != "yes" {
			m.Errorf("force-unlock cancelled: the state is still locked.")
			return 1
		}
	}
	if err := b.ForceUnlock(ctx, id); err != nil {
		m.Errorf("%s", err)
		return 1
	}
	fmt.Fprintf(m.Stdout, "The state has been unlocked (lock %s removed).\n", id)
	return 0
}
