package statefile

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statetest"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func BenchmarkEncode10k(b *testing.B) {
	s := statetest.Big(10000)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		data, err := Encode(s)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "bytes/file")
}

func BenchmarkDecode10k(b *testing.B) {
	data, err := Encode(statetest.Big(10000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	nested := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("web\n\"quoted\" \u00e9 \x01"),
		"containers": cty.ListVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{
				"image": cty.StringVal("harbor/web@sha256:abc"),
				"env":   cty.MapVal(map[string]cty.Value{"A": cty.StringVal("1"), "TOKEN": cty.StringVal("s3cret").Mark(state.SensitiveMark)}),
				"ports": cty.SetVal([]cty.Value{cty.NumberIntVal(80), cty.NumberIntVal(443)}),
			}),
		}),
		"ratio":    cty.NumberFloatVal(0.25),
		"big":      cty.MustParseNumberVal("123456789012345678901234567890"),
		"tuple":    cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1), cty.True}),
		"empty":    cty.ListValEmpty(cty.String),
		"nothing":  cty.NullVal(cty.Map(cty.String)),
		"dyn":      cty.NullVal(cty.DynamicPseudoType),
		"password": cty.StringVal("hunter2").Mark(state.SensitiveMark),
		"tags":     cty.SetVal([]cty.Value{cty.StringVal("x")}),
	})
	plain := cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("i-1"), "key": cty.StringVal("k")})
	s := state.New()
	s.Serial = 7
	s.SetInstance(statetest.Instance(t, "app.web[0]"), "docker", &state.Object{
		Value: nested, SchemaVersion: 3, Private: []byte{0, 1, 2, 255},
		Dependencies: []addrs.Resource{{Type: "load_balancer", Name: "web"}, {Mode: addrs.Data, Type: "x", Name: "y"}},
	})
	s.SetInstance(statetest.Instance(t, `app.web["eu"]`), "docker", &state.Object{Value: plain, Status: state.ObjectTainted})
	s.SetInstance(statetest.Instance(t, "acmedns_record.www"), "acmedns", &state.Object{
		Value:          plain,
		SensitivePaths: []cty.Path{cty.GetAttrPath("key")}, // recorded without a mark
	})
	s.SetInstance(statetest.Instance(t, "data.x.y"), "x", &state.Object{Value: cty.EmptyObjectVal})
	s.SetOutput("url", &state.Output{Value: cty.StringVal("http://x")})
	s.SetOutput("secret", &state.Output{Value: cty.StringVal("pw"), Sensitive: true})
	s.SetOutput("list", &state.Output{Value: cty.ListVal([]cty.Value{cty.StringVal("a").Mark(state.SensitiveMark)})})

	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, data)
	}
	if got.Serial != 7 || got.Lineage != s.Lineage || got.FormatVersion != state.FormatVersion {
		t.Errorf("header = %d %q %d", got.Serial, got.Lineage, got.FormatVersion)
	}
	if got.InstanceCount() != 4 {
		t.Fatalf("InstanceCount = %d, want 4", got.InstanceCount())
	}
	for addr, want := range s.AllInstances() {
		o := got.Instance(addr)
		if o == nil {
			t.Fatalf("%s missing after the round trip", addr)
		}
		wantVal := want.Value
		if len(want.SensitivePaths) > 0 {
			pvm := []cty.PathValueMarks{}
			for _, p := range want.SensitivePaths {
				pvm = append(pvm, cty.PathValueMarks{Path: p, Marks: cty.NewValueMarks(state.SensitiveMark)})
			}
			wantVal = wantVal.MarkWithPaths(pvm)
		}
		if !o.Value.RawEquals(wantVal) {
			t.Errorf("%s: value = %#v\nwant %#v", addr, o.Value, wantVal)
		}
		if o.SchemaVersion != want.SchemaVersion || o.Status != want.Status || !bytes.Equal(o.Private, want.Private) {
			t.Errorf("%s: object = %+v, want %+v", addr, o, want)
		}
		if fmt.Sprint(o.Dependencies) != fmt.Sprint(want.Dependencies) {
			t.Errorf("%s: dependencies = %v, want %v", addr, o.Dependencies, want.Dependencies)
		}
		if got.Resources[addr.Resource].Provider != s.Resources[addr.Resource].Provider {
			t.Errorf("%s: provider = %q", addr, got.Resources[addr.Resource].Provider)
		}
	}
	web := got.Instance(statetest.Instance(t, "app.web[0]"))
	if len(web.SensitivePaths) != 2 {
		t.Errorf("app.web[0] sensitive paths = %#v, want env.TOKEN and password", web.SensitivePaths)
	}
	for name, want := range map[string]bool{"url": false, "secret": true, "list": true} {
		o := got.Outputs[name]
		if o == nil || o.Sensitive != want || o.Value.HasMark(state.SensitiveMark) != want {
			t.Errorf("output %s = %#v, want sensitive %v", name, o, want)
		}
	}
	// The same state always encodes to the same bytes.
	again, err := Encode(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Errorf("re-encoding differs:\n%s\n---\n%s", data, again)
	}
	if !strings.Contains(string(data), `"index_key": "eu"`) || !strings.Contains(string(data), `"status": "tainted"`) {
		t.Errorf("file lacks the expected fields:\n%s", data)
	}
}

// TestValueCodecMatchesCtyJSON checks that attributes are exactly what
// cty/json writes and reads, so other tools can decode them.
func TestValueCodecMatchesCtyJSON(t *testing.T) {
	vals := []cty.Value{
		cty.StringVal("a<b>&\u2028\t"),
		cty.NumberIntVal(-42),
		cty.NumberFloatVal(1.5e-7),
		cty.MustParseNumberVal("1e40"),
		cty.ObjectVal(map[string]cty.Value{"b": cty.True, "a": cty.NullVal(cty.String), "d": cty.NullVal(cty.DynamicPseudoType)}),
		cty.MapVal(map[string]cty.Value{"z": cty.NumberIntVal(1), "a": cty.NumberIntVal(2)}),
		cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")}),
		cty.TupleVal([]cty.Value{cty.EmptyObjectVal, cty.EmptyTupleVal, cty.ListValEmpty(cty.Bool)}),
	}
	for _, v := range vals {
		t.Run(v.GoString(), func(t *testing.T) {
			var e valueEncoder
			ours, err := e.marshal(nil, v, v.Type())
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ours, theirs) {
				t.Errorf("encoding = %s, cty/json = %s", ours, theirs)
			}
			back, err := unmarshalValue(theirs, v.Type(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !back.RawEquals(v) && !back.Equals(v).True() {
				t.Errorf("decoded %#v, want %#v", back, v)
			}
		})
	}
}

func TestEncodeRefusesUnknown(t *testing.T) {
	s := state.New()
	s.SetInstance(statetest.Instance(t, "app.web"), "docker", &state.Object{
		Value: cty.ObjectVal(map[string]cty.Value{"id": cty.UnknownVal(cty.String)}),
	})
	_, err := Encode(s)
	if err == nil || !strings.Contains(err.Error(), "app.web") || !strings.Contains(err.Error(), "not known") {
		t.Fatalf("Encode error = %v, want one naming app.web and the unknown value", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := Encode(statetest.Big(3))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want string
	}{
		{"truncated", string(good[:len(good)/2]), "truncated"},
		{"syntax", strings.Replace(string(good), `"resources": [`, `"resources": [}`, 1), "invalid JSON at byte offset"},
		{"newer format", `{"format_version": 2, "lineage": "x", "resources": {"new": "layout"}}`, "unsupported format_version 2"},
		{"not a state", `{"hello": "world"}`, "format_version is missing"},
		{"no lineage", `{"format_version": 1, "serial": 1, "resources": []}`, "lineage is missing"},
		{"wrong type", `{"format_version": 1, "lineage": "x", "serial": "one"}`, "serial"},
		{"bad attributes", strings.Replace(string(good), `"replicas":0`, `"replicas":"x"`, 1), "test_object.obj0[0]: attributes"},
		{"trailing garbage in a value", strings.Replace(string(good), `"replicas":0`, `"replicas":0abc`, 1), "attributes: invalid JSON at byte offset"},
		{"bad kind", strings.Replace(string(good), `"kind": "resource"`, `"kind": "app"`, 1), "kind"},
		{"duplicate", `{"format_version": 1, "lineage": "x", "resources": [{"mode":"managed","type":"a","name":"b","instances":[]},{"mode":"managed","type":"a","name":"b","instances":[]}]}`, "a.b is recorded twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestDecodeHeader: the header is read from the first members when berth
// wrote the file, wherever they are otherwise, and only as far as needed.
func TestDecodeHeader(t *testing.T) {
	big := statetest.Big(3)
	big.Serial = 7
	good, err := Encode(big)
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Lineage: big.Lineage, Serial: 7}
	tests := []struct {
		name string
		data string
		want Header
		err  string
	}{
		{"as berth writes it", string(good), want, ""},
		{"truncated after the header", string(good[:len(good)/2]), want, ""},
		{"members in another order", `{"resources": [{"x": "]}"}], "serial": 3, "outputs": {}, "lineage": "abc", "format_version": 1}`, Header{Lineage: "abc", Serial: 3}, ""},
		{"no serial", `{"format_version": 1, "lineage": "abc", "resources": []}`, Header{Lineage: "abc"}, ""},
		{"empty", "", Header{}, "empty"},
		{"not an object", "[]", Header{}, "a JSON object is required"},
		{"not a state", `{"hello": "world"}`, Header{}, "format_version is missing"},
		{"newer format", `{"format_version": 2, "lineage": "x"}`, Header{}, "unsupported format_version 2"},
		{"no lineage", `{"format_version": 1, "serial": 1, "resources": []}`, Header{}, "lineage is missing"},
		{"truncated in the header", string(good[:40]), Header{}, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := DecodeHeader([]byte(tt.data))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("DecodeHeader = %+v, %v; want an error containing %q", h, err, tt.err)
				}
				return
			}
			if err != nil || h != tt.want {
				t.Fatalf("DecodeHeader = %+v, %v; want %+v", h, err, tt.want)
			}
		})
	}
}

// TestDecodeAnyFieldOrder reads a file laid out differently from what
// Encode writes (type before attributes, sensitive paths first, unknown
// members, whitespace), as another tool or a later berth might write it.
func TestDecodeAnyFieldOrder(t *testing.T) {
	data := `
	{ "lineage" : "abc", "future_field": {"x": [1, 2, {"y": null}]},
	  "resources": [ {
	    "instances": [ {
	      "sensitive_paths": [ [ {"type": "get_attr", "value": "tags"}, {"type": "index", "value": "b"} ] ],
	      "attributes_type": ["object", {"tags": ["map", "string"], "n": "number"}],
	      "attributes": {"tags": {"a": "1", "b": "caf\u00e9"}, "n": 1.5e3},
	      "index_key": "k", "private": null, "dependencies": null
	    } ],
	    "name": "www", "type": "acmedns_record", "mode": "managed", "provider": "acmedns"
	  } ],
	  "format_version": 1, "serial": 12
	}`
	s, err := Decode([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	o := s.Instance(statetest.Instance(t, `acmedns_record.www["k"]`))
	if o == nil || s.Serial != 12 {
		t.Fatalf("state = %+v", s)
	}
	want := cty.ObjectVal(map[string]cty.Value{
		"tags": cty.MapVal(map[string]cty.Value{"a": cty.StringVal("1"), "b": cty.StringVal("café").Mark(state.SensitiveMark)}),
		"n":    cty.NumberIntVal(1500),
	})
	if !o.Value.RawEquals(want) {
		t.Errorf("value = %#v, want %#v", o.Value, want)
	}
}

// TestDecodeEveryTruncation feeds every prefix of a state file to Decode:
// none may panic or be accepted.
func TestDecodeEveryTruncation(t *testing.T) {
	s := statetest.Big(2)
	s.SetOutput("o", &state.Output{Value: cty.ListVal([]cty.Value{cty.StringVal("x")}), Sensitive: true})
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	trimmed := bytes.TrimRight(data, "\n")
	for i := range len(trimmed) {
		if _, err := Decode(data[:i]); err == nil {
			t.Fatalf("Decode accepted a file truncated to %d of %d bytes", i, len(data))
		}
	}
}

func FuzzDecode(f *testing.F) {
	data, err := Encode(statetest.Big(2))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"format_version": 1, "lineage": "x", "resources": [], "outputs": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		// What decodes must encode and decode to the same.
		again, err := Encode(s)
		if err != nil {
			return // e.g. values cty accepts on read but not on write
		}
		if _, err := Decode(again); err != nil {
			t.Fatalf("re-decoding failed: %v", err)
		}
	})
}

// otherSensitive stands for another layer's own "sensitive" mark constant.
type otherSensitive string

func TestForeignSensitiveMarkRecorded(t *testing.T) {
	s := state.New()
	a := statetest.Instance(t, "app.web")
	s.SetInstance(a, "docker", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{
		"password": cty.StringVal("pw").Mark(otherSensitive("sensitive")),
		"note":     cty.StringVal("n").Mark(otherSensitive("something else")),
	})})
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	o := got.Instance(a)
	if len(o.SensitivePaths) != 1 || !o.SensitivePaths[0].Equals(cty.GetAttrPath("password")) {
		t.Fatalf("sensitive paths = %#v, want password only", o.SensitivePaths)
	}
	if !o.Value.GetAttr("password").HasMark(state.SensitiveMark) || o.Value.GetAttr("note").IsMarked() {
		t.Errorf("value = %#v", o.Value)
	}
}

// Deposed objects survive the round trip, with their address, key and
// provider; a state without them encodes without the member.
func TestDeposedRoundTrip(t *testing.T) {
	s := state.New()
	plain := cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("o-1"), "secret": cty.StringVal("pw").Mark(state.SensitiveMark)})
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", &state.Object{Value: plain})
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "deposed") {
		t.Errorf("a state without deposed objects mentions them:\n%s", data)
	}
	s.AddDeposed(&state.Deposed{Addr: statetest.Instance(t, `test_object.b["x"]`), Key: "bbbb0000", Provider: "test", Object: &state.Object{Value: plain, Private: []byte("p")}})
	s.AddDeposed(&state.Deposed{Addr: statetest.Instance(t, "test_object.a"), Key: "aaaa0000", Provider: "test", Object: &state.Object{Value: plain}})
	if data, err = Encode(s); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, data)
	}
	if len(got.Deposed) != 2 {
		t.Fatalf("%d deposed objects after the round trip, want 2:\n%s", len(got.Deposed), data)
	}
	d := got.Deposed[0]
	if d.Addr.String() != "test_object.a" || d.Key != "aaaa0000" || d.Provider != "test" || !d.Object.Value.GetAttr("secret").HasMark(state.SensitiveMark) {
		t.Errorf("first deposed object %+v", d)
	}
	if d := got.Deposed[1]; d.Addr.String() != `test_object.b["x"]` || string(d.Object.Private) != "p" {
		t.Errorf("second deposed object %+v", d)
	}
	if again, _ := Encode(got); !bytes.Equal(again, data) {
		t.Errorf("re-encoding differs:\n%s\n---\n%s", data, again)
	}
	got.RemoveDeposed(statetest.Instance(t, "test_object.a"), "aaaa0000")
	if len(got.Deposed) != 1 || got.Deposed[0].Key != "bbbb0000" {
		t.Errorf("after RemoveDeposed: %+v", got.Deposed)
	}
}

func TestCreateKeyRoundTrip(t *testing.T) {
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.a"), "test", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("1")}), CreateKey: "abc123"})
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if k := got.Instance(statetest.Instance(t, "test_object.a")).CreateKey; k != "abc123" {
		t.Errorf("create key = %q after a round trip", k)
	}
}

func TestCanaryRoundTrip(t *testing.T) {
	started := time.Date(2026, 12, 3, 15, 4, 5, 0, time.UTC)
	want := &state.Canary{Instances: []string{"web-0", "web-1"}, Weight: 10, ImageDigest: "sha256:abc", ConfigHash: "h1", Started: started}
	s := state.New()
	s.SetInstance(statetest.Instance(t, "app.web"), "docker", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("1")}), Canary: want})
	s.SetInstance(statetest.Instance(t, "app.api"), "docker", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("2")})})
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Instance(statetest.Instance(t, "app.web")).Canary; !reflect.DeepEqual(c, want) {
		t.Errorf("canary = %+v after a round trip, want %+v", c, want)
	}
	if c := got.Instance(statetest.Instance(t, "app.api")).Canary; c != nil {
		t.Errorf("an object without a canary decoded with %+v", c)
	}
}
