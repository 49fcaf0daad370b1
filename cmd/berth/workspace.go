package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/workdir"
)

// The workspace commands: several states (dev, staging, prod) for one
// configuration, in the same backend, each with its own lock, as
// Terraform's workspaces. The backends store them (backend.Workspaces);
// the selection is the working directory's (package workdir).

var workspaceSubcommands = []string{"list", "show", "new", "select", "delete"}

func init() {
	register(&Command{Name: "workspace", Synopsis: "Manage workspaces: one state per environment (list, show, new, select, delete)", Run: runWorkspaceHelp})
	register(&Command{Name: "workspace list", Synopsis: "List the workspaces, marking the selected one", Run: runWorkspaceList})
	register(&Command{Name: "workspace show", Synopsis: "Print the selected workspace's name", Run: runWorkspaceShow})
	register(&Command{Name: "workspace new", Synopsis: "Create a workspace and select it", Run: runWorkspaceNew})
	register(&Command{Name: "workspace select", Synopsis: "Select a workspace", Run: runWorkspaceSelect})
	register(&Command{Name: "workspace delete", Synopsis: "Delete a workspace and its state", Run: runWorkspaceDelete})
}

func runWorkspaceHelp(ctx context.Context, m *Meta, args []string) int {
	return m.groupHelp(ctx, "workspace", "[options] [NAME]", workspaceSubcommands, args)
}

// workspaceSet is the configuration's backend as the workspace commands
// see it: its workspaces, and how their states are opened.
type workspaceSet struct {
	ws    backend.Workspaces
	names []string          // the workspaces that exist, sorted
	opts  []statemgr.Option // the configuration's encryption
}

// workspaces opens the configuration's backend and lists its workspaces,
// reporting errors itself.
func (m *Meta) workspaces(ctx context.Context) (*workspaceSet, bool) {
	cfg, enc, ok := m.loadEncryption()
	if !ok {
		return nil, false
	}
	b, diags := m.stateBackendConfig(cfg)
	if diags.HasErrors() {
		m.showDiagnostics(diags, cfg.FilesOrNil())
		return nil, false
	}
	ws, diags := m.openWorkspaces(b)
	if diags.HasErrors() {
		m.showDiagnostics(diags, cfg.FilesOrNil())
		return nil, false
	}
	names, err := ws.Workspaces(ctx)
	if err != nil {
		m.Errorf("listing the workspaces: %s", err)
		return nil, false
	}
	return &workspaceSet{ws: ws, names: names, opts: []statemgr.Option{statemgr.WithEncryption(enc.StateTarget())}}, true
}

func (s *workspaceSet) exists(name string) bool { return slices.Contains(s.names, name) }

// manager opens the state of workspace name.
func (s *workspaceSet) manager(name string) (*statemgr.Manager, error) {
	b, err := s.ws.Workspace(name)
	if err != nil {
		return nil, err
	}
	return statemgr.New(b, s.opts...), nil
}

// quoted lists the workspaces for messages.
func (s *workspaceSet) quoted() string {
	q := make([]string, len(s.names))
	for i, n := range s.names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// oneName checks that a workspace command got exactly one valid name.
func (m *Meta) oneName(cmd string, args []string) (string, bool) {
	if len(args) != 1 {
		m.Errorf("workspace %s takes exactly one argument: the workspace's name.", cmd)
		return "", false
	}
	if err := backend.CheckWorkspaceName(args[0]); err != nil {
		m.Errorf("%s.", err)
		return "", false
	}
	return args[0], true
}

func runWorkspaceList(ctx context.Context, m *Meta, args []string) int {
	fs, _ := newStateFlagSet(m, "workspace list", "Usage: berth [-chdir=DIR] workspace list\n\nLists the workspaces of the configuration's backend; * marks the selected one.", false)
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	set, ok := m.workspaces(ctx)
	if !ok {
		return 1
	}
	current, _, diags := m.workspaceName()
	if diags.HasErrors() {
		m.showDiagnostics(diags, nil)
		return 1
	}
	for _, n := range set.names {
		mark := " "
		if n == current {
			mark = "*"
		}
		fmt.Fprintf(m.Stdout, "%s %s\n", mark, n)
	}
	return 0
}

func runWorkspaceShow(ctx context.Context, m *Meta, args []string) int {
	fs, _ := newStateFlagSet(m, "workspace show", "Usage: berth [-chdir=DIR] workspace show\n\nPrints the selected workspace's name ($"+workdir.EnvWorkspace+" when set).", false)
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	name, _, diags := m.workspaceName()
	if diags.HasErrors() {
		m.showDiagnostics(diags, nil)
		return 1
	}
	fmt.Fprintln(m.Stdout, name)
	return 0
}

// runWorkspaceNew creates a workspace and selects it.
func runWorkspaceNew(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "workspace new", "Usage: berth [-chdir=DIR] workspace new [-lock=false] [-lock-timeout=D] NAME\n\nCreates the workspace NAME with an empty state and selects it.", true)
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	name, ok := m.oneName("new", fs.Args())
	if !ok {
		return 1
	}
	set, ok := m.workspaces(ctx)
	if !ok {
		return 1
	}
	if code := m.createWorkspace(ctx, set, name, sf); code != 0 {
		return code
	}
	return m.selectWorkspace(name)
}

// createWorkspace creates workspace name, which must not exist yet, by
// storing an empty state in it (a workspace exists once it has a state,
// in every backend), under its lock.
func (m *Meta) createWorkspace(ctx context.Context, set *workspaceSet, name string, sf *stateFlags) int {
	if set.exists(name) {
		m.Errorf("workspace %q already exists.", name)
		return 1
	}
	mgr, err := set.manager(name)
	if err != nil {
		m.Errorf("%s.", err)
		return 1
	}
	code := m.withLock(ctx, mgr, sf, "workspace new", func() int {
		existing, err := mgr.Read(ctx)
		if err != nil {
			m.Errorf("%s", err)
			return 1
		}
		if existing != nil {
			m.Errorf("workspace %q was created meanwhile, by another berth.", name)
			return 1
		}
		if err := mgr.Write(ctx, state.New()); err != nil {
			m.Errorf("creating workspace %q: %s", name, err)
			return 1
		}
		return 0
	})
	if code == 0 {
		fmt.Fprintf(m.Stdout, "Created workspace %q.\n", name)
	}
	return code
}

// selectWorkspace records name as the selected workspace, unless
// $BERTH_WORKSPACE overrides the selection.
func (m *Meta) selectWorkspace(name string) int {
	if _, fromEnv, _ := m.workspaceName(); fromEnv {
		fmt.Fprintf(m.Stdout, "%s is set: commands use the workspace it names, not the selected one.\n", workdir.EnvWorkspace)
		return 0
	}
	if err := m.workdir().SelectWorkspace(name); err != nil {
		m.Errorf("%s", err)
		return 1
	}
	fmt.Fprintf(m.Stdout, "Switched to workspace %q.\n", name)
	return 0
}

func runWorkspaceSelect(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "workspace select", "Usage: berth [-chdir=DIR] workspace select [-or-create] NAME\n\nSelects the workspace NAME for the commands run in this directory.", true)
	orCreate := fs.Bool("or-create", false, "create the workspace if it does not exist")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	name, ok := m.oneName("select", fs.Args())
	if !ok {
		return 1
	}
	if _, fromEnv, _ := m.workspaceName(); fromEnv {
		m.Errorf("%s is set, and selects the workspace for every command: unset it to select one with berth workspace select.", workdir.EnvWorkspace)
		return 1
	}
	set, ok := m.workspaces(ctx)
	if !ok {
		return 1
	}
	if !set.exists(name) {
		if !*orCreate {
			m.Errorf("workspace %q does not exist; create it with \"berth workspace new %s\" (or select -or-create). The workspaces are: %s.", name, name, set.quoted())
			return 1
		}
		if code := m.createWorkspace(ctx, set, name, sf); code != 0 {
			return code
		}
	}
	return m.selectWorkspace(name)
}

// runWorkspaceDelete deletes a workspace: under its lock, refusing one
// whose state still records objects unless -force (they would go on
// running, unmanaged), the selected one and the default one.
func runWorkspaceDelete(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "workspace delete", "Usage: berth [-chdir=DIR] workspace delete [-force] [-lock=false] [-lock-timeout=D] NAME\n\nDeletes the workspace NAME and its state. A state that records objects is\nrefused unless -force: destroy them first (berth destroy in that workspace).", true)
	force := fs.Bool("force", false, "delete the workspace even if its state records objects (they are forgotten, not destroyed)")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	name, ok := m.oneName("delete", fs.Args())
	if !ok {
		return 1
	}
	if name == backend.DefaultWorkspace {
		m.Errorf("the default workspace cannot be deleted.")
		return 1
	}
	if current, _, _ := m.workspaceName(); current == name {
		m.Errorf("workspace %q is selected: select another one first (berth workspace select default).", name)
		return 1
	}
	set, ok := m.workspaces(ctx)
	if !ok {
		return 1
	}
	if !set.exists(name) {
		m.Errorf("workspace %q does not exist. The workspaces are: %s.", name, set.quoted())
		return 1
	}
	mgr, err := set.manager(name)
	if err != nil {
		m.Errorf("%s.", err)
		return 1
	}
	lockID := ""
	if sf.lock {
		id, err := mgr.Lock(ctx, statemgr.NewLockInfo("workspace delete"), sf.lockTimeout)
		if err != nil {
			m.Errorf("%s", err)
			return 1
		}
		lockID = id
	}
	st, err := mgr.Read(ctx)
	if err == nil && st != nil && !*force {
		if n := st.InstanceCount(); n > 0 {
			err = fmt.Errorf("workspace %q is not empty: its state records %d objects, which would go on running with nothing managing them. Destroy them first (BERTH_WORKSPACE=%s berth destroy), or pass -force to forget them", name, n, name)
		}
	}
	if err == nil {
		err = set.ws.DeleteWorkspace(ctx, name)
	}
	if err != nil {
		if lockID != "" {
			if uerr := mgr.Unlock(context.WithoutCancel(ctx), lockID); uerr != nil {
				m.Errorf("%s", uerr)
			}
		}
		m.Errorf("%s.", err)
		return 1
	}
	if lockID != "" {
		// The lock's record went with the workspace; releasing what is
		// left (a session lock, a lease's renewal) may find nothing, or
		// a lease renewal that ran after the delete: neither matters.
		_ = mgr.Unlock(context.WithoutCancel(ctx), lockID)
	}
	fmt.Fprintf(m.Stdout, "Deleted workspace %q.\n", name)
	return 0
}
