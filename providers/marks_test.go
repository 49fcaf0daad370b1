package providers

import (
	"fmt"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// The mark helpers must agree with cty's own functions on every shape.
func TestMarkHelpersAgreeWithCty(t *testing.T) {
	s := cty.StringVal("s").Mark(SensitiveMark)
	other := cty.NewValueMarks("other")
	tests := []struct {
		name string
		v    cty.Value
	}{
		{"no marks", cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "b": cty.NullVal(cty.String)})},
		{"marked attribute", cty.ObjectVal(map[string]cty.Value{"a": s, "b": cty.StringVal("y")})},
		{"marked null attribute", cty.ObjectVal(map[string]cty.Value{"a": cty.NullVal(cty.String).Mark(SensitiveMark)})},
		{"marked object", cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")}).Mark(SensitiveMark)},
		{"nested", cty.ObjectVal(map[string]cty.Value{"o": cty.ObjectVal(map[string]cty.Value{"a": s, "b": cty.StringVal("b").WithMarks(other)})})},
		{"list element", cty.ObjectVal(map[string]cty.Value{"l": cty.ListVal([]cty.Value{cty.StringVal("a"), s})})},
		{"list of objects", cty.ObjectVal(map[string]cty.Value{"l": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"a": s})})})},
		{"map element", cty.ObjectVal(map[string]cty.Value{"m": cty.MapVal(map[string]cty.Value{"k": s})})},
		{"marked set", cty.ObjectVal(map[string]cty.Value{"set": cty.SetVal([]cty.Value{cty.StringVal("a")}).Mark(SensitiveMark)})},
		{"unknown marked", cty.ObjectVal(map[string]cty.Value{"u": cty.UnknownVal(cty.String).Mark(SensitiveMark), "o": cty.UnknownVal(cty.Object(map[string]cty.Type{"a": cty.String}))})},
		{"null object", cty.NullVal(cty.Object(map[string]cty.Type{"a": cty.String})).Mark(SensitiveMark)},
		{"empty object", cty.EmptyObjectVal.Mark(SensitiveMark)},
		{"primitive", s},
		{"tuple", cty.TupleVal([]cty.Value{s, cty.ObjectVal(map[string]cty.Value{"a": s})})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantV, wantP := tt.v.UnmarkDeepWithPaths()
			gotV, gotP := UnmarkDeepWithPaths(tt.v)
			if !gotV.RawEquals(wantV) {
				t.Errorf("UnmarkDeepWithPaths value = %#v, want %#v", gotV, wantV)
			}
			if a, b := pvmStrings(gotP), pvmStrings(wantP); !slices.Equal(a, b) {
				t.Errorf("UnmarkDeepWithPaths paths = %v, want %v", a, b)
			}
			if a, b := pvmStrings(PathMarks(tt.v)), pvmStrings(wantP); !slices.Equal(a, b) {
				t.Errorf("PathMarks = %v, want %v", a, b)
			}
			// Marking the unmarked value again gives the original back,
			// also when the paths are applied to a value of another shape.
			if got := MarkPaths(wantV, wantP); !got.RawEquals(wantV.MarkWithPaths(wantP)) {
				t.Errorf("MarkPaths = %#v, want %#v", got, wantV.MarkWithPaths(wantP))
			}
			shape := cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("z")})
			if got := MarkPaths(shape, wantP); !got.RawEquals(shape.MarkWithPaths(wantP)) {
				t.Errorf("MarkPaths on another shape = %#v, want %#v", got, shape.MarkWithPaths(wantP))
			}
		})
	}
}

func pvmStrings(pvm []cty.PathValueMarks) []string {
	var out []string
	for _, m := range pvm {
		out = append(out, fmt.Sprintf("%#v %v", m.Path, m.Marks))
	}
	slices.Sort(out)
	return out
}
