package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statefile"
)

// Get reads the workspace's state.
func (p *Postgres) Get(ctx context.Context) ([]byte, bool, error) {
	db, err := p.db(ctx)
	if err != nil {
		return nil, false, err
	}
	var data []byte
	err = db.QueryRow(ctx, "SELECT data FROM "+p.tables.states+" WHERE workspace = $1", p.cfg.Workspace).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the state from %s: %w", p.Location(), err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, true, nil
}

// Put stores data, a state file, in one statement guarded by its header:
// it replaces the stored state only when the lineage is the same and the
// serial higher (or the bytes are identical: the state manager's check
// that the backend can store a state rewrites it unchanged). So a writer
// with a stale serial is refused even if it bypassed the lock.
func (p *Postgres) Put(ctx context.Context, data []byte) error {
	h, err := statefile.DecodeHeader(data)
	if err != nil {
		return fmt.Errorf("writing the state to %s: not a state file: %w", p.Location(), err)
	}
	if h.Serial > math.MaxInt64 {
		return fmt.Errorf("writing the state to %s: serial %d is out of range", p.Location(), h.Serial)
	}
	db, err := p.db(ctx)
	if err != nil {
		return err
	}
	t := p.tables.states
	tag, err := db.Exec(ctx, `INSERT INTO `+t+` AS s (workspace, data, lineage, serial, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (workspace) DO UPDATE
SET data = EXCLUDED.data, serial = EXCLUDED.serial, updated_at = EXCLUDED.updated_at
WHERE s.lineage = EXCLUDED.lineage
  AND (s.serial < EXCLUDED.serial OR (s.serial = EXCLUDED.serial AND s.data = EXCLUDED.data))`,
		p.cfg.Workspace, data, h.Lineage, int64(h.Serial))
	if err != nil {
		return fmt.Errorf("writing the state to %s: %w", p.Location(), err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	se := &backend.StaleWriteError{Location: p.Location(), Lineage: h.Lineage, Serial: h.Serial}
	var stored int64
	err = db.QueryRow(ctx, "SELECT lineage, serial FROM "+t+" WHERE workspace = $1", p.cfg.Workspace).Scan(&se.StoredLineage, &stored)
	if err != nil {
		return fmt.Errorf("writing the state to %s: refused by the serial guard, and reading the stored state's serial failed: %w", p.Location(), err)
	}
	se.StoredSerial = uint64(stored)
	return se
}
