package plugin

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/protocol"
)

func TestValueRoundTrip(t *testing.T) {
	s := providers.SensitiveMark
	tests := []struct {
		name string
		in   cty.Value
		want cty.Value // NilVal: same as in
	}{
		{"no value", cty.NilVal, cty.NilVal},
		{"null object", cty.NullVal(cty.Object(map[string]cty.Type{"a": cty.String})), cty.NilVal},
		{"null dynamic", cty.NullVal(cty.DynamicPseudoType), cty.NilVal},
		{"unknown", cty.UnknownVal(cty.List(cty.Number)), cty.NilVal},
		{"big number", cty.MustParseNumberVal("123456789012345678901234567890.5"), cty.NilVal},
		{"set", cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}), cty.NilVal},
		{"marked set", cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}).Mark(s), cty.NilVal},
		{"dynamic attribute", cty.ObjectVal(map[string]cty.Value{
			"d": cty.UnknownVal(cty.DynamicPseudoType), "n": cty.NumberIntVal(1),
		}), cty.NilVal},
		{"nested marks", cty.ObjectVal(map[string]cty.Value{
			"m": cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v").Mark(s)}),
			"l": cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2).Mark(s)}),
		}).Mark(s), cty.NilVal},
		{"foreign marks dropped", cty.StringVal("x").Mark("elsewhere"), cty.StringVal("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == cty.NilVal {
				want = tt.in
			}
			dv, err := encodeValue(tt.in)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			got, err := decodeValue(dv)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got == cty.NilVal || want == cty.NilVal {
				if got != want {
					t.Fatalf("got %#v, want %#v", got, want)
				}
				return
			}
			if !got.RawEquals(want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestDecodeValueErrors(t *testing.T) {
	good, _ := encodeValue(cty.StringVal("x"))
	tests := []struct {
		name string
		mod  func()
		want string
	}{
		{"bad type", func() { good.TypeJson = []byte(`"nope"`) }, "decoding type"},
		{"bad value", func() { good.TypeJson = []byte(`"number"`) }, "decoding value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.mod()
			if _, err := decodeValue(good); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPathRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   cty.Path
		want cty.Path // nil: same as in
	}{
		{"attribute", cty.GetAttrPath("a"), nil},
		{"deep", cty.GetAttrPath("a").Index(cty.NumberIntVal(3)).Index(cty.StringVal("k")).GetAttr("b"), nil},
		{"empty", cty.Path{}, nil},
		{"string index", cty.GetAttrPath("s").Index(cty.StringVal("x")).GetAttr("y"), nil},
		{"set of objects", cty.GetAttrPath("s").Index(cty.ObjectVal(map[string]cty.Value{"a": cty.True})).GetAttr("a"), cty.GetAttrPath("s")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = tt.in
			}
			ap, err := encodePath(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodePath(ap)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equals(want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
	if _, err := encodePath(cty.Path{}.Index(cty.NumberFloatVal(1.5))); err == nil {
		t.Error("a fractional index was encoded")
	}
}

func TestDiagnosticsRoundTrip(t *testing.T) {
	in := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "bad", Detail: "very bad", Extra: providers.AttributePath{Path: cty.GetAttrPath("x").Index(cty.NumberIntVal(0))}},
		{Severity: hcl.DiagWarning, Summary: "careful", Subject: &hcl.Range{Filename: "dropped.hcl"}},
	}
	got := decodeDiagnostics(encodeDiagnostics(in))
	if len(got) != 2 {
		t.Fatalf("got %d diagnostics", len(got))
	}
	if got[0].Severity != hcl.DiagError || got[0].Summary != "bad" || got[0].Detail != "very bad" ||
		!providers.DiagnosticPath(got[0]).Equals(cty.GetAttrPath("x").Index(cty.NumberIntVal(0))) {
		t.Errorf("first = %#v", got[0])
	}
	if got[1].Severity != hcl.DiagWarning || got[1].Summary != "careful" || got[1].Extra != nil || got[1].Subject != nil {
		t.Errorf("second = %#v", got[1])
	}
	if decodeDiagnostics(encodeDiagnostics(nil)) != nil {
		t.Error("no diagnostics did not stay nil")
	}
}

func TestSchemaRoundTrip(t *testing.T) {
	leaf := &providers.Block{Attributes: map[string]*providers.Attribute{
		"path": {Type: cty.String, Required: true, Description: "p"},
	}, BlockTypes: map[string]*providers.NestedBlock{}}
	in := providers.Schema{Version: 3, LookupByKey: true, Block: &providers.Block{
		Description: "top",
		Attributes: map[string]*providers.Attribute{
			"labels":   {Type: cty.Map(cty.String), Optional: true},
			"password": {Type: cty.String, Optional: true, Sensitive: true},
			"image":    {Type: cty.String, Required: true, ForceNew: true},
			"id":       {Type: cty.String, Computed: true},
			"ports":    {Type: cty.List(cty.Object(map[string]cty.Type{"n": cty.Number})), Optional: true, Computed: true},
			"any":      {Type: cty.DynamicPseudoType, Optional: true},
		},
		BlockTypes: map[string]*providers.NestedBlock{
			"single": {Block: leaf, Nesting: providers.NestingSingle, MaxItems: 1},
			"list":   {Block: leaf, Nesting: providers.NestingList, MinItems: 1, MaxItems: 5},
			"set":    {Block: leaf, Nesting: providers.NestingSet},
			"map":    {Block: leaf, Nesting: providers.NestingMap},
		},
	}}
	ps, err := encodeSchema(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSchema(ps)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := fmt.Sprintf("%#v", schemaString(got.Block)), fmt.Sprintf("%#v", schemaString(in.Block)); got.Version != 3 || !got.LookupByKey || g != w {
		t.Errorf("got version %d, lookup by key %v\n%s\nwant\n%s", got.Version, got.LookupByKey, g, w)
	}
	bad := providers.Schema{Block: &providers.Block{BlockTypes: map[string]*providers.NestedBlock{"x": {Block: leaf, Nesting: 9}}}}
	if _, err := encodeSchema(bad); err == nil {
		t.Error("an unknown nesting mode was encoded")
	}
	untyped := providers.Schema{Block: &providers.Block{Attributes: map[string]*providers.Attribute{"x": {Optional: true}}}}
	if _, err := encodeSchema(untyped); err == nil || !strings.Contains(err.Error(), "attribute x has no type") {
		t.Errorf("encoding an attribute without type: %v", err)
	}
}

// schemaString renders a block deterministically for comparison.
func schemaString(b *providers.Block) string {
	if b == nil {
		return "<nil>"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "{%q", b.Description)
	for _, n := range sortedKeys(b.Attributes) {
		a := b.Attributes[n]
		fmt.Fprintf(&sb, " %s:%s/%q/r%v/o%v/c%v/s%v/f%v", n, a.Type.FriendlyName(), a.Description, a.Required, a.Optional, a.Computed, a.Sensitive, a.ForceNew)
	}
	for _, n := range sortedKeys(b.BlockTypes) {
		nb := b.BlockTypes[n]
		fmt.Fprintf(&sb, " %s:%d/%d-%d%s", n, nb.Nesting, nb.MinItems, nb.MaxItems, schemaString(nb.Block))
	}
	return sb.String() + "}"
}

func TestRolloutAndStepRoundTrip(t *testing.T) {
	r := &providers.Rollout{
		Waves: []providers.Wave{
			{Instances: []providers.WaveInstance{{Name: "a", Host: "h1"}}},
			{Instances: []providers.WaveInstance{{Name: "b", Host: "h2"}, {Name: "c", Host: "h1"}}},
		},
		MinHealthy: 10 * time.Second, HealthyDeadline: 5 * time.Minute, AutoRevert: true, MaxUnavailable: 1,
	}
	if got, err := decodeRollout(encodeRollout(r)); err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("rollout = %+v, %v; want %+v", got, err, r)
	}
	r.Canary = &providers.Canary{Instances: 2, Weight: 10}
	if got, err := decodeRollout(encodeRollout(r)); err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("canary rollout = %+v, %v; want %+v", got, err, r)
	}
	if got, err := decodeRollout(encodeRollout(nil)); got != nil || err != nil {
		t.Error("no rollout became one")
	}
	for _, s := range []providers.RolloutStep{
		{Kind: providers.StepAll},
		{Kind: providers.StepStart, Wave: 2, Instances: []string{"b", "c"}, HoldFor: 10 * time.Second},
		{Kind: providers.StepStop, Instances: []string{"a"}},
		{Kind: providers.StepDrain, Wave: 1, Traffic: &providers.TrafficChange{AppID: "web", Instances: []app.Instance{
			{Name: "web-1", Host: "h1", ID: "c1", Status: "running", Ready: true, ImageDigest: "d", ConfigHash: "h",
				Addresses: map[string]app.Address{"http": {IP: "127.0.0.1", Port: 32768}}}}}},
		{Kind: providers.StepAdmit, Wave: 2, Traffic: &providers.TrafficChange{AppID: "web", Deadline: 5 * time.Minute}},
		{Kind: providers.StepCanary, Traffic: &providers.TrafficChange{AppID: "web", Weight: 10, Deadline: time.Minute, Instances: []app.Instance{
			{Name: "web-0", Host: "h1", ID: "c9", Status: "running", Ready: true, Addresses: map[string]app.Address{"http": {IP: "10.0.0.9", Port: 8080}}}}}},
		{Kind: providers.StepCanary, Traffic: &providers.TrafficChange{AppID: "web"}},
	} {
		ps, err := encodeStep(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeStep(ps); err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("step %+v became %+v, %v", s, got, err)
		}
	}
	if _, err := decodeStep(&protocol.ApplyResourceChange_Step{Kind: 7}); err == nil {
		t.Error("an unknown step kind was accepted")
	}
}

func TestTypeCaches(t *testing.T) {
	types := []cty.Type{cty.String, cty.Object(map[string]cty.Type{"a": cty.Number}), cty.List(cty.Bool)}
	for range 3 {
		for _, ty := range types {
			b, err := marshalType(ty)
			if err != nil {
				t.Fatal(err)
			}
			got, err := unmarshalType(b)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equals(ty) {
				t.Errorf("%#v became %#v", ty, got)
			}
		}
	}
	// More distinct types than the encode cache holds still encode right.
	for i := range 2 * maxEncodedTypes {
		ty := cty.Object(map[string]cty.Type{fmt.Sprintf("a%d", i): cty.String})
		b, _ := marshalType(ty)
		if want := fmt.Sprintf(`["object",{"a%d":"string"}]`, i); string(b) != want {
			t.Fatalf("type %d encoded as %s, want %s", i, b, want)
		}
	}
}

func TestStderrTail(t *testing.T) {
	tests := []struct {
		name  string
		write []string
		want  string
	}{
		{"last lines", []string{"a\nb\n", "c"}, "a\nb"},
		{"partial writes", []string{"he", "llo\nwor", "ld\n"}, "hello\nworld"},
		{"panic section kept from its start", append([]string{"noise\n", "panic: boom\n"}, repeat("goroutine line\n", 100)...),
			"panic: boom\n" + strings.TrimSuffix(strings.Repeat("goroutine line\n", 100), "\n")},
		{"ring keeps the end", repeatN(100), strings.Join(linesN(100)[100-tailLines:], "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tail := newStderrTail()
			w := &lineWriter{tail: tail}
			for _, s := range tt.write {
				w.Write([]byte(s))
			}
			if got := tail.Output(); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func linesN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("line %d", i)
	}
	return out
}

func repeatN(n int) []string {
	out := linesN(n)
	for i := range out {
		out[i] += "\n"
	}
	return out
}

func TestEnvLogger(t *testing.T) {
	tests := []struct {
		level   string
		enabled bool
	}{
		{"", false}, {"off", false}, {"debug", true}, {"TRACE", true}, {"bogus", true},
	}
	for _, tt := range tests {
		l := newEnvLogger(tt.level, t.TempDir()+"/berth.log")
		if got := l.IsError(); got != tt.enabled {
			t.Errorf("BERTH_LOG=%q: error logging %v, want %v", tt.level, got, tt.enabled)
		}
	}
}
