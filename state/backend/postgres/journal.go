package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// JournalLocation names the journal: the journal table's rows of the
// workspace.
func (p *Postgres) JournalLocation() string {
	return p.Location() + " journal"
}

// AppendJournal inserts data as the workspace's next journal row: one
// statement, durable once it returns (committed). A record is a row, so
// an append cut short leaves no torn record at all.
func (p *Postgres) AppendJournal(ctx context.Context, data []byte) error {
	db, err := p.db(ctx)
	if err != nil {
		return err
	}
	if _, err := db.Exec(ctx, "INSERT INTO "+p.tables.journal+" (workspace, data) VALUES ($1, $2)", p.cfg.Workspace, data); err != nil {
		return fmt.Errorf("writing the intent journal %s: %w", p.JournalLocation(), err)
	}
	return nil
}

// GetJournal returns the workspace's journal rows concatenated in the
// order they were appended; found is false when there are none.
func (p *Postgres) GetJournal(ctx context.Context) ([]byte, bool, error) {
	db, err := p.db(ctx)
	if err != nil {
		return nil, false, err
	}
	var data []byte
	err = db.QueryRow(ctx, "SELECT string_agg(data, ''::bytea ORDER BY seq) FROM "+p.tables.journal+" WHERE workspace = $1", p.cfg.Workspace).Scan(&data)
	if err != nil {
		return nil, false, fmt.Errorf("reading the intent journal %s: %w", p.JournalLocation(), err)
	}
	if data == nil { // no rows: string_agg is NULL
		return nil, false, nil
	}
	return data, true, nil
}

// PutJournal replaces the workspace's journal rows with one row holding
// data, or with none when data is empty, in one transaction.
func (p *Postgres) PutJournal(ctx context.Context, data []byte) error {
	db, err := p.db(ctx)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM "+p.tables.journal+" WHERE workspace = $1", p.cfg.Workspace); err != nil {
			return err
		}
		if len(data) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, "INSERT INTO "+p.tables.journal+" (workspace, data) VALUES ($1, $2)", p.cfg.Workspace, data)
		return err
	})
	if err != nil {
		return fmt.Errorf("writing the intent journal %s: %w", p.JournalLocation(), err)
	}
	return nil
}
