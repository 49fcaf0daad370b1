package s3

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/state/statetest"
)

// TestWorkspaces: dev and prod keep separate states and separate locks,
// at Terraform's keys; the listing finds them; deleting one removes its
// state, journal and lock objects and nothing of the others.
func TestWorkspaces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testConfig(t)
	ws, err := NewWorkspaces(c)
	if err != nil {
		t.Fatal(err)
	}
	if names, err := ws.Workspaces(ctx); err != nil || !slices.Equal(names, []string{"default"}) {
		t.Fatalf("a fresh bucket's workspaces: %q, %v", names, err)
	}
	managers := map[string]*statemgr.Manager{}
	for _, name := range []string{"default", "dev", "prod"} {
		b, err := ws.Workspace(name)
		if err != nil {
			t.Fatal(err)
		}
		m := statemgr.New(b)
		if _, err := m.Read(ctx); err != nil {
			t.Fatal(err)
		}
		s := state.New()
		s.SetInstance(statetest.Instance(t, "test_object."+name), "test", statetest.Object(name))
		if err := m.Write(ctx, s); err != nil {
			t.Fatal(err)
		}
		managers[name] = m
	}
	// Each workspace's lock is its own: all three are taken at once.
	for name, m := range managers {
		id, err := m.Lock(ctx, statemgr.NewLockInfo("apply"), 0)
		if err != nil {
			t.Fatalf("locking %s while the others are locked: %v", name, err)
		}
		defer m.Unlock(ctx, id)
		in := state.Intent{Key: state.NewIntentKey(), Action: state.IntentCreate, Addr: statetest.Instance(t, "test_object."+name),
			Provider: "test", TypeName: "object", Time: time.Now(),
			Planned: cty.ObjectVal(map[string]cty.Value{"id": cty.NullVal(cty.String)})}
		if err := m.Journal().Record(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var le *backend.LockError
	if _, err := statemgr.New(openTest(t, c, "dev")).Lock(ctx, statemgr.NewLockInfo("apply"), 0); !errors.As(err, &le) {
		t.Errorf("dev again: %v", err)
	}
	for name := range managers {
		s, err := statemgr.New(openTest(t, c, name)).Read(ctx)
		if err != nil || s == nil || s.InstanceCount() != 1 || s.Instance(statetest.Instance(t, "test_object."+name)) == nil {
			t.Errorf("workspace %s's state: %v, %v", name, s, err)
		}
	}
	if names, err := ws.Workspaces(ctx); err != nil || !slices.Equal(names, []string{"default", "dev", "prod"}) {
		t.Errorf("workspaces: %q, %v", names, err)
	}
	for _, key := range []string{"env:/dev/berth.state", "env:/dev/berth.state.lock", "env:/dev/berth.state.journal/00000000000000000001", "berth.state.lock"} {
		if !slices.Contains(bucketKeys(t, c), key) {
			t.Errorf("no object %s in %q", key, bucketKeys(t, c))
		}
	}

	if err := ws.DeleteWorkspace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	for _, k := range bucketKeys(t, c) {
		if strings.HasPrefix(k, "env:/dev/") {
			t.Errorf("deleting dev left %s", k)
		}
	}
	if names, err := ws.Workspaces(ctx); err != nil || !slices.Equal(names, []string{"default", "prod"}) {
		t.Errorf("workspaces after deleting dev: %q, %v", names, err)
	}
	if s, err := statemgr.New(openTest(t, c, "prod")).Read(ctx); err != nil || s == nil {
		t.Errorf("prod after deleting dev: %v, %v", s, err)
	}
	if err := ws.DeleteWorkspace(ctx, "dev"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("deleting dev again: %v", err)
	}
	if err := ws.DeleteWorkspace(ctx, backend.DefaultWorkspace); err == nil {
		t.Error("the default workspace was deleted")
	}
	if _, err := ws.Workspace("../x"); err == nil {
		t.Error("a workspace named ../x was opened")
	}
}
