package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// tables are the qualified, quoted names of berth's tables in a schema.
type tables struct {
	schema  string // the schema's name, unquoted (for the setup lock's key)
	quoted  string
	states  string
	journal string
	locks   string
}

func tablesIn(schema string) tables {
	q := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	return tables{schema: schema, quoted: pgx.Identifier{schema}.Sanitize(),
		states: q("states"), journal: q("journal"), locks: q("locks")}
}

// create makes the schema and the tables if missing. Concurrent
// CREATE ... IF NOT EXISTS can still collide in the catalog (a unique
// violation), so berths that start together take turns, under a
// transaction advisory lock of their own (setupKey).
func (t tables) create(ctx context.Context, pool *pgxpool.Pool) error {
	// PostgreSQL checks the CREATE privilege on the database before it
	// finds that the schema exists: a role with only the tables'
	// privileges must not run the DDL once they are there.
	var exist bool
	err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL",
		t.states, t.journal, t.locks).Scan(&exist)
	if err == nil && exist {
		return nil
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", setupKey(t.schema)); err != nil {
			return err
		}
		ddl := fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS %[1]s;
CREATE TABLE IF NOT EXISTS %[2]s (
	workspace  text PRIMARY KEY,
	data       bytea NOT NULL,
	lineage    text NOT NULL,
	serial     bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS %[3]s (
	workspace text NOT NULL,
	seq       bigserial,
	data      bytea NOT NULL,
	PRIMARY KEY (workspace, seq)
);
CREATE TABLE IF NOT EXISTS %[4]s (
	workspace text PRIMARY KEY,
	info      jsonb NOT NULL
);`, t.quoted, t.states, t.journal, t.locks)
		_, err := tx.Exec(ctx, ddl)
		return err
	})
}
