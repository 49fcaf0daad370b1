package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/hashicorp/hcl/v2"
)

var errDiskFull = errors.New("no space left on device")

// failingBackend is the local state file whose Put fails when fail says
// so (given the 1-based number of the Put and the bytes): the disk fills
// up. The failing Put takes a while, as on a struggling disk.
type failingBackend struct {
	*local.Local
	fail func(n int, data []byte) bool
	// onFail runs at the first failure, before Put returns.
	onFail func()

	puts    atomic.Int32
	failing atomic.Bool // set by the first failure, before Put returns
	once    sync.Once
}

func (b *failingBackend) Put(ctx context.Context, data []byte) error {
	if b.fail(int(b.puts.Add(1)), data) {
		time.Sleep(20 * time.Millisecond)
		b.once.Do(func() {
			if b.onFail != nil {
				b.onFail()
			}
		})
		b.failing.Store(true)
		return fmt.Errorf("writing the state to %s: %w", b.Path(), errDiskFull)
	}
	return b.Local.Put(ctx, data)
}

// countingProvider counts the provider's ApplyResourceChange calls, and
// those that started once the state could no longer be written.
type countingProvider struct {
	providers.Interface
	backend       *failingBackend
	started, late *atomic.Int32
}

func (p countingProvider) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, ev func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	p.started.Add(1)
	if p.backend.failing.Load() {
		p.late.Add(1)
	}
	return p.Interface.ApplyResourceChange(ctx, req, ev)
}

// instancesIn counts the instances of a state file's bytes.
func instancesIn(t *testing.T, data []byte) int {
	st, err := statefile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return st.InstanceCount()
}

// idsOf returns the ids of the objects st records, sorted.
func idsOf(st *state.State) []string {
	var ids []string
	for _, obj := range st.AllInstances() {
		ids = append(ids, idOf(obj.Value))
	}
	slices.Sort(ids)
	return ids
}

// storeIDs returns the ids of the objects in the test provider's store,
// sorted, and checks that each is ready (its call finished: providers are
// not asked to stop when the state cannot be written) and has a name of
// its own.
func (f *fixture) storeIDs() []string {
	f.t.Helper()
	var ids []string
	names := map[string]bool{}
	for id, o := range f.store() {
		obj := o.(map[string]any)
		if obj["status"] != "ready" {
			f.t.Errorf("object %s is %v, want ready: its call did not finish", id, obj["status"])
		}
		name := obj["name"].(string)
		if names[name] {
			f.t.Errorf("object %q exists twice", name)
		}
		names[name] = true
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestApplyStopsWhenTheStateCannotBeWritten: once a write of the state
// fails, no provider call starts; the calls in flight finish; the state
// that records every object that exists goes to errored.berth.state (or,
// when no file can hold it, back to the caller to print); and once it is
// put back, the next apply creates only what is missing.
func TestApplyStopsWhenTheStateCannotBeWritten(t *testing.T) {
	const n, parallelism = 40, 4
	tests := []struct {
		name string
		// fail says which Puts fail, given the state file's instances.
		fail func(put, instances int) bool
		// noFile makes errored.berth.state impossible to write.
		noFile     bool
		unfinished bool
		stored     bool
	}{
		{name: "from the third write on", fail: func(put, _ int) bool { return put >= 3 }, unfinished: true},
		{name: "only the final write", fail: func(_, instances int) bool { return instances == n }},
		{name: "one write, then it recovers", fail: func(put, _ int) bool { return put == 3 }, unfinished: true, stored: true},
		{name: "no file can hold it", fail: func(put, _ int) bool { return put >= 3 }, noFile: true, unfinished: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fmt.Sprintf(`
resource "test_object" "o" {
  count = %d
  name  = "o${count.index}"
}
`, n))
			if err := os.WriteFile(filepath.Join(f.dir, "slow.auto.vars.hcl"), []byte("delay_ms = 100\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			p := f.plan(PlanOptions{})
			erroredPath := filepath.Join(f.dir, statemgr.ErroredStateFile)
			b := &failingBackend{Local: local.New(filepath.Join(f.dir, "berth.state")),
				fail: func(put int, data []byte) bool { return tt.fail(put, instancesIn(t, data)) }}
			if tt.noFile {
				// Something takes the errored state's name while the
				// apply runs: no file can hold the state.
				b.onFail = func() {
					if err := os.Mkdir(erroredPath, 0o755); err != nil {
						t.Error(err)
					}
				}
			}
			op := f.operation()
			op.State = statemgr.New(b)
			op.Engine.Parallelism = parallelism
			var started, late atomic.Int32
			var announced atomic.Int32
			op.Engine.Events = func(ev Event) {
				if ev.Type == EventStateWriteFailed {
					announced.Add(1)
				}
			}
			inner := op.Engine.Launcher
			op.Engine.Launcher = LauncherFunc(func(ctx context.Context, name, source string) (providers.Interface, error) {
				pr, err := inner.Launch(ctx, name, source)
				if err != nil {
					return nil, err
				}
				return countingProvider{Interface: pr, backend: b, started: &started, late: &late}, nil
			})

			st, diags := op.Apply(context.Background(), p, ApplyOptions{})
			failure := StateWriteFailureOf(diags)
			text := diagText(diags)
			if !diags.HasErrors() || failure == nil {
				t.Fatalf("the apply reported %v, want the state write failure", diags)
			}
			if failure.Unfinished != tt.unfinished || failure.Stored != tt.stored {
				t.Errorf("unfinished %v, stored %v; want %v, %v", failure.Unfinished, failure.Stored, tt.unfinished, tt.stored)
			}
			if got := announced.Load(); got != 1 {
				t.Errorf("the failed write was announced %d times, want once", got)
			}
			if got := late.Load(); got != 0 {
				t.Errorf("%d provider calls started after the state could not be written", got)
			}
			store := f.storeIDs()
			if int(started.Load()) != len(store) {
				t.Errorf("%d calls made %d objects", started.Load(), len(store))
			}
			if tt.unfinished && len(store) >= n {
				t.Errorf("all %d objects were created: the apply did not stop", len(store))
			}
			if !slices.Equal(idsOf(st), store) {
				t.Errorf("the returned state records %v, the store holds %v", idsOf(st), store)
			}
			onDisk, err := statemgr.New(local.New(b.Path())).Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d of %d objects created (%d Puts); %s holds %d", len(store), n, b.puts.Load(), b.Path(), onDisk.InstanceCount())

			var errored *state.State
			switch {
			case tt.stored:
				if !slices.Equal(idsOf(onDisk), store) {
					t.Errorf("berth.state records %v after a later good write, the store holds %v", idsOf(onDisk), store)
				}
				if _, err := os.Stat(erroredPath); err == nil {
					t.Error("an errored state was written although the state was stored")
				}
				if !strings.Contains(text, "records what exists") {
					t.Errorf("the diagnostic does not say the state is whole: %v", diags)
				}
			case tt.noFile:
				if failure.ErroredPath != "" || failure.ErroredErr == nil {
					t.Fatalf("errored state written to %q (%v), want no file", failure.ErroredPath, failure.ErroredErr)
				}
				mustContain(t, text, "printed on standard error", StateBeginLine)
				errored, err = statefile.Decode(failure.Data)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(erroredPath); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(erroredPath, failure.Data, 0o600); err != nil { // the user saves it
					t.Fatal(err)
				}
			default:
				if failure.ErroredPath != erroredPath {
					t.Fatalf("errored state written to %q (%v), want %s", failure.ErroredPath, failure.ErroredErr, erroredPath)
				}
				mustContain(t, text, "does not record every object that exists",
					fmt.Sprintf("berth state push %s && rm %s", erroredPath, erroredPath))
				if strings.Contains(text, "the state records what was done") {
					t.Errorf("the diagnostic claims the state is whole: %v", diags)
				}
				data, err := os.ReadFile(erroredPath)
				if err != nil {
					t.Fatal(err)
				}
				if errored, err = statefile.Decode(data); err != nil {
					t.Fatal(err)
				}
			}
			if errored != nil {
				if !slices.Equal(idsOf(errored), store) {
					t.Errorf("the errored state records %v, the store holds %v", idsOf(errored), store)
				}
				if onDisk.InstanceCount() >= len(store) {
					t.Errorf("berth.state records %d objects, the store %d: the failure was not simulated", onDisk.InstanceCount(), len(store))
				}
				// Until it is put back, plan (which would recover the
				// intents the errored state may record) and apply refuse.
				_, _, d := f.operation().Plan(context.Background(), PlanOptions{})
				if !d.HasErrors() || !strings.Contains(diagText(d), "An errored state is waiting to be put back") {
					t.Fatalf("plan with an errored state waiting: %v", d)
				}
				if got := len(f.storeIDs()); got != len(store) {
					t.Fatalf("the refused apply created %d objects", got-len(store))
				}
				// Put back as the message says.
				data, err := os.ReadFile(erroredPath)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(b.Path(), data, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(erroredPath); err != nil {
					t.Fatal(err)
				}
			}

			// The next apply creates only what is missing.
			again := f.plan(PlanOptions{})
			if got, want := again.Summarize().Add, n-len(store); got != want {
				t.Errorf("the next plan adds %d, want %d", got, want)
			}
			final := f.apply(again)
			if store := f.storeIDs(); len(store) != n || !slices.Equal(idsOf(final), store) {
				t.Errorf("after the next apply: %d objects, state %v, store %v", len(store), idsOf(final), store)
			}
		})
	}
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%q does not contain %q", got, w)
		}
	}
}

// TestStateWriteFailsBeforeTheWalk: a disk full before the apply refuses
// it before any change; one that fills while the drift refresh found is
// recorded, before the walk, stops it before any change too, and the
// errored state keeps the drift.
func TestStateWriteFailsBeforeTheWalk(t *testing.T) {
	for _, fullFrom := range []int{1, 2} {
		t.Run(fmt.Sprintf("from Put %d", fullFrom), func(t *testing.T) {
			f := newFixture(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
`)
			f.apply(f.plan(PlanOptions{}))
			f.write(`
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
resource "test_object" "b" {
  count = 3
  name  = "b${count.index}"
}
`)
			// a drifts: the apply records the drift before the walk.
			storePath := filepath.Join(f.dir, "store.json")
			raw, err := os.ReadFile(storePath)
			if err != nil {
				t.Fatal(err)
			}
			var store map[string]any
			if err := json.Unmarshal(raw, &store); err != nil {
				t.Fatal(err)
			}
			for _, o := range store["objects"].(map[string]any) {
				o.(map[string]any)["value"] = "drifted"
			}
			if raw, err = json.Marshal(store); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(storePath, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			p := f.plan(PlanOptions{})
			if len(p.Drift) != 1 {
				t.Fatalf("%d drifted objects, want 1", len(p.Drift))
			}
			before, err := os.ReadFile(filepath.Join(f.dir, "berth.state"))
			if err != nil {
				t.Fatal(err)
			}
			b := &failingBackend{Local: local.New(filepath.Join(f.dir, "berth.state")), fail: func(put int, _ []byte) bool { return put >= fullFrom }}
			op := f.operation()
			op.State = statemgr.New(b)
			// The provider starts once that write failed, as on a slow disk.
			inner := op.Engine.Launcher
			op.Engine.Launcher = LauncherFunc(func(ctx context.Context, name, source string) (providers.Interface, error) {
				for !b.failing.Load() {
					time.Sleep(time.Millisecond)
				}
				return inner.Launch(ctx, name, source)
			})
			_, diags := op.Apply(context.Background(), p, ApplyOptions{})
			if got := len(f.store()); got != 1 {
				t.Errorf("%d objects exist, want only the first one", got)
			}
			if !diags.HasErrors() {
				t.Fatal("the apply succeeded")
			}
			failure := StateWriteFailureOf(diags)
			if fullFrom == 1 {
				// Refused: nothing changed, nothing to put back.
				if failure != nil || !strings.Contains(diagText(diags), "Nothing was changed") {
					t.Errorf("a full disk before the apply: %v", diags)
				}
				if _, err := os.Stat(filepath.Join(f.dir, statemgr.ErroredStateFile)); err == nil {
					t.Error("an errored state was written")
				}
				if now, _ := os.ReadFile(filepath.Join(f.dir, "berth.state")); string(now) != string(before) {
					t.Error("the state changed")
				}
				return
			}
			if failure == nil || !failure.Unfinished || failure.ErroredPath == "" {
				t.Fatalf("apply: %v (%+v)", diags, failure)
			}
			data, err := os.ReadFile(failure.ErroredPath)
			if err != nil {
				t.Fatal(err)
			}
			errored, err := statefile.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if v := errored.Instance(mustInstance(t, "test_object.a")).Value.GetAttr("value").AsString(); v != "drifted" {
				t.Errorf("the errored state holds value %q, want the drift recorded", v)
			}
			for _, d := range diags {
				if d.Severity == hcl.DiagError && strings.Contains(d.Summary, "Internal error") {
					t.Errorf("unexpected %s: %s", d.Summary, d.Detail)
				}
			}
		})
	}
}
