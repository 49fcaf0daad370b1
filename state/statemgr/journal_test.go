package statemgr

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statetest"
	"github.com/zclconf/go-cty/cty"
)

func testIntent(t *testing.T, i int, action state.IntentAction) state.Intent {
	t.Helper()
	in := state.Intent{Key: state.NewIntentKey(), Action: action, Addr: statetest.Instance(t, fmt.Sprintf("test_object.a[%d]", i)),
		Provider: "test", TypeName: "object", Time: time.Now()}
	if action == state.IntentCreate {
		in.Planned = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(fmt.Sprint(i)), "id": cty.NullVal(cty.String)})
	}
	return in
}

// Concurrent records share appends (a group commit), and every one is in
// the journal when its Record returns.
func TestJournalGroupCommit(t *testing.T) {
	b := &memBackend{}
	j := New(b).Journal()
	const n = 64
	var wg sync.WaitGroup
	keys := make([]string, n)
	for i := range n {
		in := testIntent(t, i, state.IntentCreate)
		keys[i] = in.Key
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := j.Record(context.Background(), in); err != nil {
				t.Error(err)
				return
			}
			got, err := j.Open(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			for _, g := range got {
				if g.Key == in.Key {
					return
				}
			}
			t.Errorf("intent %s not in the journal once recorded", in.Key)
		}()
	}
	wg.Wait()
	got, err := j.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("journal holds %d intents, want %d", len(got), n)
	}
	if b.appends > n {
		t.Errorf("%d appends for %d intents", b.appends, n)
	}
	t.Logf("%d intents in %d appends", n, b.appends)
	if g := got[0]; g.Planned.GetAttr("name").AsString() == "" || g.Addr.Resource.Type != "test_object" {
		t.Errorf("intent decoded as %+v", g)
	}
}

func TestJournalRecordFails(t *testing.T) {
	b := &memBackend{failAppend: fmt.Errorf("disk full")}
	j := New(b).Journal()
	if err := j.Record(context.Background(), testIntent(t, 0, state.IntentCreate)); err == nil {
		t.Fatal("Record succeeded on a failing backend")
	}
}

// The persister drops from the journal only the intents settled, keeping
// those whose outcome is unknown.
func TestPersisterSettlesJournal(t *testing.T) {
	b := &memBackend{}
	m := New(b)
	ss := state.NewSyncState(state.New())
	p := NewPersister(context.Background(), m, ss)
	ctx := context.Background()
	a, c, d := testIntent(t, 1, state.IntentCreate), testIntent(t, 2, state.IntentCreate), testIntent(t, 3, state.IntentDelete)
	for _, in := range []state.Intent{a, c, d} {
		if err := p.Intend(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	p.Settled(a.Key)
	p.Settled(d.Key)
	p.Settled("not-an-intent")
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.SettleJournal(); err != nil {
		t.Fatal(err)
	}
	got, err := m.Journal().Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != c.Key {
		t.Fatalf("journal after settling = %v, want only %s", got, c.Key)
	}
	if un := p.Unsettled(); len(un) != 1 || un[0].Key != c.Key {
		t.Errorf("Unsettled = %v", un)
	}
	p.Settled(c.Key)
	if err := p.SettleJournal(); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := b.GetJournal(ctx); found {
		t.Error("journal still exists with every intent settled")
	}
}
