package s3

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/berth-sh/berth/state/backend"
)

// Workspaces are the states of every workspace in one bucket, as
// Terraform lays them out: the default workspace's at KEY, each other's at
// PREFIX/WORKSPACE/KEY (workspace_key_prefix, "env:" by default), each
// with its lock and journal beside it. They share one client.
type Workspaces struct {
	cfg    Config
	client *client
}

// NewWorkspaces returns the workspaces of c's bucket. It checks c, and
// connects at the first operation.
func NewWorkspaces(c Config) (*Workspaces, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return &Workspaces{cfg: c, client: &client{cfg: c}}, nil
}

// workspaceKey is the key of the named workspace's state object.
func (w *Workspaces) workspaceKey(name string) string {
	if name == backend.DefaultWorkspace {
		return w.cfg.Key
	}
	return w.cfg.WorkspaceKeyPrefix + "/" + name + "/" + w.cfg.Key
}

// Workspace returns the backend of the named workspace's state object.
func (w *Workspaces) Workspace(name string) (backend.Backend, error) {
	return w.workspace(name)
}

func (w *Workspaces) workspace(name string) (*S3, error) {
	if err := backend.CheckWorkspaceName(name); err != nil {
		return nil, err
	}
	return newS3(w.cfg, w.client, w.workspaceKey(name)), nil
}

// Workspaces lists the default workspace and every workspace whose state
// object exists: the keys PREFIX/NAME/KEY.
func (w *Workspaces) Workspaces(ctx context.Context) ([]string, error) {
	b := newS3(w.cfg, w.client, w.cfg.Key)
	prefix := w.cfg.WorkspaceKeyPrefix + "/"
	keys, err := b.listKeys(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing the workspaces in %s: %w", b.location(prefix), err)
	}
	names := []string{backend.DefaultWorkspace}
	for _, k := range keys {
		name, rest, ok := strings.Cut(strings.TrimPrefix(k, prefix), "/")
		if ok && rest == w.cfg.Key && name != backend.DefaultWorkspace && backend.CheckWorkspaceName(name) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// DeleteWorkspace removes the workspace's state object, its journal's
// objects and its lock object.
func (w *Workspaces) DeleteWorkspace(ctx context.Context, name string) error {
	if err := backend.CheckDeletable(name); err != nil {
		return err
	}
	b, err := w.workspace(name)
	if err != nil {
		return err
	}
	if _, found, err := b.getObject(ctx, b.key); err != nil {
		return fmt.Errorf("deleting workspace %q: %w", name, err)
	} else if !found {
		return fmt.Errorf("workspace %q does not exist in %s", name, b.location(w.cfg.WorkspaceKeyPrefix+"/"))
	}
	journal, err := b.listKeys(ctx, b.journalPrefix())
	if err != nil {
		return fmt.Errorf("deleting workspace %q: %w", name, err)
	}
	// The state last: a workspace whose deletion failed half-way is
	// still listed, to be deleted again.
	keys := append(journal, b.lockKey())
	if err := b.deleteKeys(ctx, keys); err != nil {
		return fmt.Errorf("deleting workspace %q: %w", name, err)
	}
	if err := b.deleteKeys(ctx, []string{b.key}); err != nil {
		return fmt.Errorf("deleting workspace %q: %w", name, err)
	}
	return nil
}
