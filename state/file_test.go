package state

import (
	"fmt"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/zclconf/go-cty/cty"
)

// bigState returns a state of n small app-like instances, in resources of
// ten instances each (count = 10), as the engine benchmarks use.
func bigState(n int) *State {
	s := New()
	for i := 0; i < n; i++ {
		r := addrs.Resource{Mode: addrs.Managed, Type: "test_object", Name: fmt.Sprintf("obj%d", i/10)}
		obj := &Object{
			Value: cty.ObjectVal(map[string]cty.Value{
				"id":       cty.StringVal(fmt.Sprintf("id-%08d", i)),
				"name":     cty.StringVal(fmt.Sprintf("object %d", i)),
				"replicas": cty.NumberIntVal(int64(i % 7)),
				"enabled":  cty.True,
				"labels":   cty.MapVal(map[string]cty.Value{"env": cty.StringVal("prod"), "team": cty.StringVal("web")}),
				"ports":    cty.ListVal([]cty.Value{cty.NumberIntVal(80), cty.NumberIntVal(443)}),
				"password": cty.StringVal("hunter2").Mark(SensitiveMark),
			}),
			SchemaVersion: 1,
			Private:       []byte("private"),
			Dependencies:  []addrs.Resource{{Type: "app", Name: "base"}},
		}
		s.SetInstance(r.Instance(addrs.IntKey(i%10)), "test", obj)
	}
	return s
}

func BenchmarkEncode10k(b *testing.B) {
	s := bigState(10000)
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
	data, err := Encode(bigState(10000))
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

var _ = strings.Contains
