package statefile

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statetest"
	"github.com/zclconf/go-cty/cty"
)

func TestJournalRoundTrip(t *testing.T) {
	planned := cty.ObjectVal(map[string]cty.Value{
		"name":   cty.StringVal("a"),
		"secret": cty.StringVal("s3cr3t").Mark("sensitive"),
		"id":     cty.NullVal(cty.String),
	})
	in := []state.Intent{
		{Key: "k1", Action: state.IntentCreate, Addr: statetest.Instance(t, `test_object.a["x"]`), Provider: "test", TypeName: "object", Planned: planned, Time: time.Unix(100, 0).UTC()},
		{Key: "k2", Action: state.IntentDelete, Addr: statetest.Instance(t, `test_object.b[1]`), Deposed: "0a0b0c0d", Provider: "test", TypeName: "object", Time: time.Unix(200, 0).UTC()},
	}
	var data []byte
	for _, i := range in {
		line, err := EncodeIntent(i)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, line...)
	}
	// A kill in the middle of an append leaves a torn last line: its
	// operation never started.
	torn, _ := EncodeIntent(state.Intent{Key: "k3", Action: state.IntentCreate, Addr: in[0].Addr})
	data = append(data, torn[:len(torn)/2]...)

	got, err := DecodeJournal(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("decoded %d intents, want 2", len(got))
	}
	for i := range got {
		g, w := got[i], in[i]
		if g.Key != w.Key || g.Action != w.Action || g.Addr != w.Addr || g.Deposed != w.Deposed || g.Provider != w.Provider || g.TypeName != w.TypeName || !g.Time.Equal(w.Time) {
			t.Errorf("intent %d = %+v, want %+v", i, g, w)
		}
	}
	if !got[0].Planned.GetAttr("secret").RawEquals(cty.StringVal("s3cr3t")) || !got[0].Planned.GetAttr("id").IsNull() {
		t.Errorf("planned = %#v", got[0].Planned)
	}
	if got[1].Planned != cty.NilVal {
		t.Errorf("a destroy's planned = %#v, want none", got[1].Planned)
	}
}

func TestJournalCorrupt(t *testing.T) {
	good, _ := EncodeIntent(state.Intent{Key: "k1", Action: state.IntentCreate, Addr: statetest.Instance(t, "test_object.a")})
	for name, data := range map[string]string{
		"garbage":        string(good) + "{not json\n" + string(good),
		"unknown action": `{"key":"k","action":"explode","address":"test_object.a"}` + "\n",
		"no key":         `{"action":"create","address":"test_object.a"}` + "\n",
		"bad address":    `{"key":"k","action":"create","address":"test_object"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeJournal([]byte(data))
			if err == nil {
				t.Fatal("decoded a corrupt journal")
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("error %q does not name the line", err)
			}
		})
	}
}
