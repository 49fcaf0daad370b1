//go:build integration

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statefile"
)

// The tests every state backend passes, through the berth binary: several
// working directories (CI jobs) sharing one backend, workspaces, and a
// killed lock holder. Each backend is a sharedBackend; the servers are the
// test environment's (make integration starts them).

// sharedBackend is a backend several working directories can share.
type sharedBackend struct {
	name string
	// place returns the backend block for a fresh, empty place in the
	// backend (a new schema, bucket prefix, namespace...) and the
	// environment berth needs to reach it.
	place func(t testing.TB) (block string, env []string)
}

var sharedBackends = []sharedBackend{
	{name: "local", place: localPlace},
	{name: "postgres", place: postgresPlace},
	{name: "s3", place: s3Place},
	{name: "kubernetes", place: kubernetesPlace},
}

// localPlace is a state file outside the working directories, by absolute
// path: what a team shares on a network file system.
func localPlace(t testing.TB) (string, []string) {
	path := filepath.Join(t.TempDir(), "shared.state")
	return fmt.Sprintf("backend \"local\" {\n    path = %q\n  }", path), nil
}

var placeSeq struct {
	sync.Mutex
	n int
}

// placeName returns a name of this test process's own, never given
// before: prefix, the pid and a sequence number, separated as prefix ends.
func placeName(prefix string) string {
	placeSeq.Lock()
	defer placeSeq.Unlock()
	placeSeq.n++
	sep := prefix[len(prefix)-1:]
	return fmt.Sprintf("%s%d%s%d", prefix, os.Getpid(), sep, placeSeq.n)
}

// postgresSchema is a fresh schema's name in the test server's database,
// dropped when the test ends, and the server's connection string.
func postgresSchema(t testing.TB) (conn, schema string) {
	conn = os.Getenv("BERTH_TEST_PG_CONN_STR")
	if conn == "" {
		t.Fatal("BERTH_TEST_PG_CONN_STR is not set: start the server with scripts/testenv/postgres.sh start and eval \"$(scripts/testenv/postgres.sh env)\" (make integration does both)")
	}
	schema = placeName("shared_")
	t.Cleanup(func() {
		ctx := context.Background()
		db, err := pgx.Connect(ctx, conn)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close(ctx)
		if _, err := db.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	return conn, schema
}

// postgresPlace is a fresh schema in the test server's database.
func postgresPlace(t testing.TB) (string, []string) {
	conn, schema := postgresSchema(t)
	return fmt.Sprintf("backend \"postgres\" {\n    schema = %q\n  }", schema), []string{"PG_CONN_STR=" + conn}
}

// s3Place is a key and a workspace prefix of their own in the bucket of
// the test server; the credentials are the environment's
// (scripts/testenv/s3.sh env), and the lease short, for the killed
// holder's lock to expire soon.
func s3Place(t testing.TB) (string, []string) {
	endpoint, bucket := os.Getenv("BERTH_TEST_S3_ENDPOINT"), os.Getenv("BERTH_TEST_S3_BUCKET")
	if endpoint == "" || bucket == "" {
		t.Fatal("BERTH_TEST_S3_ENDPOINT or BERTH_TEST_S3_BUCKET is not set: start the server with scripts/testenv/s3.sh start and eval \"$(scripts/testenv/s3.sh env)\" (make integration does both)")
	}
	prefix := placeName("shared-")
	return fmt.Sprintf(`backend "s3" {
    bucket               = %q
    key                  = "%s/berth.state"
    workspace_key_prefix = "%s-env"
    endpoint             = %q
    use_path_style       = true
    lease_duration       = "5s"
  }`, bucket, prefix, prefix, endpoint), nil
}

// sharedConfig has n objects whose value follows var.value, and an output
// naming the workspace.
const sharedConfig = `
variable "value" {
  type    = string
  default = "v0"
}

variable "n" {
  type    = number
  default = 5
}

resource "test_object" "o" {
  count = var.n
  name  = "o${count.index}"
  value = var.value
}

output "where" {
  value = "${berth.workspace}:${var.value}"
}
`

// newSharedDir is one working directory using the backend block and a
// test provider store shared with the other directories (the objects are
// real to every directory, as cloud objects are to every CI job).
func newSharedDir(t testing.TB, block, store string, env []string) *e2e {
	t.Helper()
	return newSharedDirWith(t, block, store, env, sharedConfig)
}

// newSharedDirWith is newSharedDir with another configuration.
func newSharedDirWith(t testing.TB, block, store string, env []string, config string) *e2e {
	t.Helper()
	e := newE2E(t, "")
	e.env = env
	e.storeAt = store
	header := strings.Replace(e2eHeader, "berth {\n", "berth {\n  "+block+"\n", 1)
	header = strings.Replace(header, `"${path.module}/store.json"`, fmt.Sprintf("%q", store), 1)
	if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(header+config), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok("init")
	return e
}

// newSharedPair is two working directories (two CI jobs) sharing a
// fresh place in sb and the objects, after a first apply from the first.
func newSharedPair(t *testing.T, sb sharedBackend) (a, b *e2e) {
	t.Helper()
	block, env := sb.place(t)
	store := filepath.Join(t.TempDir(), "store.json")
	a = newSharedDir(t, block, store, env)
	b = newSharedDir(t, block, store, env)
	a.ok("apply", "-auto-approve")
	return a, b
}

// pulled reads the state through berth state pull (any backend).
func (e *e2e) pulled() *state.State {
	e.t.Helper()
	r := e.ok("state", "pull")
	st, err := statefile.Decode([]byte(r.stdout))
	if err != nil {
		e.t.Fatalf("the stored state cannot be decoded: %v\n%s", err, r.stdout)
	}
	return st
}

// objectValues returns the value attribute of every test_object in st.
func objectValues(st *state.State) map[string]string {
	out := map[string]string{}
	for addr, obj := range st.AllInstances() {
		v, _ := obj.Value.UnmarkDeep()
		out[addr.String()] = v.GetAttr("value").AsString()
	}
	return out
}

// TestE2ESharedStateConcurrentApplies: two working directories sharing a
// backend apply at the same time, 20 times, each setting every object's
// value to its own: one waits for the other's lock, both succeed, and
// every stored state is whole, of one lineage, with all objects carrying
// the value of one apply (never a mix), matching what exists.
func TestE2ESharedStateConcurrentApplies(t *testing.T) {
	trials := 20
	if testing.Short() {
		trials = 3
	}
	for _, sb := range sharedBackends {
		t.Run(sb.name, func(t *testing.T) {
			a, b := newSharedPair(t, sb)
			lineage := a.pulled().Lineage
			for i := range trials {
				va, vb := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
				// delay_ms makes each apply take a while, so that they overlap.
				pa := a.start("apply", "-auto-approve", "-lock-timeout=120s", "-var", "value="+va, "-var", "delay_ms=100")
				pb := b.start("apply", "-auto-approve", "-lock-timeout=120s", "-var", "value="+vb, "-var", "delay_ms=100")
				ca, cb := pa.wait(), pb.wait()
				if ca != 0 || cb != 0 {
					t.Fatalf("trial %d: exits %d and %d\n--- a:\n%s%s\n--- b:\n%s%s", i, ca, cb, &pa.out, &pa.errb, &pb.out, &pb.errb)
				}
				if strings.Contains(pa.out.String()+pb.out.String(), "No changes") {
					t.Errorf("trial %d: an apply found nothing to change: it did not see the other's write", i)
				}
				st := a.pulled()
				if st.Lineage != lineage {
					t.Fatalf("trial %d: lineage %s, want %s", i, st.Lineage, lineage)
				}
				vals := objectValues(st)
				if len(vals) != 5 {
					t.Fatalf("trial %d: %d objects recorded, want 5: %v", i, len(vals), vals)
				}
				var last string
				for _, v := range vals {
					if last != "" && v != last {
						t.Fatalf("trial %d: objects carry values of both applies: %v", i, vals)
					}
					last = v
				}
				if last != va && last != vb {
					t.Fatalf("trial %d: value %q is neither apply's", i, last)
				}
				if got := len(a.store().Objects); got != 5 {
					t.Fatalf("trial %d: %d objects exist, want 5", i, got)
				}
			}
			t.Logf("%s: %d trials of two concurrent applies: 0 corrupt states, 0 mixed applies", sb.name, trials)
		})
	}
}

// TestE2ESharedStateWorkspaces: dev and prod of one configuration keep
// separate states and separate locks in the backend.
func TestE2ESharedStateWorkspaces(t *testing.T) {
	for _, sb := range sharedBackends {
		t.Run(sb.name, func(t *testing.T) {
			block, env := sb.place(t)
			e := newSharedDir(t, block, filepath.Join(t.TempDir(), "store.json"), env)
			e.ok("apply", "-auto-approve", "-var", "value=prod-ish", "-var", "n=2")
			r := e.ok("workspace", "new", "dev")
			mustContain(t, "workspace new", r.stdout, `Created workspace "dev".`, `Switched to workspace "dev".`)
			if r := e.ok("workspace", "show"); strings.TrimSpace(r.stdout) != "dev" {
				t.Errorf("workspace show: %q", r.stdout)
			}
			r = e.ok("plan", "-var", "n=3")
			mustContain(t, "plan in the new workspace", r.stdout, "3 to add")
			e.ok("apply", "-auto-approve", "-var", "value=dev-ish", "-var", "n=3")
			if r := e.ok("output", "where"); !strings.Contains(r.stdout, "dev:dev-ish") {
				t.Errorf("output in dev: %s", r.stdout)
			}
			dev := e.pulled()
			if got := dev.InstanceCount(); got != 3 {
				t.Errorf("dev records %d objects, want 3", got)
			}
			e.env = append(e.env, "BERTH_WORKSPACE=default")
			def := e.pulled()
			if got := def.InstanceCount(); got != 2 || def.Lineage == dev.Lineage {
				t.Errorf("default records %d objects (want 2), lineage %s (dev's %s)", got, def.Lineage, dev.Lineage)
			}
			if r := e.ok("output", "where"); !strings.Contains(r.stdout, "default:prod-ish") {
				t.Errorf("output in default: %s", r.stdout)
			}
			e.env = e.env[:len(e.env)-1]
			r = e.ok("workspace", "list")
			if r.stdout != "  default\n* dev\n" {
				t.Errorf("workspace list:\n%s", r.stdout)
			}

			// Separate locks: a slow apply in dev holds dev's lock only.
			slow := e.start("apply", "-auto-approve", "-var", "value=dev-2", "-var", "n=3", "-var", "delay_ms=3000")
			for l := range slow.lines {
				if strings.Contains(l, "Modifying...") {
					break
				}
			}
			r = e.expect(1, "plan", "-var", "value=dev-2", "-var", "n=3")
			mustContain(t, "plan in dev during the apply", r.stderr, "Error acquiring the state lock")
			e.env = append(e.env, "BERTH_WORKSPACE=default")
			e.ok("plan", "-var", "value=prod-ish", "-var", "n=2")
			e.env = e.env[:len(e.env)-1]
			if code := slow.wait(); code != 0 {
				t.Fatalf("the slow apply: exit %d\n%s%s", code, &slow.out, &slow.errb)
			}

			// A workspace that does not exist is refused, not created.
			e.env = append(e.env, "BERTH_WORKSPACE=prdo")
			r = e.expect(1, "plan")
			mustContain(t, "plan in a missing workspace", r.stderr, `The workspace "prdo" (selected by BERTH_WORKSPACE) does not exist`)
			e.env = e.env[:len(e.env)-1]

			// Deleting: not the selected one, not a non-empty one without -force.
			r = e.expect(1, "workspace", "delete", "dev")
			mustContain(t, "delete selected", r.stderr, `workspace "dev" is selected`)
			e.ok("workspace", "select", "default")
			r = e.expect(1, "workspace", "delete", "dev")
			mustContain(t, "delete non-empty", r.stderr, "its state records 3 objects")
			e.ok("workspace", "delete", "-force", "dev")
			if r := e.ok("workspace", "list"); r.stdout != "* default\n" {
				t.Errorf("workspace list after delete:\n%s", r.stdout)
			}
			if got := e.pulled().InstanceCount(); got != 2 {
				t.Errorf("default records %d objects after deleting dev, want 2", got)
			}
		})
	}
}

// TestE2ESharedStateKilledHolder: a berth killed (SIGKILL) while holding
// the lock does not block the next run, from another directory, beyond
// the backend's lease: the time it waited is logged.
func TestE2ESharedStateKilledHolder(t *testing.T) {
	for _, sb := range sharedBackends {
		t.Run(sb.name, func(t *testing.T) {
			a, b := newSharedPair(t, sb)
			// Every provider call takes a minute: berth holds the lock,
			// refreshing, when it is killed.
			holder := a.start("apply", "-auto-approve", "-lock-timeout=60s", "-var", "value=killed", "-var", "delay_ms=60000")
			b.waitLocked(holder)
			// The whole job dies: berth and its provider.
			if err := syscall.Kill(-holder.cmd.Process.Pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			holder.wait()
			start := time.Now()
			r := b.run("plan", "-lock-timeout=120s", "-var", "value=killed")
			waited := time.Since(start)
			if r.code != 0 && r.code != 2 {
				t.Fatalf("plan after the holder was killed: %s", r)
			}
			t.Logf("%s: the next run got the lock %s after the holder's SIGKILL (plan included)", sb.name, waited.Round(time.Millisecond))
			// The state is whole, and the next apply converges.
			b.ok("apply", "-auto-approve", "-var", "value=killed")
			if vals := objectValues(b.pulled()); len(vals) != 5 {
				t.Errorf("after recovery: %v", vals)
			}
		})
	}
}

// waitLocked waits until `berth state lock show` says the state is locked
// (by holder, which must still run).
func (e *e2e) waitLocked(holder *background) {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-holder.done:
			e.t.Fatalf("the lock holder ended: %s%s", &holder.out, &holder.errb)
		default:
		}
		if r := e.run("state", "lock", "show"); r.code == 0 && strings.Contains(r.stdout, "is locked by") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatal("the state never got locked")
}

// TestE2ESharedStateMigrate: a team moves its local states (two
// workspaces) to postgres: init refuses until told, -migrate-state copies
// every workspace with its lineage and serial, and the next plan finds
// nothing to do; -backend-config values given to init serve later commands.
func TestE2ESharedStateMigrate(t *testing.T) {
	block, env := postgresPlace(t)
	schema := block[strings.Index(block, `schema = "`)+len(`schema = "`):]
	schema = schema[:strings.Index(schema, `"`)]
	store := filepath.Join(t.TempDir(), "store.json")
	e := newSharedDir(t, `backend "local" {}`, store, env)
	e.ok("apply", "-auto-approve", "-var", "n=2")
	e.ok("workspace", "new", "staging")
	e.ok("apply", "-auto-approve", "-var", "n=3")
	e.ok("workspace", "select", "default")
	before := map[string]*state.State{"default": e.pulled()}
	e.env = append(e.env, "BERTH_WORKSPACE=staging")
	before["staging"] = e.pulled()
	e.env = e.env[:len(e.env)-1]

	// The configuration now names postgres, its schema left to init.
	cfg, err := os.ReadFile(filepath.Join(e.dir, "main.berth.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), `backend "local" {}`, `backend "postgres" {}`, 1))
	if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.expect(1, "plan")
	mustContain(t, "plan after the backend changed", r.stderr, "Backend initialization required")
	r = e.expect(1, "init", "-backend-config", "schema="+schema)
	mustContain(t, "init without -migrate-state", r.stderr, "Backend configuration changed", "berth init -migrate-state")
	r = e.ok("init", "-migrate-state", "-backend-config", "schema="+schema)
	mustContain(t, "init -migrate-state", r.stdout, `Copied workspace "default"`, `Copied workspace "staging"`)

	// Later commands use the recorded schema without repeating it.
	r = e.ok("workspace", "list")
	if r.stdout != "* default\n  staging\n" {
		t.Errorf("workspace list on postgres:\n%s", r.stdout)
	}
	for name, want := range before {
		e.env = append(e.env, "BERTH_WORKSPACE="+name)
		got := e.pulled()
		if got.Lineage != want.Lineage || got.Serial != want.Serial || got.InstanceCount() != want.InstanceCount() {
			t.Errorf("%s on postgres: lineage %s serial %d, %d objects; was %s %d, %d", name, got.Lineage, got.Serial, got.InstanceCount(), want.Lineage, want.Serial, want.InstanceCount())
		}
		n := fmt.Sprint(want.InstanceCount())
		e.expect(0, "plan", "-detailed-exitcode", "-var", "n="+n)
		e.env = e.env[:len(e.env)-1]
	}
	// Migrating again finds the states already there.
	r = e.ok("init", "-migrate-state", "-backend-config", "schema="+schema)
	mustContain(t, "init again", r.stdout, "- Using the postgres backend")
}
