package statefile

import (
	"testing"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statetest"
	"github.com/zclconf/go-cty/cty"
)

// TestSnapshotBodyReusesEncodings: snapshot bodies reuse the encodings of
// unchanged objects and re-encode replaced ones; assembled, they are what
// Encode makes of the same state. Body caches nothing.
func TestSnapshotBodyReusesEncodings(t *testing.T) {
	var e Encoder
	ss := state.NewSyncState(statetest.Big(50))
	encode := func() *state.State {
		t.Helper()
		snap := ss.Snapshot()
		body, err := e.SnapshotBody(snap, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Encode(snap)
		if err != nil {
			t.Fatal(err)
		}
		if got := Assemble(snap.Serial, snap.Lineage, body); string(got) != string(want) {
			t.Fatalf("the file differs from Encode of the same state:\n%s\nwant:\n%s", got, want)
		}
		if string(BodyOf(want)) != string(body) {
			t.Fatal("BodyOf the file is not the body it was assembled from")
		}
		return snap
	}
	snap := encode()
	if len(e.frags.cur) != 50 {
		t.Fatalf("%d encodings cached, want 50", len(e.frags.cur))
	}
	// Replace one object, remove another, move a third: the replaced one
	// is re-encoded, the removed one's encoding is dropped.
	a := statetest.Instance(t, "test_object.obj0[0]")
	old := snap.Instance(a)
	nobj := *old
	nobj.Value = cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("changed")})
	ss.SetInstance(a, "test", &nobj)
	gone := snap.Instance(statetest.Instance(t, "test_object.obj0[1]"))
	ss.RemoveInstance(statetest.Instance(t, "test_object.obj0[1]"))
	moved := snap.Instance(statetest.Instance(t, "test_object.obj0[2]"))
	ss.RemoveInstance(statetest.Instance(t, "test_object.obj0[2]"))
	ss.SetInstance(statetest.Instance(t, `test_object.obj0["two"]`), "test", moved)
	encode()
	if _, ok := e.frags.cur[old]; ok {
		t.Error("the replaced object's encoding is still cached")
	}
	if _, ok := e.frags.cur[gone]; ok {
		t.Error("the removed object's encoding is still cached")
	}
	if len(e.frags.cur) != 49 {
		t.Errorf("%d encodings cached, want 49", len(e.frags.cur))
	}

	// A state that is not a snapshot is encoded afresh: its owner may
	// modify its objects in place.
	var plain Encoder
	if _, err := plain.Body(ss.Snapshot(), 0); err != nil {
		t.Fatal(err)
	}
	if len(plain.frags.cur) != 0 {
		t.Errorf("%d encodings cached by Body", len(plain.frags.cur))
	}
}

func TestBodyOfForeignLayout(t *testing.T) {
	if b := BodyOf([]byte(`{"format_version":1,"serial":1,"lineage":"x","resources":[],"outputs":{}}`)); b != nil {
		t.Errorf("BodyOf a file laid out otherwise = %q, want nil", b)
	}
}
