// Package postgres is the state backend "postgres": states kept in a
// PostgreSQL database, one row per workspace, guarded by a session
// advisory lock and by serial-checked writes. docs/state.md describes the
// tables, the lock and what breaks it (transaction-mode poolers).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state/backend"
)

// Name is the backend's label: backend "postgres" { conn_str = "..." }.
const Name = "postgres"

// DefaultSchema is the schema of the tables when the configuration names
// none.
const DefaultSchema = "berth"

// DefaultWorkspace is the key of the default workspace's rows.
const DefaultWorkspace = backend.DefaultWorkspace

// ConnStrEnv is the environment variable read when conn_str is not set.
const ConnStrEnv = "PG_CONN_STR"

func init() {
	backend.Register(backend.Spec{Name: Name, Schema: schema(), New: open})
}

func schema() *providers.Block {
	return &providers.Block{Attributes: map[string]*providers.Attribute{
		"conn_str": {Type: cty.String, Optional: true, Sensitive: true,
			Description: "the PostgreSQL connection string (URL or key=value); " + ConnStrEnv + " when unset"},
		"schema": {Type: cty.String, Optional: true, Default: cty.StringVal(DefaultSchema),
			Description: "the schema of berth's tables, created if missing"},
	}}
}

// Config is the backend's configuration, decoded.
type Config struct {
	ConnStr   string
	Schema    string
	Workspace string
}

// decodeConfig reads the backend block's body; getenv supplies conn_str
// when the block does not.
func decodeConfig(config cty.Value, getenv func(string) string) (Config, error) {
	c := Config{Schema: DefaultSchema, Workspace: DefaultWorkspace}
	config, _ = config.UnmarkDeep()
	str := func(name string) (string, bool) {
		if config.IsNull() || !config.IsKnown() || !config.Type().IsObjectType() || !config.Type().HasAttribute(name) {
			return "", false
		}
		v := config.GetAttr(name)
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			return "", false
		}
		return v.AsString(), true
	}
	if s, ok := str("conn_str"); ok {
		c.ConnStr = s
	}
	if c.ConnStr == "" {
		c.ConnStr = getenv(ConnStrEnv)
	}
	if c.ConnStr == "" {
		return c, fmt.Errorf("the postgres backend needs a connection string: set conn_str or the environment variable %s", ConnStrEnv)
	}
	if s, ok := str("schema"); ok {
		c.Schema = s
	}
	if c.Schema == "" {
		return c, errors.New("the postgres backend's schema is empty")
	}
	return c, nil
}

// open is the registry's constructor: config is the decoded block. It
// does not connect: the first operation does, with its context.
func open(config cty.Value, dir string) (backend.Workspaces, error) {
	c, err := decodeConfig(config, os.Getenv)
	if err != nil {
		return nil, err
	}
	return NewWorkspaces(c)
}

// Postgres stores states in a PostgreSQL database. See the package doc
// and docs/state.md.
type Postgres struct {
	cfg     Config
	poolCfg *pgxpool.Config
	tables  tables
	key     int64 // the advisory lock's key (lockKey)

	mu    sync.Mutex
	pool  *pgxpool.Pool // nil until first used
	ready bool          // the schema and tables exist

	lockMu   sync.Mutex
	lockConn *pgx.Conn // the session holding the advisory lock, while held
	lockID   string
}

// New returns a backend for c. It parses the connection string (so a
// malformed one is refused now) but does not connect.
func New(c Config) (*Postgres, error) {
	if c.Workspace == "" {
		c.Workspace = DefaultWorkspace
	}
	if c.Schema == "" {
		c.Schema = DefaultSchema
	}
	pc, err := pgxpool.ParseConfig(c.ConnStr)
	if err != nil {
		// pgx's message may quote the connection string, password
		// included: say only that it is malformed.
		return nil, errors.New("the postgres backend's connection string cannot be parsed")
	}
	return &Postgres{cfg: c, poolCfg: pc, tables: tablesIn(c.Schema), key: lockKey(c.Schema, c.Workspace)}, nil
}

// Location names the state: server, database, schema and workspace,
// never the password.
func (p *Postgres) Location() string {
	cc := p.poolCfg.ConnConfig
	return fmt.Sprintf("postgres://%s:%d/%s (schema %s, workspace %s)", cc.Host, cc.Port, cc.Database, p.cfg.Schema, p.cfg.Workspace)
}

// Close releases the connections; a lock still held is released with its
// session.
func (p *Postgres) Close() {
	p.lockMu.Lock()
	if p.lockConn != nil {
		p.lockConn.Close(context.Background())
		p.lockConn, p.lockID = nil, ""
	}
	p.lockMu.Unlock()
	p.mu.Lock()
	if p.pool != nil {
		p.pool.Close()
		p.pool, p.ready = nil, false
	}
	p.mu.Unlock()
}

// db returns the pool, creating the schema and tables the first time.
func (p *Postgres) db(ctx context.Context) (*pgxpool.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool == nil {
		pool, err := pgxpool.NewWithConfig(ctx, p.poolCfg.Copy())
		if err != nil {
			return nil, fmt.Errorf("connecting to %s: %w", p.Location(), err)
		}
		p.pool = pool
	}
	if !p.ready {
		if err := p.tables.create(ctx, p.pool); err != nil {
			return nil, fmt.Errorf("creating berth's tables in %s: %w", p.Location(), err)
		}
		p.ready = true
	}
	return p.pool, nil
}
