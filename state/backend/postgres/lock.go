package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/berth-sh/berth/state/backend"
)

// Lock takes the state's session advisory lock (lockKey) on a connection
// of its own, kept open while the lock is held, and records info in the
// locks table. A holder that dies loses the advisory lock when the server
// sees its connection close, and the next Lock overwrites its stale row.
// When another session holds the lock, Lock returns a *backend.LockError
// with the holder's row.
func (p *Postgres) Lock(ctx context.Context, info backend.LockInfo) error {
	if info.ID == "" {
		return errors.New("locking the state: the lock has no ID")
	}
	raw, err := json.Marshal(info)
	if err != nil {
		return err
	}
	db, err := p.db(ctx) // the tables exist before the lock is taken
	if err != nil {
		return err
	}
	p.lockMu.Lock()
	defer p.lockMu.Unlock()
	if p.lockConn != nil {
		return &backend.LockError{Info: p.heldInfo(ctx, db), Err: errors.New("this berth already holds the lock")}
	}
	cc := p.poolCfg.ConnConfig.Copy()
	// The server ends the session, and so frees the lock, when the
	// holder's host vanishes without closing the connection: TCP
	// keepalives probe it after 10 s idle, every 5 s, 3 times (the
	// defaults wait two hours). Settings the connection string gives win.
	for k, v := range map[string]string{"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"} {
		if _, set := cc.RuntimeParams[k]; !set {
			cc.RuntimeParams[k] = v
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("locking the state %s: connecting: %w", p.Location(), err)
	}
	// The advisory lock and the row are taken in one transaction, so
	// that the row others read (FOR SHARE waits for this transaction) is
	// never the previous, dead holder's once the lock is ours. A session
	// advisory lock outlives the transaction (and a rollback).
	var got bool
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", p.key).Scan(&got); err != nil || !got {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO "+p.tables.locks+" (workspace, info) VALUES ($1, $2) ON CONFLICT (workspace) DO UPDATE SET info = EXCLUDED.info",
			p.cfg.Workspace, raw)
		return err
	})
	if err != nil || !got {
		conn.Close(context.Background()) // frees the advisory lock, if taken
		if err != nil {
			return fmt.Errorf("locking the state %s: %w", p.Location(), err)
		}
		return p.lockError(ctx, db)
	}
	p.lockConn, p.lockID = conn, info.ID
	return nil
}

// lockError describes the holder of a lock held by another session.
func (p *Postgres) lockError(ctx context.Context, db querier) error {
	info, err := p.readLock(ctx, db)
	if errors.Is(err, pgx.ErrNoRows) {
		return &backend.LockError{Err: fmt.Errorf("the lock of %s is held, and its holder is not recorded yet", p.Location())}
	}
	if err != nil {
		return &backend.LockError{Err: fmt.Errorf("the lock of %s is held, and reading who holds it failed: %w", p.Location(), err)}
	}
	return &backend.LockError{Info: info}
}

// heldInfo is the row of a lock this backend holds, or nil.
func (p *Postgres) heldInfo(ctx context.Context, db querier) *backend.LockInfo {
	info, _ := p.readLock(ctx, db)
	return info
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readLock reads the lock's row, waiting for a holder that is writing it.
func (p *Postgres) readLock(ctx context.Context, db querier) (*backend.LockInfo, error) {
	var raw []byte
	if err := db.QueryRow(ctx, "SELECT info FROM "+p.tables.locks+" WHERE workspace = $1 FOR SHARE", p.cfg.Workspace).Scan(&raw); err != nil {
		return nil, err
	}
	var info backend.LockInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("the lock row is not a lock's description: %w", err)
	}
	return &info, nil
}

// Unlock releases the lock whose ID is id. The lock this backend holds is
// released by deleting its row and closing its session. A lock another
// process holds (berth force-unlock) is released by deleting its row and
// terminating the session that holds the advisory lock, if it still
// lives: that needs the right to signal it (the same role, or
// pg_signal_backend).
func (p *Postgres) Unlock(ctx context.Context, id string) error {
	db, err := p.db(ctx)
	if err != nil {
		return err
	}
	p.lockMu.Lock()
	defer p.lockMu.Unlock()
	if p.lockConn != nil && p.lockID == id {
		_, err := db.Exec(ctx, "DELETE FROM "+p.tables.locks+" WHERE workspace = $1 AND info->>'id' = $2", p.cfg.Workspace, id)
		// Closing the session releases the advisory lock even when the
		// row could not be deleted: the next Lock overwrites it.
		p.lockConn.Close(ctx)
		p.lockConn, p.lockID = nil, ""
		if err != nil {
			return fmt.Errorf("unlocking the state %s: %w", p.Location(), err)
		}
		return nil
	}
	info, err := p.readLock(ctx, db)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("the state %s is not locked", p.Location())
	}
	if err != nil {
		// An unreadable row is the lock's only if its ID cannot be read:
		// delete it only when the caller names the ID we can read.
		var raw string
		if qerr := db.QueryRow(ctx, "SELECT coalesce(info->>'id', '') FROM "+p.tables.locks+" WHERE workspace = $1", p.cfg.Workspace).Scan(&raw); qerr != nil || raw != id {
			return fmt.Errorf("reading the lock of %s: %w", p.Location(), err)
		}
		info = &backend.LockInfo{ID: raw}
	}
	if info.ID != id {
		return fmt.Errorf("the state %s is locked with ID %s, not %s: nothing was unlocked", p.Location(), info.ID, id)
	}
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM "+p.tables.locks+" WHERE workspace = $1 AND info->>'id' = $2", p.cfg.Workspace, id); err != nil {
			return fmt.Errorf("unlocking the state %s: %w", p.Location(), err)
		}
		// The session holding the advisory lock, if any: int8 keys are
		// stored as classid (high half), objid (low half), objsubid 1.
		rows, err := tx.Query(ctx, `SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid = $1::int8::oid AND objid = $2::int8::oid AND objsubid = 1 AND pid <> pg_backend_pid()`,
			int64(uint64(p.key)>>32), int64(uint64(p.key)&0xffffffff))
		if err != nil {
			return fmt.Errorf("unlocking the state %s: finding the lock's session: %w", p.Location(), err)
		}
		pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("unlocking the state %s: finding the lock's session: %w", p.Location(), err)
		}
		for _, pid := range pids {
			var ok bool
			if err := tx.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil {
				return fmt.Errorf("unlocking the state %s: ending the session %d that holds it: %w", p.Location(), pid, err)
			}
		}
		return nil
	})
}
