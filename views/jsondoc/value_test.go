package jsondoc

import (
	"encoding/json"
	"testing"

	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

func str(s string) cty.Value       { return cty.StringVal(s) }
func secretVal(s string) cty.Value { return cty.StringVal(s).Mark(providers.SensitiveMark) }
func obj(m map[string]cty.Value) cty.Value {
	return cty.ObjectVal(m)
}
func strList(ss ...string) cty.Value {
	vs := make([]cty.Value, len(ss))
	for i, s := range ss {
		vs[i] = str(s)
	}
	return cty.ListVal(vs)
}

// TestValue checks the JSON form of values and the structures that flag
// their unknown and sensitive parts.
func TestValue(t *testing.T) {
	tests := []struct {
		name                 string
		v                    cty.Value
		value, unknown, sens string
	}{
		{"nil", cty.NilVal, `null`, `false`, `false`},
		{"null", cty.NullVal(cty.String), `null`, `false`, `false`},
		{"string", str("a"), `"a"`, `false`, `false`},
		{"big number", cty.MustParseNumberVal("12345678901234567890"), `12345678901234567890`, `false`, `false`},
		{"fraction", cty.NumberFloatVal(0.5), `0.5`, `false`, `false`},
		{"unknown", cty.UnknownVal(cty.String), `null`, `true`, `false`},
		{"sensitive", secretVal("x"), `null`, `false`, `true`},
		{"object", obj(map[string]cty.Value{"a": cty.UnknownVal(cty.Number), "b": secretVal("x"), "c": cty.True}),
			`{"a":null,"b":null,"c":true}`, `{"a":true}`, `{"b":true}`},
		{"known object", obj(map[string]cty.Value{"c": cty.True}), `{"c":true}`, `{}`, `{}`},
		{"list", cty.ListVal([]cty.Value{str("a"), cty.UnknownVal(cty.String)}), `["a",null]`, `[false,true]`, `[false,false]`},
		{"map of lists", cty.MapVal(map[string]cty.Value{"k": strList("a")}), `{"k":["a"]}`, `{}`, `{}`},
		{"nested unknown", cty.MapVal(map[string]cty.Value{"k": cty.ListVal([]cty.Value{str("a"), cty.UnknownVal(cty.String)})}),
			`{"k":["a",null]}`, `{"k":[false,true]}`, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, u, s := Value(tt.v)
			for _, c := range []struct {
				what string
				got  any
				want string
			}{{"value", v, tt.value}, {"unknown", u, tt.unknown}, {"sensitive", s, tt.sens}} {
				b, err := json.Marshal(c.got)
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != c.want {
					t.Errorf("%s = %s, want %s", c.what, b, c.want)
				}
			}
		})
	}
}
