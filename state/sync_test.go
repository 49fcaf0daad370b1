package state

import (
	"fmt"
	"sync"
	"testing"

	"github.com/berth-sh/berth/addrs"
)

func TestSyncStateSnapshotsAreIsolated(t *testing.T) {
	ss := NewSyncState(bigState(20))
	snap := ss.Snapshot()
	res := ss.Resource(addrs.Resource{Type: "test_object", Name: "obj0"})
	ss.RemoveInstance(mustInstance(t, "test_object.obj0[0]"))
	setIDSync(t, ss, "app.new")
	if snap.Instance(mustInstance(t, "test_object.obj0[0]")) == nil || len(res.Instances) != 10 {
		t.Error("a later removal changed an earlier snapshot")
	}
	if snap.Instance(mustInstance(t, "app.new")) != nil {
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
	ss := NewSyncState(New())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				addr := mustInstance(t, fmt.Sprintf("app.w%d[%d]", w, i))
				setIDSync(t, ss, addr.String())
				if ss.Instance(addr) == nil {
					t.Errorf("%s not found after SetInstance", addr)
				}
				if i%10 == 0 {
					ss.Snapshot()
					ss.SetOutput(fmt.Sprint("o", w), &Output{})
				}
			}
		}()
	}
	wg.Wait()
	if n := ss.Snapshot().InstanceCount(); n != 800 {
		t.Errorf("%d instances, want 800", n)
	}
}
