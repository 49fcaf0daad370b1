package postgres

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/berth-sh/berth/state/backend"
)

// Workspaces are the states of every workspace in one schema: rows keyed
// by the workspace's name in each table, and an advisory lock per
// workspace (lockKey hashes the schema and the workspace).
type Workspaces struct {
	cfg Config // Workspace unused
}

// NewWorkspaces returns the workspaces of c's schema. Like New it parses
// the connection string now and connects later.
func NewWorkspaces(c Config) (*Workspaces, error) {
	if _, err := New(c); err != nil {
		return nil, err
	}
	return &Workspaces{cfg: c}, nil
}

// Workspace returns the backend of the named workspace's rows.
func (w *Workspaces) Workspace(name string) (backend.Backend, error) {
	if err := backend.CheckWorkspaceName(name); err != nil {
		return nil, err
	}
	c := w.cfg
	c.Workspace = name
	return New(c)
}

// Workspaces lists the default workspace and every workspace with a
// state row.
func (w *Workspaces) Workspaces(ctx context.Context) ([]string, error) {
	p, err := New(w.cfg)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	db, err := p.db(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, "SELECT workspace FROM "+p.tables.states)
	if err != nil {
		return nil, fmt.Errorf("listing the workspaces in %s: %w", p.Location(), err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing the workspaces in %s: %w", p.Location(), err)
	}
	seen := false
	for _, n := range names {
		seen = seen || n == backend.DefaultWorkspace
	}
	if !seen {
		names = append(names, backend.DefaultWorkspace)
	}
	sort.Strings(names)
	return names, nil
}

// DeleteWorkspace removes the workspace's state, journal and lock rows in
// one transaction.
func (w *Workspaces) DeleteWorkspace(ctx context.Context, name string) error {
	if err := backend.CheckDeletable(name); err != nil {
		return err
	}
	c := w.cfg
	c.Workspace = name
	p, err := New(c)
	if err != nil {
		return err
	}
	defer p.Close()
	db, err := p.db(ctx)
	if err != nil {
		return err
	}
	var deleted int64
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		for _, t := range []string{p.tables.journal, p.tables.locks} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE workspace = $1", name); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, "DELETE FROM "+p.tables.states+" WHERE workspace = $1", name)
		deleted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting workspace %q in %s: %w", name, p.Location(), err)
	}
	if deleted == 0 {
		return fmt.Errorf("workspace %q does not exist in %s", name, p.Location())
	}
	return nil
}
