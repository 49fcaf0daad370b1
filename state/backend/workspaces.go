package backend

import (
	"context"
	"errors"
	"fmt"
	"regexp"
)

// DefaultWorkspace is the workspace of a configuration that selects none.
const DefaultWorkspace = "default"

// Workspaces is a configured backend: it holds one state per workspace
// (dev, staging, prod of one configuration), each a Backend of its own
// with its own lock and journal. Spec.New returns one.
type Workspaces interface {
	// Workspaces lists the workspaces that have a state stored, sorted;
	// DefaultWorkspace is always among them.
	Workspaces(ctx context.Context) ([]string, error)
	// Workspace returns the Backend of the named workspace's state.
	// Nothing is stored until its first Put: a workspace exists once it
	// has a state.
	Workspace(name string) (Backend, error)
	// DeleteWorkspace removes the named workspace's state, journal,
	// backups and lock record. Whether the state is empty and unlocked is
	// the caller's to check first (under the lock); DefaultWorkspace
	// cannot be deleted.
	DeleteWorkspace(ctx context.Context, name string) error
}

var workspaceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,89}$`)

// CheckWorkspaceName says why name cannot be a workspace's: workspace
// names become file, row and object names in every backend, so they are
// restricted to letters, digits, '-', '_' and '.', not starting with a
// punctuation mark.
func CheckWorkspaceName(name string) error {
	if !workspaceName.MatchString(name) {
		return fmt.Errorf("%q is not a valid workspace name: use letters, digits, '-', '_' and '.', starting with a letter or digit, at most 90 characters", name)
	}
	return nil
}

// CheckDeletable says why workspace name cannot be deleted: it is the
// default workspace, or not a workspace name at all. Every backend's
// DeleteWorkspace checks it first.
func CheckDeletable(name string) error {
	if name == DefaultWorkspace {
		return errors.New("the default workspace cannot be deleted")
	}
	return CheckWorkspaceName(name)
}
