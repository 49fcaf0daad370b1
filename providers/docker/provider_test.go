package docker

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/providers/docker/scheduler"
)

func TestRegisteredAsBuiltin(t *testing.T) {
	f, ok := builtin.Lookup("docker")
	if !ok {
		t.Fatal("docker is not a built-in provider")
	}
	if _, ok := f.New().(*Provider); !ok {
		t.Fatal("the docker factory does not make a *Provider")
	}
	if p, name, ok := builtin.Platform("docker"); !ok || name != "docker" || p.Cluster == nil {
		t.Fatalf("cluster kind docker: %v %q %v", p, name, ok)
	}
}

// The provider's state is the value the engine sent with the provider's
// attributes filled in: its type stays the language's.
func TestPlannedStateKeepsTheLanguagesType(t *testing.T) {
	cfg := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n", clusterValue(t, "c"), cty.NilVal, "web")
	cfg = withAttrs(cfg, map[string]cty.Value{"command": cty.UnknownVal(cty.List(cty.String))})
	resp := New().PlanResourceChange(t.Context(), providers.PlanResourceChangeRequest{TypeName: TypeApp,
		PriorState: nullAppForTest(), ProposedNewState: cfg, Config: cfg})
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics)
	}
	if !resp.PlannedState.Type().Equals(appType()) {
		t.Errorf("planned state type %#v, want the language's %#v", resp.PlannedState.Type(), appType())
	}
	if resp.PlannedState.GetAttr("instances").IsKnown() {
		t.Error("instances of an app whose configuration is not known yet are known")
	}
}

func TestValidateApp(t *testing.T) {
	cl := clusterValue(t, "c", testHost{name: "a", endpoint: "unix:///x"})
	tests := []struct {
		name string
		src  string
		want []string // summaries; nil: valid
		path string
	}{
		{"valid", `
cluster = cluster.c
image = "r/x:v1"
port "http" { container = 8080 }
readiness {
  http {
    port = "http"
  }
}
liveness {
  tcp {
    port = "http"
  }
}
`, nil, ""},
		{"grpc readiness", `
cluster = cluster.c
image = "r/x:v1"
port "grpc" { container = 9000 }
readiness {
  grpc {
    port = "grpc"
  }
}
`, []string{"gRPC readiness probe not supported on Docker hosts"}, "readiness.grpc"},
		{"fixed host port", `
cluster = cluster.c
image = "r/x:v1"
port "http" {
  container = 8080
  host = 80
}
`, []string{"Fixed host ports not supported on Docker hosts yet"}, "port[0].host"},
		{"spread by zone", `
cluster = cluster.c
image = "r/x:v1"
placement {
  spread = "zone"
}
`, []string{"Spread by zone not supported on Docker hosts yet"}, "placement.spread"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The language runs the platform's check as it decodes the app
			// (validate, offline); the provider checks again at plan.
			v, langDiags := decodeAppValue(t, tt.src, cl, cty.NilVal, "web")
			var fromLang []string
			for _, d := range langDiags {
				fromLang = append(fromLang, d.Summary)
			}
			if !slices.Equal(fromLang, tt.want) {
				t.Errorf("language's diagnostics %q, want %q", fromLang, tt.want)
			}
			resp := New().ValidateResourceConfig(t.Context(), providers.ValidateResourceConfigRequest{TypeName: TypeApp, Config: v})
			var got []string
			for _, d := range resp.Diagnostics {
				got = append(got, d.Summary)
				if p := providers.DiagnosticPath(d); tt.path != "" && pathString(p) != tt.path {
					t.Errorf("path %s, want %s", pathString(p), tt.path)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("diagnostics %q, want %q", got, tt.want)
			}
		})
	}
}

func pathString(p cty.Path) string {
	var sb strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case cty.GetAttrStep:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(s.Name)
		case cty.IndexStep:
			i, _ := s.Key.AsBigFloat().Int64()
			sb.WriteString("[" + string(rune('0'+i)) + "]")
		}
	}
	return sb.String()
}

func TestDecide(t *testing.T) {
	ro := app.Rollout{InitialBatch: 1, Growth: 2, MinHealthy: 10 * time.Second, HealthyDeadline: 5 * time.Minute, AutoRevert: true}
	run := func(name, host, hash string) app.Instance {
		return app.Instance{Name: name, Host: host, ID: "c-" + name + "-" + hash, ImageDigest: "img@" + hash, ConfigHash: hash, Status: statusRunning, Ready: true}
	}
	assign := func(n int, hosts ...string) []scheduler.Assignment {
		var out []scheduler.Assignment
		for i := 1; i <= n; i++ {
			out = append(out, scheduler.Assignment{Instance: "web-" + itoa(i), Host: hosts[(i-1)%len(hosts)]})
		}
		return out
	}
	four := func(hash string) []app.Instance {
		return []app.Instance{run("web-1", "a", hash), run("web-2", "b", hash), run("web-3", "a", hash), run("web-4", "b", hash)}
	}
	tests := []struct {
		name      string
		in        planInput
		waves     [][]string
		planned   []string // names of instances to (re)create
		instances int
	}{
		{name: "create", in: planInput{Hash: "h2", Pinned: "img@h2", Assignments: assign(4, "a", "b")},
			planned: []string{"web-1", "web-2", "web-3", "web-4"}, instances: 4},
		{name: "no change", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true, Existing: four("h1"), Assignments: assign(4, "a", "b")},
			instances: 4},
		{name: "scale up", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true, Existing: four("h1"), Assignments: assign(6, "a", "b")},
			planned: []string{"web-5", "web-6"}, instances: 6},
		{name: "scale down", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true, Existing: four("h1"), Assignments: assign(2, "a", "b")},
			instances: 2},
		{name: "image change 4: waves 1 2 1", in: planInput{Hash: "h2", Pinned: "img@h2", HasPrior: true, Existing: four("h1"), Assignments: assign(4, "a", "b")},
			waves:   [][]string{{"web-1"}, {"web-2", "web-3"}, {"web-4"}},
			planned: []string{"web-1", "web-2", "web-3", "web-4"}, instances: 4},
		{name: "image change and scale to 6: waves 1 2 3", in: planInput{Hash: "h2", Pinned: "img@h2", HasPrior: true, Existing: four("h1"), Assignments: assign(6, "a", "b")},
			waves:   [][]string{{"web-1"}, {"web-2", "web-3"}, {"web-4", "web-5", "web-6"}},
			planned: []string{"web-1", "web-2", "web-3", "web-4", "web-5", "web-6"}, instances: 6},
		{name: "a partly done rollout rolls the rest", in: planInput{Hash: "h2", Pinned: "img@h2", HasPrior: true,
			Existing: []app.Instance{run("web-1", "a", "h2"), run("web-2", "b", "h2"), run("web-3", "a", "h1"), run("web-4", "b", "h1")}, Assignments: assign(4, "a", "b")},
			waves: [][]string{{"web-3"}, {"web-4"}}, planned: []string{"web-3", "web-4"}, instances: 4},
		{name: "drift: a missing container is re-created without rollout", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true,
			Existing: four("h1")[:3], Assignments: assign(4, "a", "b")},
			planned: []string{"web-4"}, instances: 4},
		{name: "drift: stopped and unhealthy containers are replaced without rollout", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true,
			Existing: func() []app.Instance {
				in := four("h1")
				in[1].Status, in[2].Status = "exited", statusUnhealthy
				return in
			}(), Assignments: assign(4, "a", "b")},
			planned: []string{"web-2", "web-3"}, instances: 4},
		{name: "drift: another image under berth's labels is replaced", in: planInput{Hash: "h1", Pinned: "img@h1", HasPrior: true,
			Existing: func() []app.Instance {
				in := four("h1")
				in[0].ImageDigest = "other@sha256:x"
				return in
			}(), Assignments: assign(4, "a", "b")},
			waves: [][]string{{"web-1"}}, planned: []string{"web-1"}, instances: 4},
		{name: "growth 3, initial 2 over 10", in: planInput{Hash: "h2", Pinned: "img@h2", HasPrior: true,
			Existing: func() []app.Instance {
				var in []app.Instance
				for i := 1; i <= 10; i++ {
					in = append(in, run("web-"+itoa(i), "a", "h1"))
				}
				return in
			}(), Assignments: assign(10, "a"), Rollout: app.Rollout{InitialBatch: 2, Growth: 3}},
			waves:   [][]string{{"web-1", "web-2"}, {"web-3", "web-4", "web-5", "web-6", "web-7", "web-8"}, {"web-9", "web-10"}},
			planned: []string{"web-1", "web-2", "web-3", "web-4", "web-5", "web-6", "web-7", "web-8", "web-9", "web-10"}, instances: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.Rollout.InitialBatch == 0 {
				tt.in.Rollout = ro
			}
			out := decide(tt.in)
			var waves [][]string
			if out.Rollout != nil {
				for _, w := range out.Rollout.Waves {
					var names []string
					for _, in := range w.Instances {
						names = append(names, in.Name)
						if want := tt.in.Assignments[slices.IndexFunc(tt.in.Assignments, func(a scheduler.Assignment) bool { return a.Instance == in.Name })].Host; in.Host != want {
							t.Errorf("%s planned on %s, want %s", in.Name, in.Host, want)
						}
					}
					waves = append(waves, names)
				}
			}
			if !slices.EqualFunc(waves, tt.waves, slices.Equal) {
				t.Errorf("waves %v, want %v", waves, tt.waves)
			}
			if (out.Rollout != nil) != (tt.waves != nil) {
				t.Errorf("rollout %v, want waves %v", out.Rollout, tt.waves)
			}
			var planned []string
			for _, in := range out.Instances {
				if in.Planned {
					planned = append(planned, in.Name)
					if in.ConfigHash != tt.in.Hash || in.ImageDigest != tt.in.Pinned {
						t.Errorf("%s planned with %s %s", in.Name, in.ConfigHash, in.ImageDigest)
					}
				}
			}
			if !slices.Equal(planned, tt.planned) {
				t.Errorf("to create %v, want %v", planned, tt.planned)
			}
			if len(out.Instances) != tt.instances {
				t.Errorf("%d instances, want %d", len(out.Instances), tt.instances)
			}
			if out.Rollout != nil && (out.Rollout.MinHealthy != tt.in.Rollout.MinHealthy || out.Rollout.AutoRevert != tt.in.Rollout.AutoRevert) {
				t.Errorf("rollout %+v, want the settings of %+v", out.Rollout, tt.in.Rollout)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestInstancesOf(t *testing.T) {
	ports := []app.Port{{Name: "http", Container: 8080, Protocol: "tcp"}}
	b := netip.MustParseAddr("192.0.2.7")
	ls := []live{
		{Host: "a", Container: Container{ID: "c2", State: "running", Health: "unhealthy", Image: "r@sha256:2", Labels: InstanceLabels{Instance: "web-2", ConfigHash: "h"}, Ports: map[string]uint16{"8080/tcp": 32000}}},
		{Host: "b", Address: b, Container: Container{ID: "c1", State: "running", Image: "r@sha256:1", Labels: InstanceLabels{Instance: "web-1", ConfigHash: "h"}, Ports: map[string]uint16{"8080/tcp": 32001, "9/tcp": 32002}}},
		{Host: "b", Container: Container{ID: "c3", State: "running", Labels: InstanceLabels{Instance: "web-3"}}},
		{Host: "b", Container: Container{ID: "c4", State: "exited", Labels: InstanceLabels{Instance: "web-4"}}},
	}
	got := instancesOf(ls, ports, map[string]bool{"c3": true})
	want := map[string]string{"web-1": statusRunning, "web-2": statusUnhealthy, "web-3": statusNotReady, "web-4": "exited"}
	for _, in := range got {
		if in.Status != want[in.Name] {
			t.Errorf("%s: status %s, want %s", in.Name, in.Status, want[in.Name])
		}
		if in.Ready != (in.Status == statusRunning) {
			t.Errorf("%s (%s): ready %v", in.Name, in.Status, in.Ready)
		}
	}
	if got[1].Addresses["http"] != (app.Address{IP: "192.0.2.7", Port: 32001}) || got[1].Addresses["9/tcp"].Port != 32002 {
		t.Errorf("addresses %v", got[1].Addresses)
	}
	v := app.InstancesValue(got)
	if v.LengthInt() != 4 || v.Index(cty.NumberIntVal(0)).GetAttr("name").AsString() != "web-1" {
		t.Errorf("instances value %#v", v)
	}
}

func TestPlanScalingPolicyAndDestroy(t *testing.T) {
	p := New()
	resp := p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{TypeName: TypeApp,
		PriorState: nullAppForTest(), ProposedNewState: nullAppForTest()})
	if len(resp.Diagnostics) > 0 || !resp.PlannedState.IsNull() {
		t.Errorf("destroy plan: %v %#v", resp.Diagnostics, resp.PlannedState)
	}
}

// An endpoint that accepts connections and never answers (a wedged
// dockerd) fails the call after AnswerTimeout instead of hanging plan,
// refresh and drift.
func TestConnectToAnEngineThatNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conns := make(chan net.Conn, 16)
	defer func() {
		l.Close()
		for len(conns) > 0 {
			(<-conns).Close()
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns <- c // held open, never answered
		}
	}()
	defer func(d time.Duration) { AnswerTimeout = d }(AnswerTimeout)
	AnswerTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err = Connect(context.Background(), HostConfig{Name: "wedged", Endpoint: "tcp://" + l.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") || !strings.Contains(err.Error(), `docker host "wedged"`) {
		t.Fatalf("Connect = %v", err)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("gave up after %s", el)
	}
}

// A reservation stands for its own deployments only: another
// configuration's app of the same name on a shared host still counts by
// its containers.
func TestReservationsStandForTheirDeployments(t *testing.T) {
	p := New()
	p.reserved["web"] = reservation{ids: map[string]bool{"d1": true}}
	own := Container{Labels: InstanceLabels{App: "web", ID: "d1"}}
	other := Container{Labels: InstanceLabels{App: "web", ID: "d9"}}
	if !p.reservedFor(own) || p.reservedFor(other) {
		t.Errorf("reservedFor: own %v, other configuration's %v", p.reservedFor(own), p.reservedFor(other))
	}
	// The id a first apply picks joins the reservation.
	p.reserveID("web", "d2")
	if !p.reservedFor(Container{Labels: InstanceLabels{App: "web", ID: "d2"}}) {
		t.Error("the containers of the app's first apply are not its reservation's")
	}
}
