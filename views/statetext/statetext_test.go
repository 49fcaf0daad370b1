package statetext

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/state"
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
