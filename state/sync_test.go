package state_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statetest"
)

func TestSyncStateSnapshotsAreIsolated(t *testing.T) {
	ss := state.NewSyncState(statetest.Big(20))
	snap := ss.Snapshot()
	res := ss.Resource(addrs.Resource{Type: "test_object", Name: "obj0"})
	ss.RemoveInstance(statetest.Instance(t, "test_object.obj0[0]"))
	ss.SetInstance(statetest.Instance(t, "app.new"), "test", statetest.Object("new"))
	if snap.Instance(statetest.Instance(t, "test_object.obj0[0]")) == nil || len(res.Instances) != 10 {
		t.Error("a later removal changed an earlier snapshot")
	}
	if snap.Instance(statetest.Instance(t, "app.new")) != nil {
		t.Error("a later addition appeared in an earlier snapshot")
	}
	if ss.Resource(addrs.Resource{Type: "nothing", Name: "x"}) != nil {
		t.Error("Resource of a missing address is not nil")
	}
	if got := ss.Close().InstanceCount(); got != 20 {
		t.Errorf("Close: %d instances, want 20", got)
	}
}

func TestSyncStateConcurrentUse(t *testing.T) {
	ss := state.NewSyncState(state.New())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				addr := statetest.Instance(t, fmt.Sprintf("app.w%d[%d]", w, i))
				ss.SetInstance(addr, "test", statetest.Object(addr.String()))
				if ss.Instance(addr) == nil {
					t.Errorf("%s not found after SetInstance", addr)
				}
				if i%10 == 0 {
					ss.Snapshot()
					ss.SetOutput(fmt.Sprint("o", w), &state.Output{})
				}
			}
		}()
	}
	wg.Wait()
	if n := ss.Snapshot().InstanceCount(); n != 800 {
		t.Errorf("%d instances, want 800", n)
	}
}
