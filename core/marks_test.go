package core

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
)

// remark must mark exactly what transforming the whole value with
// sensitiveAt marks (what it did before it rebuilt objects itself).
func TestRemarkMatchesTransform(t *testing.T) {
	schema := &providers.Block{
		Attributes: map[string]*providers.Attribute{
			"name":   {Type: cty.String},
			"secret": {Type: cty.String, Sensitive: true},
			"obj":    {Type: cty.Object(map[string]cty.Type{"secret": cty.String}), Sensitive: true},
		},
		BlockTypes: map[string]*providers.NestedBlock{
			"env": {Nesting: providers.NestingList, Block: &providers.Block{Attributes: map[string]*providers.Attribute{
				"key": {Type: cty.String}, "value": {Type: cty.String, Sensitive: true},
			}}},
			"plain": {Nesting: providers.NestingSingle, Block: &providers.Block{Attributes: map[string]*providers.Attribute{
				"x": {Type: cty.String},
			}}},
		},
	}
	envT := cty.Object(map[string]cty.Type{"key": cty.String, "value": cty.String})
	plainT := cty.Object(map[string]cty.Type{"x": cty.String})
	obj := func(secret, env cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal("n"), "secret": secret,
			"obj":   cty.ObjectVal(map[string]cty.Value{"secret": cty.StringVal("o")}),
			"env":   env,
			"plain": cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("x")}),
		})
	}
	env := cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("k"), "value": cty.StringVal("v")})})
	tests := []struct {
		name string
		v    cty.Value
		from []cty.Value
	}{
		{"plain", obj(cty.StringVal("s"), env), nil},
		{"null secret and empty list", obj(cty.NullVal(cty.String), cty.ListValEmpty(envT)), nil},
		{"unknown", cty.UnknownVal(cty.Object(map[string]cty.Type{"name": cty.String})), nil},
		{"null", cty.NullVal(cty.Object(map[string]cty.Type{"name": cty.String, "plain": plainT})), nil},
		{"marks from the prior value", obj(cty.StringVal("s"), env),
			[]cty.Value{cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("p").Mark(providers.SensitiveMark)})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.v
			for _, f := range tt.from {
				_, pvm := f.UnmarkDeepWithPaths()
				want = want.MarkWithPaths(pvm)
			}
			want, err := cty.Transform(want, func(p cty.Path, x cty.Value) (cty.Value, error) {
				if sensitiveAt(schema, p) {
					return x.Mark(providers.SensitiveMark), nil
				}
				return x, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := remark(tt.v, schema, tt.from...); !got.RawEquals(want) {
				t.Errorf("remark = %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestValuesEqual(t *testing.T) {
	s := func(v string) cty.Value { return cty.StringVal(v) }
	o := func(a, b cty.Value) cty.Value { return cty.ObjectVal(map[string]cty.Value{"a": a, "b": b}) }
	tests := []struct {
		name string
		a, b cty.Value
		want bool
	}{
		{"equal", o(s("x"), s("y")), o(s("x"), s("y")), true},
		{"marks aside", o(s("x").Mark(providers.SensitiveMark), s("y")), o(s("x"), s("y")).Mark("m"), true},
		{"differ", o(s("x"), s("y")), o(s("x"), s("z")), false},
		{"unknown", o(s("x"), cty.UnknownVal(cty.String)), o(s("x"), cty.UnknownVal(cty.String)), false},
		{"nested unknown", o(s("x"), cty.ListVal([]cty.Value{cty.UnknownVal(cty.String)})), o(s("x"), cty.ListVal([]cty.Value{cty.UnknownVal(cty.String)})), false},
		{"null and value", cty.NullVal(o(s("x"), s("y")).Type()), o(s("x"), s("y")), false},
		{"both null", cty.NullVal(o(s("x"), s("y")).Type()), cty.NullVal(o(s("x"), s("y")).Type()), true},
		{"marked list", o(s("x"), cty.ListVal([]cty.Value{s("e").Mark(providers.SensitiveMark)})), o(s("x"), cty.ListVal([]cty.Value{s("e")})), true},
		{"other types", o(s("x"), s("y")), cty.ObjectVal(map[string]cty.Value{"a": s("x")}), false},
		{"list and tuple", cty.ListVal([]cty.Value{s("x")}), cty.TupleVal([]cty.Value{s("x")}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := valuesEqual(tt.a, tt.b); got != tt.want {
				t.Errorf("valuesEqual = %v, want %v", got, tt.want)
			}
		})
	}
}
