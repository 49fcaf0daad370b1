package statemgr

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statetest"
)

// TestMigration: every workspace is copied with its lineage and serial;
// running it again changes nothing; a state of another lineage at the
// destination, a newer one (without Overwrite) and unsettled intents at
// the source are refused, leaving the destination as it was.
func TestMigration(t *testing.T) {
	ctx := t.Context()
	from := local.NewWorkspaces(filepath.Join(t.TempDir(), "berth.state"))
	to := local.NewWorkspaces(filepath.Join(t.TempDir(), "moved.state"))
	put := func(ws backend.Workspaces, name string, s *state.State) {
		t.Helper()
		b, err := ws.Workspace(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := New(b).Write(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	read := func(ws backend.Workspaces, name string) *state.State {
		t.Helper()
		b, _ := ws.Workspace(name)
		s, err := New(b).Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	def, dev := statetest.Big(3), statetest.Big(5)
	dev.Serial = 7
	put(from, backend.DefaultWorkspace, def)
	put(from, "dev", dev)

	g := &Migration{From: from, To: to}
	done, err := g.Run(ctx)
	if err != nil || len(done) != 2 || done[0].Outcome != "copied" || done[1].Outcome != "copied" {
		t.Fatalf("Run = %+v, %v", done, err)
	}
	for name, want := range map[string]*state.State{"default": def, "dev": dev} {
		got := read(to, name)
		if got == nil || got.Lineage != want.Lineage || got.Serial != want.Serial || got.InstanceCount() != want.InstanceCount() {
			t.Errorf("%s moved: %+v, want lineage %s serial %d", name, got, want.Lineage, want.Serial)
		}
	}
	if done, err := g.Run(ctx); err != nil || done[0].Outcome != "unchanged" || done[1].Outcome != "unchanged" {
		t.Errorf("again: %+v, %v", done, err)
	}

	// A newer state of the lineage at the destination: refused, then
	// replaced with Overwrite.
	newer := read(to, "dev")
	newer.Serial = 20
	newer.SetInstance(statetest.Instance(t, "test_thing.extra"), "test", statetest.Object("x"))
	put(to, "dev", newer)
	if _, err := g.Run(ctx); err == nil || !strings.Contains(err.Error(), "newer state") {
		t.Errorf("over a newer state: %v", err)
	}
	g.Overwrite = true
	if _, err := g.Run(ctx); err != nil {
		t.Errorf("with Overwrite: %v", err)
	}
	g.Overwrite = false

	// Another history at the destination: always refused.
	other := local.NewWorkspaces(filepath.Join(t.TempDir(), "other.state"))
	put(other, "dev", statetest.Big(1))
	if _, err := (&Migration{From: from, To: other, Overwrite: true}).Run(ctx); err == nil || !strings.Contains(err.Error(), "another lineage") {
		t.Errorf("over another lineage: %v", err)
	}
	if got := read(other, "dev"); got.InstanceCount() != 1 {
		t.Errorf("the other lineage's state was changed: %d objects", got.InstanceCount())
	}

	// Unsettled intents at the source: refused.
	b, _ := from.Workspace(backend.DefaultWorkspace)
	if err := New(b).Journal().Record(ctx, testIntent(t, 0, state.IntentCreate)); err != nil {
		t.Fatal(err)
	}
	fresh := local.NewWorkspaces(filepath.Join(t.TempDir(), "fresh.state"))
	if _, err := (&Migration{From: from, To: fresh}).Run(ctx); err == nil || !strings.Contains(err.Error(), "unsettled intents") {
		t.Errorf("with unsettled intents: %v", err)
	}
	if got := read(fresh, backend.DefaultWorkspace); got != nil {
		t.Errorf("copied despite unsettled intents")
	}
}
