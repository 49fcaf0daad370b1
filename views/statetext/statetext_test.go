package statetext

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/views/jsondoc"
	"github.com/zclconf/go-cty/cty"
)

const secret = "hunter2-s3cr3t"

// fixture is a state with objects (one tainted, one wholly sensitive)
// and outputs of every shape.
func fixture(t *testing.T) *state.State {
	t.Helper()
	st := state.New()
	set := func(addr string, obj *state.Object) {
		a, err := addrs.ParseInstance(addr)
		if err != nil {
			t.Fatal(err)
		}
		st.SetInstance(a, "test", obj)
	}
	set("app.web", &state.Object{Status: state.ObjectTainted, Value: cty.ObjectVal(map[string]cty.Value{
		"id":       cty.StringVal("web"),
		"env":      cty.MapVal(map[string]cty.Value{"LOG_LEVEL": cty.StringVal("info")}),
		"password": cty.StringVal(secret).Mark(state.SensitiveMark),
		"note":     cty.NullVal(cty.String),
	})})
	set("test_object.creds", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{
		"key": cty.StringVal(secret),
	}).Mark(state.SensitiveMark)})
	set("data.test_echo.cfg", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"output": cty.StringVal("x")})})
	st.Outputs = map[string]*state.Output{
		"url":         {Value: cty.StringVal("http://edge-1:8080")},
		"replicas":    {Value: cty.NumberIntVal(6)},
		"hosts":       {Value: cty.ListVal([]cty.Value{cty.StringVal("edge-1"), cty.StringVal("edge-2")})},
		"ports":       {Value: cty.MapVal(map[string]cty.Value{"http": cty.NumberIntVal(8080)})},
		"db_password": {Value: cty.StringVal(secret), Sensitive: true},
	}
	return st
}

// TestState compares `berth show` (and so `state show` of each object, and
// `berth output`) with a golden file (go test ./views/statetext -update
// rewrites it).
func TestState(t *testing.T) {
	var out bytes.Buffer
	State(&out, fixture(t))
	if strings.Contains(out.String(), secret) {
		t.Errorf("a secret is shown:\n%s", out.String())
	}
	golden.Check(t, filepath.Join("testdata", "state.golden"), out.Bytes())
}

func TestStateEmpty(t *testing.T) {
	for _, st := range []*state.State{nil, state.New()} {
		var out bytes.Buffer
		State(&out, st)
		if want := "The state is empty: berth manages no objects yet.\n"; out.String() != want {
			t.Errorf("got %q, want %q", out.String(), want)
		}
	}
}

func TestOutput(t *testing.T) {
	st := fixture(t)
	tests := []struct{ name, want string }{
		{"url", `"http://edge-1:8080"`},
		{"db_password", SensitiveOutput},
		{"hosts", "[\n    \"edge-1\",\n    \"edge-2\",\n]"},
	}
	for _, tt := range tests {
		if got := Output(st.Outputs[tt.name]); got != tt.want {
			t.Errorf("Output(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRaw(t *testing.T) {
	tests := []struct {
		name string
		v    cty.Value
		want string
		err  error
	}{
		{"string unquoted", cty.StringVal(`a "b"`), `a "b"`, nil},
		{"number", cty.NumberIntVal(8080), "8080", nil},
		{"fraction", cty.NumberFloatVal(0.25), "0.25", nil},
		{"bool", cty.False, "false", nil},
		{"sensitive string", cty.StringVal("s").Mark(state.SensitiveMark), "s", nil},
		{"null", cty.NullVal(cty.String), "", ErrNotPrimitive},
		{"list", cty.ListVal([]cty.Value{cty.StringVal("a")}), "", ErrNotPrimitive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Raw(tt.v)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("Raw = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// TestNestedSensitive: a sensitive value nested two or three levels deep
// inside an attribute (a map, an object, a list, a set, a tuple) is hidden
// where it stands by `state show` and `show`, and null and flagged in
// `show -json`, after a round trip through the state file (as those
// commands read it), while its non-sensitive neighbours are shown.
func TestNestedSensitive(t *testing.T) {
	const pw = "nested-s3cret-value"
	s := func(v string) cty.Value { return cty.StringVal(v).Mark(state.SensitiveMark) }
	str := cty.StringVal
	obj := func(m map[string]cty.Value) cty.Value { return cty.ObjectVal(m) }
	tests := []struct {
		name  string
		attr  cty.Value
		shown string // a non-sensitive neighbour, shown
		// mask is the JSON of the attribute's sensitive_values.
		mask string
	}{
		{"map in an attribute",
			cty.MapVal(map[string]cty.Value{"DB_PASSWORD": s(pw), "LOG": str("info")}),
			`"LOG"         = "info"`, `{"DB_PASSWORD":true}`},
		{"list of objects of lists",
			obj(map[string]cty.Value{"containers": cty.ListVal([]cty.Value{obj(map[string]cty.Value{
				"args": cty.ListVal([]cty.Value{str("--password"), s(pw)})})})}),
			`"--password",`, `{"containers":[{"args":[false,true]}]}`},
		{"map of lists of maps",
			cty.MapVal(map[string]cty.Value{"a": cty.ListVal([]cty.Value{cty.MapVal(map[string]cty.Value{"k": s(pw), "j": str("visible")})})}),
			`"j" = "visible"`, `{"a":[{"k":true}]}`},
		{"tuple in an object",
			obj(map[string]cty.Value{"t": cty.TupleVal([]cty.Value{str("first"), obj(map[string]cty.Value{"x": s(pw)})})}),
			`"first",`, `{"t":[false,{"x":true}]}`},
		{"number three levels down",
			obj(map[string]cty.Value{"ports": cty.MapVal(map[string]cty.Value{"admin": cty.NumberIntVal(31337).Mark(state.SensitiveMark), "http": cty.NumberIntVal(8080)})}),
			`"http"  = 8080`, `{"ports":{"admin":true}}`},
		{"multi-line secret in a map",
			cty.MapVal(map[string]cty.Value{"key.pem": s(pw + "\nline2\n"), "ca.pem": str("public")}),
			`"ca.pem"  = "public"`, `{"key.pem":true}`},
		// A set's elements are identified by their values: the set is
		// hidden whole.
		{"set of objects", obj(map[string]cty.Value{
			"rules": cty.SetVal([]cty.Value{obj(map[string]cty.Value{"token": s(pw)}), obj(map[string]cty.Value{"token": str("other")})}),
			"name":  str("n1")}),
			`name  = "n1"`, `{"rules":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := state.New()
			addr, err := addrs.ParseInstance("test_object.o")
			if err != nil {
				t.Fatal(err)
			}
			st.SetInstance(addr, "test", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{
				"id": cty.StringVal("o-1"), "attr": tt.attr,
			})})
			data, err := statefile.Encode(st)
			if err != nil {
				t.Fatal(err)
			}
			if st, err = statefile.Decode(data); err != nil {
				t.Fatal(err)
			}

			var text bytes.Buffer
			Object(&text, addr, st.Instance(addr))
			var show bytes.Buffer
			State(&show, st)
			for _, out := range []string{text.String(), show.String()} {
				for _, leak := range []string{pw, "31337", "line2"} {
					if strings.Contains(out, leak) {
						t.Errorf("%q is shown:\n%s", leak, out)
					}
				}
				if !strings.Contains(out, "(sensitive value)") || !strings.Contains(out, tt.shown) {
					t.Errorf("want (sensitive value) and %s in:\n%s", tt.shown, out)
				}
			}

			doc, err := json.Marshal(jsondoc.NewState(st))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(doc), pw) || strings.Contains(string(doc), "31337") {
				t.Errorf("show -json shows the secret: %s", doc)
			}
			var parsed struct {
				Resources []struct {
					SensitiveValues map[string]json.RawMessage `json:"sensitive_values"`
				} `json:"resources"`
			}
			if err := json.Unmarshal(doc, &parsed); err != nil {
				t.Fatal(err)
			}
			if got := string(parsed.Resources[0].SensitiveValues["attr"]); got != tt.mask {
				t.Errorf("sensitive_values.attr = %s, want %s", got, tt.mask)
			}
		})
	}
}
