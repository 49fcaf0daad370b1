package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/berth-sh/berth/state/backend"
)

// WorkspacesDirSuffix is appended to the default workspace's state path
// to name the directory of the other workspaces' states:
// berth.state.d/dev/berth.state, as Terraform's terraform.tfstate.d.
const WorkspacesDirSuffix = ".d"

// Workspaces are the states of every workspace of one configuration: the
// default workspace's at the configured path, each other's in a directory
// of its own under PATH.d, with its own backup, journal and lock.
type Workspaces struct {
	path string
}

// NewWorkspaces returns the workspaces whose default state is at path.
func NewWorkspaces(path string) *Workspaces { return &Workspaces{path: path} }

func (w *Workspaces) dir() string { return w.path + WorkspacesDirSuffix }

// Workspace returns the backend of the named workspace's state file.
func (w *Workspaces) Workspace(name string) (backend.Backend, error) {
	if name == backend.DefaultWorkspace {
		return New(w.path), nil
	}
	if err := backend.CheckWorkspaceName(name); err != nil {
		return nil, err
	}
	return New(filepath.Join(w.dir(), name, filepath.Base(w.path))), nil
}

// Workspaces lists the default workspace and every directory under PATH.d
// that holds a state file.
func (w *Workspaces) Workspaces(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names := []string{backend.DefaultWorkspace}
	entries, err := os.ReadDir(w.dir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("listing the workspaces: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || backend.CheckWorkspaceName(e.Name()) != nil || e.Name() == backend.DefaultWorkspace {
			continue
		}
		if _, err := os.Stat(filepath.Join(w.dir(), e.Name(), filepath.Base(w.path))); err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// DeleteWorkspace removes the workspace's directory: its state, backups,
// journal and lock file.
func (w *Workspaces) DeleteWorkspace(ctx context.Context, name string) error {
	if err := backend.CheckDeletable(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Join(w.dir(), name)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("workspace %q does not exist: %w", name, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("deleting workspace %q: %w", name, err)
	}
	return nil
}
