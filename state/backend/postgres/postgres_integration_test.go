//go:build integration

package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/state/statetest"
)

// The integration tests run against the server of
// scripts/testenv/postgres.sh (make integration starts it). Each test
// works in a schema of its own, dropped at its end.

const connStrEnv = "BERTH_TEST_PG_CONN_STR"

func testConnStr(t *testing.T) string {
	t.Helper()
	s := os.Getenv(connStrEnv)
	if s == "" {
		t.Fatalf("%s is not set: start the server with scripts/testenv/postgres.sh start and eval \"$(scripts/testenv/postgres.sh env)\" (make integration does both)", connStrEnv)
	}
	return s
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// testSchema returns a schema name of the test's own, dropped when the
// test ends.
func testSchema(t *testing.T, suffix string) string {
	t.Helper()
	name := "t_" + nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_") + suffix
	conn, err := pgx.Connect(context.Background(), testConnStr(t))
	if err != nil {
		t.Fatal(err)
	}
	drop := func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
	}
	drop()
	t.Cleanup(func() {
		drop()
		conn.Close(context.Background())
	})
	return name
}

func openTest(t *testing.T, schema, workspace string) *Postgres {
	t.Helper()
	p, err := New(Config{ConnStr: testConnStr(t), Schema: schema, Workspace: workspace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func encoded(t *testing.T, s *state.State) []byte {
	t.Helper()
	data, err := statefile.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	p := openTest(t, testSchema(t, ""), DefaultWorkspace)
	if data, found, err := p.Get(ctx); err != nil || found || data != nil {
		t.Fatalf("a fresh schema: %q, %v, %v", data, found, err)
	}
	s := statetest.Big(50)
	s.Serial = 1
	want := encoded(t, s)
	if err := p.Put(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, found, err := p.Get(ctx)
	if err != nil || !found || string(got) != string(want) {
		t.Fatalf("read back %d bytes, %v, %v; want the %d bytes written", len(got), found, err, len(want))
	}
	// Another workspace of the schema is another state.
	if _, found, err := openTest(t, p.cfg.Schema, "other").Get(ctx); err != nil || found {
		t.Errorf("workspace other: %v, %v", found, err)
	}
}

// TestManager: through the state manager, the serial is assigned and a
// state of another lineage is refused.
func TestManager(t *testing.T) {
	ctx := context.Background()
	schema := testSchema(t, "")
	m := statemgr.New(openTest(t, schema, DefaultWorkspace))
	if _, err := m.Read(ctx); err != nil {
		t.Fatal(err)
	}
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", statetest.Object("a"))
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.SetInstance(statetest.Instance(t, "test_object.b"), "test", statetest.Object("b"))
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	if s.Serial != 2 {
		t.Errorf("serial %d after two writes, want 2", s.Serial)
	}
	read, err := statemgr.New(openTest(t, schema, DefaultWorkspace)).Read(ctx)
	if err != nil || read.Serial != 2 || read.Lineage != s.Lineage || read.InstanceCount() != 2 {
		t.Fatalf("read back %+v, %v", read, err)
	}

	other := state.New()
	other.SetInstance(statetest.Instance(t, "test_object.c"), "test", statetest.Object("c"))
	m2 := statemgr.New(openTest(t, schema, DefaultWorkspace))
	if err := m2.Write(ctx, other); err == nil || !strings.Contains(err.Error(), "lineage") {
		t.Errorf("a state of another lineage through the manager: %v", err)
	}
	// The backend refuses it on its own too.
	other.Serial = 99
	var se *backend.StaleWriteError
	if err := openTest(t, schema, DefaultWorkspace).Put(ctx, encoded(t, other)); !errors.As(err, &se) || se.StoredLineage != s.Lineage {
		t.Errorf("a state of another lineage, put directly: %v", err)
	}
}

// TestStaleWriter: a writer whose serial is not above the stored one is
// refused, lock or no lock; the same bytes again (the manager's check
// that the backend can store the state) are accepted.
func TestStaleWriter(t *testing.T) {
	ctx := context.Background()
	p := openTest(t, testSchema(t, ""), DefaultWorkspace)
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", statetest.Object("a"))
	s.Serial = 2
	stored := encoded(t, s)
	if err := p.Put(ctx, stored); err != nil {
		t.Fatal(err)
	}
	stale := s.DeepCopy()
	stale.SetInstance(statetest.Instance(t, "test_object.stale"), "test", statetest.Object("stale"))
	for _, serial := range []uint64{1, 2} {
		stale.Serial = serial
		var se *backend.StaleWriteError
		err := p.Put(ctx, encoded(t, stale))
		if !errors.As(err, &se) || se.StoredSerial != 2 || !strings.Contains(err.Error(), "not above") {
			t.Errorf("serial %d over serial 2: %v", serial, err)
		}
	}
	if err := p.Put(ctx, stored); err != nil {
		t.Errorf("the stored bytes again: %v", err)
	}
	if got, _, _ := p.Get(ctx); string(got) != string(stored) {
		t.Error("the stored state changed")
	}
	stale.Serial = 3
	if err := p.Put(ctx, encoded(t, stale)); err != nil {
		t.Errorf("serial 3: %v", err)
	}
	if err := p.Put(ctx, []byte("not a state")); err == nil {
		t.Error("bytes that are not a state file were stored")
	}
}

// TestPersisterCheck: an apply's first write (Persister.Check) rewrites
// the unchanged state with its serial, which the guard lets through.
func TestPersisterCheck(t *testing.T) {
	ctx := context.Background()
	schema := testSchema(t, "")
	m := statemgr.New(openTest(t, schema, DefaultWorkspace))
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", statetest.Object("a"))
	if err := m.Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	m2 := statemgr.New(openTest(t, schema, DefaultWorkspace))
	read, err := m2.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := statemgr.NewPersister(ctx, m2, state.NewSyncState(read))
	if err := p.Check(ctx); err != nil {
		t.Fatalf("the check write of an unchanged state: %v", err)
	}
}

func TestJournal(t *testing.T) {
	ctx := context.Background()
	p := openTest(t, testSchema(t, ""), DefaultWorkspace)
	get := func() (string, bool) {
		t.Helper()
		data, found, err := p.GetJournal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return string(data), found
	}
	if data, found := get(); found || data != "" {
		t.Fatalf("a fresh journal: %q, %v", data, found)
	}
	for _, rec := range []string{"one\n", "two\n", "three\n"} {
		if err := p.AppendJournal(ctx, []byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if data, found := get(); !found || data != "one\ntwo\nthree\n" {
		t.Errorf("after three appends: %q, %v", data, found)
	}
	// Another workspace's journal is its own.
	if _, found, err := openTest(t, p.cfg.Schema, "other").GetJournal(ctx); err != nil || found {
		t.Errorf("workspace other: %v, %v", found, err)
	}
	if err := p.PutJournal(ctx, []byte("kept\n")); err != nil {
		t.Fatal(err)
	}
	if err := p.AppendJournal(ctx, []byte("after\n")); err != nil {
		t.Fatal(err)
	}
	if data, found := get(); !found || data != "kept\nafter\n" {
		t.Errorf("after a put and an append: %q, %v", data, found)
	}
	if err := p.PutJournal(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if data, found := get(); found || data != "" {
		t.Errorf("after an empty put: %q, %v", data, found)
	}
}

// TestLockHeld: while one manager holds the lock, another gets a
// LockError naming the holder; after Unlock it gets the lock.
func TestLockHeld(t *testing.T) {
	ctx := context.Background()
	schema := testSchema(t, "")
	m1 := statemgr.New(openTest(t, schema, DefaultWorkspace))
	m2 := statemgr.New(openTest(t, schema, DefaultWorkspace))
	info := statemgr.NewLockInfo("apply")
	id, err := m1.Lock(ctx, info, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m2.Lock(ctx, statemgr.NewLockInfo("plan"), 0)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.ID != id || le.Info.Operation != "apply" || le.Info.PID != os.Getpid() {
		t.Fatalf("the second lock: %v (%+v)", err, le)
	}
	if !strings.Contains(err.Error(), info.Who) {
		t.Errorf("the error does not name the holder %s: %v", info.Who, err)
	}
	if err := m2.Backend().Unlock(ctx, "not-the-id"); err == nil || !strings.Contains(err.Error(), id) {
		t.Errorf("unlock with another ID: %v", err)
	}
	if err := m1.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	id2, err := m2.Lock(ctx, statemgr.NewLockInfo("plan"), 0)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	if err := m2.Unlock(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if err := m2.Backend().Unlock(ctx, id2); err == nil || !strings.Contains(err.Error(), "not locked") {
		t.Errorf("unlocking an unlocked state: %v", err)
	}
}

// TestForceUnlock: force-unlock from another berth, with the holder's ID,
// ends the holder's lock session, and the lock is free.
func TestForceUnlock(t *testing.T) {
	ctx := context.Background()
	schema := testSchema(t, "")
	holder := openTest(t, schema, DefaultWorkspace)
	info := statemgr.NewLockInfo("apply")
	if err := holder.Lock(ctx, info); err != nil {
		t.Fatal(err)
	}
	other := statemgr.New(openTest(t, schema, DefaultWorkspace))
	if err := other.ForceUnlock(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lock(ctx, statemgr.NewLockInfo("apply"), 10*time.Second); err != nil {
		t.Fatalf("after force-unlock: %v", err)
	}
}

// holdEnv makes the test binary, re-executed by TestLockHolderKilled,
// take the lock of the schema it names and sleep until killed.
const holdEnv = "BERTH_TEST_PG_HOLD_SCHEMA"

// TestLockHolderKilled: a berth killed with SIGKILL while it holds the
// lock loses it with its connection: the next Lock succeeds within
// seconds, without force-unlock.
func TestLockHolderKilled(t *testing.T) {
	if schema := os.Getenv(holdEnv); schema != "" {
		holdLock(t, schema)
		return
	}
	ctx := context.Background()
	schema := testSchema(t, "")
	openTest(t, schema, DefaultWorkspace) // the tables exist before the child locks
	cmd := statetest.StartLockHolder(t, "TestLockHolderKilled", holdEnv, schema)
	m := statemgr.New(openTest(t, schema, DefaultWorkspace))
	_, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	var le *backend.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.PID != cmd.Process.Pid {
		t.Fatalf("while the child holds it: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 30*time.Second)
	took := time.Since(killed)
	if err != nil {
		t.Fatalf("%s after the SIGKILL: %v", took, err)
	}
	t.Logf("the lock was taken %s after the holder's SIGKILL", took)
	if took > 10*time.Second {
		t.Errorf("taking over a killed holder's lock took %s", took)
	}
	// The dead holder's row was overwritten: it is ours.
	info, err := m.Backend().(*Postgres).readLock(ctx, m.Backend().(*Postgres).pool)
	if err != nil || info.ID != id || info.PID != os.Getpid() {
		t.Errorf("the lock row after the takeover: %+v, %v", info, err)
	}
}

func holdLock(t *testing.T, schema string) {
	p, err := New(Config{ConnStr: testConnStr(t), Schema: schema, Workspace: DefaultWorkspace})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Lock(context.Background(), statemgr.NewLockInfo("apply")); err != nil {
		t.Fatal(err)
	}
	statetest.HoldLock()
}

// TestSchemasLockIndependently: the same workspace in two schemas is two
// states with two locks.
func TestSchemasLockIndependently(t *testing.T) {
	ctx := context.Background()
	a := openTest(t, testSchema(t, "_a"), DefaultWorkspace)
	b := openTest(t, testSchema(t, "_b"), DefaultWorkspace)
	if err := a.Lock(ctx, statemgr.NewLockInfo("apply")); err != nil {
		t.Fatal(err)
	}
	if err := b.Lock(ctx, statemgr.NewLockInfo("apply")); err != nil {
		t.Fatalf("schema b while schema a is locked: %v", err)
	}
	// And two workspaces of one schema too.
	if err := openTest(t, a.cfg.Schema, "prod").Lock(ctx, statemgr.NewLockInfo("apply")); err != nil {
		t.Fatalf("workspace prod while default is locked: %v", err)
	}
	var le *backend.LockError
	if err := openTest(t, a.cfg.Schema, DefaultWorkspace).Lock(ctx, statemgr.NewLockInfo("apply")); !errors.As(err, &le) {
		t.Errorf("schema a's default workspace again: %v", err)
	}
}

// TestRoleWithoutCreate: once the tables exist, a role with only the
// tables' privileges (no CREATE on the database) reads, writes and locks:
// berth does not run the DDL again.
func TestRoleWithoutCreate(t *testing.T) {
	ctx := context.Background()
	schema := testSchema(t, "")
	openTest(t, schema, DefaultWorkspace).Get(ctx) // creates the tables as the owner
	admin, err := pgx.Connect(ctx, testConnStr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	role := fmt.Sprintf("berth_rw_%d", os.Getpid())
	q := pgx.Identifier{role}.Sanitize()
	s := pgx.Identifier{schema}.Sanitize()
	for _, stmt := range []string{
		"DROP ROLE IF EXISTS " + q,
		"CREATE ROLE " + q + " LOGIN",
		"GRANT USAGE ON SCHEMA " + s + " TO " + q,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + s + " TO " + q,
		"GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + s + " TO " + q,
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(ctx, "DROP OWNED BY "+q)
		_, _ = admin.Exec(ctx, "DROP ROLE IF EXISTS "+q)
	})
	cfg, err := pgx.ParseConfig(testConnStr(t))
	if err != nil {
		t.Fatal(err)
	}
	conn := strings.Replace(testConnStr(t), cfg.User+"@", role+"@", 1)
	p, err := New(Config{ConnStr: conn, Schema: schema, Workspace: DefaultWorkspace})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m := statemgr.New(p)
	id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatalf("locking as %s: %v", role, err)
	}
	if err := m.Write(ctx, statetest.Big(3)); err != nil {
		t.Fatalf("writing as %s: %v", role, err)
	}
	if err := p.AppendJournal(ctx, []byte("{}\n")); err != nil {
		t.Fatalf("journal as %s: %v", role, err)
	}
	if err := m.Unlock(ctx, id); err != nil {
		t.Fatal(err)
	}
}
