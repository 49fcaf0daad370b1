package core

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
)

// dayTwoState records app.web[0], app.web[1] and app.api, each with one
// instance, and an object that is not an app.
func dayTwoState() *state.State {
	st := state.New()
	web := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}
	api := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "api"}
	val := func(name string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"instances": app.InstancesValue([]app.Instance{{Name: name, ID: "c-" + name, Status: "running", Ready: true}})})
	}
	st.SetInstance(web.Instance(addrs.IntKey(0)), "docker", &state.Object{Value: val("web-0-1")})
	st.SetInstance(web.Instance(addrs.IntKey(1)), "docker", &state.Object{Value: val("web-1-1")})
	st.SetInstance(api.Instance(addrs.NoKey), "docker", &state.Object{Value: val("api-1")})
	st.SetInstance(addrs.Resource{Mode: addrs.Managed, Type: "test_object", Name: "a"}.Instance(addrs.NoKey), "test", &state.Object{Value: cty.EmptyObjectVal})
	return st
}

func TestSelectApps(t *testing.T) {
	st := dayTwoState()
	parse := func(s string) *addrs.Instance {
		a, err := addrs.ParseInstance(s)
		if err != nil {
			t.Fatal(err)
		}
		return &a
	}
	tests := []struct {
		addr    *addrs.Instance
		want    string
		wantErr string
	}{
		{nil, "app.api app.web[0] app.web[1]", ""},
		{parse("app.web"), "app.web[0] app.web[1]", ""},
		{parse("app.web[1]"), "app.web[1]", ""},
		{parse("app.wbe"), "", "Did you mean app.web?"},
		{parse("test_object.a"), "", "only apps run instances"},
	}
	for _, tt := range tests {
		got, diags := selectApps(st, tt.addr)
		if tt.wantErr != "" {
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
				t.Errorf("selectApps(%v): %v, want an error containing %q", tt.addr, diags, tt.wantErr)
			}
			continue
		}
		var names []string
		for _, a := range got {
			names = append(names, a.Addr.String())
		}
		if strings.Join(names, " ") != tt.want || diags.HasErrors() {
			t.Errorf("selectApps(%v) = %v, %v; want %s", tt.addr, names, diags, tt.want)
		}
	}
}

func TestExecNeedsOneAppAndAKnownInstance(t *testing.T) {
	st := dayTwoState()
	all, _ := selectApps(st, nil)
	tests := []struct {
		apps    []*AppTarget
		req     providers.InstanceExecRequest
		wantErr string
	}{
		{all, providers.InstanceExecRequest{Command: []string{"sh"}}, "names 3 apps"},
		{all[:1], providers.InstanceExecRequest{}, "Give the command"},
		{all[:1], providers.InstanceExecRequest{Command: []string{"sh"}, Instance: "web-9"}, "the instances are: api-1"},
	}
	for _, tt := range tests {
		in := &Instances{Apps: tt.apps, State: st}
		_, diags := in.Exec(context.Background(), tt.req)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
			t.Errorf("Exec(%+v): %v, want an error containing %q", tt.req, diags, tt.wantErr)
		}
	}
}

// fakeOperator answers the day-2 calls from fixed instances and lines.
type fakeOperator struct {
	instances []providers.InstanceDetail
	lines     []providers.LogLine
	asked     [][]string // the instances each InstanceLogs call named
}

func (f *fakeOperator) DescribeInstances(context.Context, providers.DescribeInstancesRequest) providers.DescribeInstancesResponse {
	return providers.DescribeInstancesResponse{Instances: f.instances}
}

func (f *fakeOperator) InstanceLogs(_ context.Context, req providers.InstanceLogsRequest, lines func([]providers.LogLine)) hcl.Diagnostics {
	f.asked = append(f.asked, req.Instances)
	lines(f.lines)
	return nil
}

func (f *fakeOperator) InstanceExec(context.Context, providers.InstanceExecRequest) (int, hcl.Diagnostics) {
	return 3, nil
}

func TestStatusRolesOnLiveInstances(t *testing.T) {
	st := state.New()
	addr := addrs.Resource{Mode: addrs.Managed, Type: "app", Name: "web"}.Instance(addrs.NoKey)
	st.SetInstance(addr, "docker", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{
		"config_hash": cty.StringVal("v1"), "image_digest": cty.StringVal("sha256:v1"),
		"instances": app.InstancesValue([]app.Instance{{Name: "web-1", ID: "c1", Status: "running", Ready: true, ConfigHash: "v1", ImageDigest: "sha256:v1"}}),
	})})
	// Live: web-1 on the recorded spec, web-2 on another (a rollout under way).
	op := &fakeOperator{instances: []providers.InstanceDetail{
		{Instance: app.Instance{Name: "web-2", ID: "c2", Status: "running", Ready: true, ConfigHash: "v2", ImageDigest: "sha256:v2"}, Restarts: 1},
		{Instance: app.Instance{Name: "web-1", ID: "c1", Status: "running", Ready: true, ConfigHash: "v1", ImageDigest: "sha256:v1"}},
	}}
	in := &Instances{Apps: []*AppTarget{{Addr: addr, Provider: "docker", Object: st.Instance(addr), op: op}}, State: st}
	got := in.Status(context.Background())
	if len(got) != 1 || got[0].Rollout == nil {
		t.Fatalf("status: %+v", got)
	}
	s := got[0]
	if s.Rollout.Phase != RolloutInterrupted || len(s.Instances) != 2 ||
		s.Instances[0].Name != "web-1" || s.Instances[0].Role != RoleStable ||
		s.Instances[1].Name != "web-2" || s.Instances[1].Role != RoleNew || s.Instances[1].Restarts != 1 {
		t.Errorf("phase %s, instances %+v", s.Rollout.Phase, s.Instances)
	}
	// The state itself is not changed.
	if n := len(app.DecodeInstances(st.Instance(addr).Value)); n != 1 {
		t.Errorf("the state now records %d instances", n)
	}
}

func TestLogsAsksOnlyTheAppsOfTheInstance(t *testing.T) {
	st := dayTwoState()
	apps, _ := selectApps(st, nil)
	ops := make([]*fakeOperator, len(apps))
	for i, a := range apps {
		ops[i] = &fakeOperator{lines: []providers.LogLine{{Instance: "x", Text: a.Addr.String()}}}
		a.op = ops[i]
	}
	in := &Instances{Apps: apps, State: st}
	var got []AppLogLine
	diags := in.Logs(context.Background(), LogsOptions{Instance: "web-1-1", Tail: -1}, func(l []AppLogLine) { got = append(got, l...) })
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// Only app.web[1] records web-1-1.
	if len(got) != 1 || got[0].App.String() != "app.web[1]" || len(ops[2].asked) != 1 || ops[2].asked[0][0] != "web-1-1" ||
		len(ops[0].asked)+len(ops[1].asked) != 0 {
		t.Errorf("lines %+v, asked %v %v %v", got, ops[0].asked, ops[1].asked, ops[2].asked)
	}
	if d := in.Logs(context.Background(), LogsOptions{Instance: "nope"}, func([]AppLogLine) {}); !d.HasErrors() {
		t.Error("an instance no app records: no error")
	}
}
