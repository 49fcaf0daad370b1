package core

import (
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
)

// TestRoutersIn: a load balancer routes to the apps its recorded state
// depends on; other objects that depend on an app do not route to it.
func TestRoutersIn(t *testing.T) {
	res := func(typ, name string) addrs.Resource {
		return addrs.Resource{Mode: addrs.Managed, Type: typ, Name: name}
	}
	web, api := res("app", "web"), res("app", "api")
	st := state.New()
	val := cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("x")})
	st.SetInstance(res("load_balancer", "front").Instance(addrs.NoKey), "aws", &state.Object{Value: val, Dependencies: []addrs.Resource{web, api}})
	st.SetInstance(res("load_balancer", "admin").Instance(addrs.IntKey(0)), "aws", &state.Object{Value: val, Dependencies: []addrs.Resource{web}})
	st.SetInstance(res("acmedns_record", "www").Instance(addrs.NoKey), "acmedns", &state.Object{Value: val, Dependencies: []addrs.Resource{web}})
	st.SetInstance(res("load_balancer", "gone").Instance(addrs.NoKey), "aws", &state.Object{Value: cty.NullVal(val.Type()), Dependencies: []addrs.Resource{web}})
	idx := routersIn(st)
	names := func(is []addrs.Instance) []string {
		var out []string
		for _, i := range is {
			out = append(out, i.String())
		}
		return out
	}
	if got, want := names(idx.of(web.Instance(addrs.IntKey(2)))), []string{"load_balancer.admin[0]", "load_balancer.front"}; !slices.Equal(got, want) {
		t.Errorf("routers of app.web[2] = %v, want %v", got, want)
	}
	if got, want := names(idx.of(api.Instance(addrs.NoKey))), []string{"load_balancer.front"}; !slices.Equal(got, want) {
		t.Errorf("routers of app.api = %v, want %v", got, want)
	}
	if got := idx.of(res("app", "other").Instance(addrs.NoKey)); len(got) != 0 {
		t.Errorf("an app nothing routes to has routers %v", got)
	}
}
