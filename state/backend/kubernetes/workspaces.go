package kubernetes

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-sh/berth/state/backend"
)

// Workspaces are the states of every workspace under one secret_suffix in
// one namespace: each workspace's objects carry its name in their names
// and labels (names.go).
type Workspaces struct {
	cfg Config
	c   *clients
}

// NewWorkspaces returns the workspaces c names. It reads the kubeconfig
// now (so a missing one is an error here) and connects later.
func NewWorkspaces(c Config) (*Workspaces, error) {
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	cl, err := newClients(c)
	if err != nil {
		return nil, err
	}
	return &Workspaces{cfg: c, c: cl}, nil
}

// Workspace returns the backend of the named workspace.
func (w *Workspaces) Workspace(name string) (backend.Backend, error) {
	return w.workspace(name)
}

func (w *Workspaces) workspace(name string) (*Kubernetes, error) {
	if err := backend.CheckWorkspaceName(name); err != nil {
		return nil, err
	}
	return &Kubernetes{cfg: w.cfg, workspace: name, c: w.c}, nil
}

// Workspaces lists the default workspace and every workspace with a state
// head under the suffix.
func (w *Workspaces) Workspaces(ctx context.Context) ([]string, error) {
	list, err := w.c.secretMeta.List(ctx, metav1.ListOptions{LabelSelector: selector(map[string]string{
		labelManagedBy: managedBy,
		labelSuffix:    w.cfg.SecretSuffix,
		labelRole:      roleState,
	})})
	if err != nil {
		return nil, fmt.Errorf("listing the workspaces in kubernetes %s, namespace %s: %w", w.c.cluster, w.cfg.Namespace, err)
	}
	names := []string{backend.DefaultWorkspace}
	for _, o := range list.Items {
		if n := o.Annotations[annWorkspace]; n != "" && n != backend.DefaultWorkspace {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// DeleteWorkspace deletes the workspace's objects: its state and journal
// heads, their chunks and its Lease.
func (w *Workspaces) DeleteWorkspace(ctx context.Context, name string) error {
	if err := backend.CheckDeletable(name); err != nil {
		return err
	}
	k, err := w.workspace(name)
	if err != nil {
		return err
	}
	head, err := k.getHead(ctx, k.stateName(), roleState)
	if err != nil {
		return fmt.Errorf("deleting workspace %q: %w", name, err)
	}
	if head == nil {
		return fmt.Errorf("workspace %q does not exist in %s", name, k.Location())
	}
	// The state's head last: until it is gone the workspace is listed,
	// and deleting it again finishes a deletion that failed half-way.
	list, err := w.c.secretMeta.List(ctx, metav1.ListOptions{LabelSelector: selector(map[string]string{
		labelManagedBy: managedBy,
		labelSuffix:    w.cfg.SecretSuffix,
		labelWorkspace: objectName(name),
	})})
	if err != nil {
		return fmt.Errorf("deleting workspace %q: listing its Secrets: %w", name, err)
	}
	for _, o := range list.Items {
		if o.Annotations[annWorkspace] != name || o.Name == head.Name {
			continue
		}
		if err := w.c.secrets.Delete(ctx, o.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting workspace %q: Secret %s: %w", name, o.Name, err)
		}
	}
	if err := w.c.leases.Delete(ctx, k.leaseName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting workspace %q: Lease %s: %w", name, k.leaseName(), err)
	}
	if err := w.c.secrets.Delete(ctx, head.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting workspace %q: %w", name, err)
	}
	return nil
}
