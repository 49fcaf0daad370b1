// Package statetest builds states for the tests and benchmarks of the
// state packages (the model, the file format, the manager and the
// backends), so that each measures and checks the same shapes.
package statetest

import (
	"fmt"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/zclconf/go-cty/cty"
)

// Big returns a state of n small app-like instances, in resources of ten
// instances each (count = 10), as the engine benchmarks use. Each object
// has a sensitive attribute, private data and a dependency.
func Big(n int) *state.State {
	s := state.New()
	for i := 0; i < n; i++ {
		r := addrs.Resource{Mode: addrs.Managed, Type: "test_object", Name: fmt.Sprintf("obj%d", i/10)}
		obj := &state.Object{
			Value: cty.ObjectVal(map[string]cty.Value{
				"id":       cty.StringVal(fmt.Sprintf("id-%08d", i)),
				"name":     cty.StringVal(fmt.Sprintf("object %d", i)),
				"replicas": cty.NumberIntVal(int64(i % 7)),
				"enabled":  cty.True,
				"labels":   cty.MapVal(map[string]cty.Value{"env": cty.StringVal("prod"), "team": cty.StringVal("web")}),
				"ports":    cty.ListVal([]cty.Value{cty.NumberIntVal(80), cty.NumberIntVal(443)}),
				"password": cty.StringVal("hunter2").Mark(state.SensitiveMark),
			}),
			SchemaVersion: 1,
			Private:       []byte("private"),
			Dependencies:  []addrs.Resource{{Type: "app", Name: "base"}},
		}
		s.SetInstance(r.Instance(addrs.IntKey(i%10)), "test", obj)
	}
	return s
}

// Instance parses an instance address, failing the test when it is not one.
func Instance(t testing.TB, s string) addrs.Instance {
	t.Helper()
	a, err := addrs.ParseInstance(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Object returns an object whose only attribute is id.
func Object(id string) *state.Object {
	return &state.Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(id)})}
}
