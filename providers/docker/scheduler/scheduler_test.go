package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const gi = int64(1) << 30

func host(name string, cores float64, memGi int64, labels ...string) Host {
	h := Host{Name: name, CPU: MilliCPU(cores * 1000), Memory: memGi * gi, Labels: map[string]string{}}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		h.Labels[k] = v
	}
	return h
}

// holding marks host ports of h as taken by another app.
func holding(h Host, by string, ports ...int) Host {
	h.UsedPorts = map[int]string{}
	for _, p := range ports {
		h.UsedPorts[p] = by
	}
	return h
}

func used(h Host, cores float64, memGi int64) Host {
	h.UsedCPU = MilliCPU(cores * 1000)
	h.UsedMemory = memGi * gi
	return h
}

// layout renders a placement compactly: "web-1@a web-2@b* -web-3" where *
// marks a kept instance and -x a removed one.
func layout(p Placement) string {
	var parts []string
	for _, a := range p.Assignments {
		s := a.Instance + "@" + a.Host
		if a.Kept {
			s += "*"
		}
		if a.MovedFrom != "" {
			s += "<" + a.MovedFrom
		}
		parts = append(parts, s)
	}
	for _, r := range p.Removed {
		parts = append(parts, "-"+r)
	}
	return strings.Join(parts, " ")
}

func existing(pairs ...string) []Instance {
	var out []Instance
	for _, p := range pairs {
		name, h, _ := strings.Cut(p, "@")
		out = append(out, Instance{Name: name, Host: h})
	}
	return out
}

func TestPlace(t *testing.T) {
	three := []Host{host("a", 4, 8, "pool=core"), host("b", 4, 8, "pool=core"), host("c", 4, 8, "pool=batch")}
	// Two hosts in zone x, one in zone y.
	zoned := []Host{host("a", 4, 8, "zone=x"), host("b", 4, 8, "zone=x"), host("c", 4, 8, "zone=y")}
	tests := []struct {
		name  string
		hosts []Host
		req   Request
		want  string
	}{
		{
			name:  "spread puts one per eligible host first",
			hosts: three,
			req:   Request{Replicas: 2, CPU: 500, NodeSelector: map[string]string{"pool": "core"}, SpreadHosts: true},
			want:  "web-1@a web-2@b",
		},
		{
			name:  "spread evens out when replicas exceed hosts",
			hosts: three,
			req:   Request{Replicas: 5, CPU: 500, SpreadHosts: true},
			want:  "web-1@a web-2@b web-3@c web-4@a web-5@b",
		},
		{
			name:  "spread goes uneven only when capacity forces it",
			hosts: []Host{host("a", 4, 8), host("b", 1, 8)},
			req:   Request{Replicas: 4, CPU: 1000, SpreadHosts: true},
			want:  "web-1@a web-2@b web-3@a web-4@a",
		},
		{
			name:  "without spread the host with most free CPU wins each time",
			hosts: []Host{host("a", 4, 8), used(host("b", 4, 8), 3, 0)},
			req:   Request{Replicas: 3, CPU: 1000},
			want:  "web-1@a web-2@a web-3@a",
		},
		{
			name:  "other apps' requests count against capacity",
			hosts: []Host{used(host("a", 2, 8), 1.5, 0), host("b", 2, 8)},
			req:   Request{Replicas: 3, CPU: 500, SpreadHosts: true},
			want:  "web-1@b web-2@a web-3@b",
		},
		{
			name:  "a fixed host port: one instance per host, without spread too",
			hosts: []Host{host("a", 4, 8), host("b", 4, 8), host("c", 4, 8)},
			req:   Request{Replicas: 3, CPU: 500, HostPorts: []int{8080}},
			want:  "web-1@a web-2@b web-3@c",
		},
		{
			name:  "a fixed host port: hosts where another app holds it are skipped",
			hosts: []Host{holding(host("a", 4, 8), "app.api", 8080), host("b", 4, 8), holding(host("c", 4, 8), "app.db", 5432)},
			req:   Request{Replicas: 2, CPU: 500, HostPorts: []int{8080}},
			want:  "web-1@b web-2@c",
		},
		{
			name:  "a fixed host port: an instance of the previous spec stays on its host (the rollout replaces it there)",
			hosts: []Host{host("a", 4, 8), host("b", 4, 8)},
			req:   Request{Replicas: 2, HostPorts: []int{8080}, Existing: existing("web-1@b", "web-2@a")},
			want:  "web-1@b* web-2@a*",
		},
		{
			name:  "existing instances stay even when a new host would spread better",
			hosts: []Host{host("a", 4, 8), host("b", 4, 8)},
			req:   Request{Replicas: 3, CPU: 500, SpreadHosts: true, Existing: existing("web-1@a", "web-2@a")},
			want:  "web-1@a* web-2@a* web-3@b",
		},
		{
			name:  "an instance on a host that no longer matches moves and keeps its name",
			hosts: []Host{host("a", 4, 8, "pool=core"), host("b", 4, 8, "pool=batch"), host("c", 4, 8, "pool=core")},
			req:   Request{Replicas: 2, CPU: 500, NodeSelector: map[string]string{"pool": "core"}, SpreadHosts: true, Existing: existing("web-1@a", "web-2@b")},
			want:  "web-1@a* web-2@c<b",
		},
		{
			name:  "an instance on a vanished host moves",
			hosts: []Host{host("a", 4, 8)},
			req:   Request{Replicas: 2, CPU: 500, Existing: existing("web-1@a", "web-2@gone")},
			want:  "web-1@a* web-2@a<gone",
		},
		{
			name:  "an instance that no longer fits after a resource change moves",
			hosts: []Host{host("a", 1, 8), host("b", 2, 8)},
			req:   Request{Replicas: 2, CPU: 1000, SpreadHosts: true, Existing: existing("web-1@a", "web-2@a")},
			want:  "web-1@a* web-2@b<a",
		},
		{
			name:  "scale down leaves the most crowded host first",
			hosts: []Host{host("a", 4, 8), host("b", 4, 8)},
			req:   Request{Replicas: 2, CPU: 500, SpreadHosts: true, Existing: existing("web-1@a", "web-2@a", "web-3@a", "web-4@b")},
			want:  "web-1@a* web-4@b* -web-2 -web-3",
		},
		{
			name:  "scale down drops instances that would have to move first",
			hosts: []Host{host("a", 4, 8)},
			req:   Request{Replicas: 1, CPU: 500, Existing: existing("web-1@gone", "web-2@a")},
			want:  "web-2@a* -web-1",
		},
		{
			name:  "new instances take the lowest free numbers",
			hosts: []Host{host("a", 4, 8)},
			req:   Request{Replicas: 3, Existing: existing("web-2@a")},
			want:  "web-1@a web-2@a* web-3@a",
		},
		{
			name:  "instance numbers sort numerically",
			hosts: []Host{host("a", 64, 64)},
			req:   Request{Replicas: 11, Existing: existing("web-10@a")},
			want:  "web-1@a web-2@a web-3@a web-4@a web-5@a web-6@a web-7@a web-8@a web-9@a web-10@a* web-11@a",
		},
		{
			name:  "zero replicas removes everything",
			hosts: []Host{host("a", 4, 8)},
			req:   Request{Replicas: 0, Existing: existing("web-1@a")},
			want:  "-web-1",
		},
		{
			name:  "memory counts too",
			hosts: []Host{host("a", 8, 1), host("b", 8, 4)},
			req:   Request{Replicas: 3, CPU: 100, Memory: gi, SpreadHosts: true},
			want:  "web-1@b web-2@a web-3@b",
		},
		{
			name:  "host spread ignores zones",
			hosts: zoned,
			req:   Request{Replicas: 4, CPU: 500, SpreadHosts: true},
			want:  "web-1@a web-2@b web-3@c web-4@a",
		},
		{
			name:  "zone spread balances zones first, then hosts within a zone",
			hosts: zoned,
			req:   Request{Replicas: 4, CPU: 500, SpreadZones: true},
			want:  "web-1@a web-2@c web-3@b web-4@c",
		},
		{
			name:  "zone spread counts only eligible hosts",
			hosts: []Host{host("a", 4, 8, "zone=x", "pool=core"), host("b", 4, 8, "zone=y", "pool=core"), host("c", 4, 8, "pool=batch")},
			req:   Request{Replicas: 3, CPU: 500, NodeSelector: map[string]string{"pool": "core"}, SpreadZones: true},
			want:  "web-1@a web-2@b web-3@a",
		},
		{
			name:  "zone spread goes uneven only when capacity forces it",
			hosts: []Host{host("a", 4, 8, "zone=x"), host("b", 1, 8, "zone=y")},
			req:   Request{Replicas: 4, CPU: 1000, SpreadZones: true},
			want:  "web-1@a web-2@b web-3@a web-4@a",
		},
		{
			name:  "zone spread keeps existing instances and fills the emptiest zone",
			hosts: zoned,
			req:   Request{Replicas: 3, CPU: 500, SpreadZones: true, Existing: existing("web-1@a", "web-2@b")},
			want:  "web-1@a* web-2@b* web-3@c",
		},
		{
			name:  "zone spread: scale down leaves the most crowded zone first",
			hosts: zoned,
			req:   Request{Replicas: 2, CPU: 500, SpreadZones: true, Existing: existing("web-1@a", "web-2@b", "web-3@c")},
			want:  "web-1@a* web-3@c* -web-2",
		},
		{
			name:  "without zone spread scale down ignores zones",
			hosts: zoned,
			req:   Request{Replicas: 2, CPU: 500, SpreadHosts: true, Existing: existing("web-1@a", "web-2@b", "web-3@c")},
			want:  "web-1@a* web-2@b* -web-3",
		},
		{
			name:  "ties break by name, deterministically",
			hosts: []Host{host("z", 2, 2), host("m", 2, 2), host("b", 2, 2)},
			req:   Request{Replicas: 1, SpreadHosts: true},
			want:  "web-1@b",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.App, tt.req.Name = "app.web", "web"
			p, err := Place(tt.hosts, tt.req)
			if err != nil {
				t.Fatalf("Place: %v", err)
			}
			if got := layout(p); got != tt.want {
				t.Errorf("placement\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestPlaceImpossible(t *testing.T) {
	tests := []struct {
		name    string
		hosts   []Host
		req     Request
		wantErr string
	}{
		{
			name:    "CPU, with the numbers",
			hosts:   []Host{used(host("edge-1", 2, 8, "pool=core"), 0.5, 0), used(host("edge-2", 2, 8, "pool=core"), 1.5, 0), host("big", 64, 64, "pool=batch")},
			req:     Request{Replicas: 6, CPU: 500, NodeSelector: map[string]string{"pool": "core"}, SpreadHosts: true},
			wantErr: "app.web needs 6 × 0.5 CPU on pool=core; hosts edge-1 (1.5 free), edge-2 (0.5 free)",
		},
		{
			name:    "memory",
			hosts:   []Host{host("a", 8, 1), used(host("b", 8, 2), 0, 1)},
			req:     Request{Replicas: 3, CPU: 100, Memory: 768 << 20},
			wantErr: "app.web needs 3 × 768Mi memory on any host; hosts a (1Gi free), b (1Gi free)",
		},
		{
			name:    "both",
			hosts:   []Host{host("a", 1, 1)},
			req:     Request{Replicas: 2, CPU: 600, Memory: 600 << 20},
			wantErr: "app.web needs 2 × 0.6 CPU and 2 × 600Mi memory on any host; hosts a (1 free, 1Gi free)",
		},
		{
			name:    "no host matches",
			hosts:   []Host{host("a", 4, 8, "pool=batch")},
			req:     Request{Replicas: 1, NodeSelector: map[string]string{"pool": "core", "zone": "x"}},
			wantErr: "app.web needs 1 replicas on pool=core,zone=x, but no host matches",
		},
		{
			name:    "zone spread on a host without a zone",
			hosts:   []Host{host("a", 4, 8, "zone=x"), host("b", 4, 8)},
			req:     Request{Replicas: 2, SpreadZones: true},
			wantErr: `app.web spreads over zones, but host b has no "zone" label`,
		},
		{
			name:    "a fixed host port: more replicas than hosts that can take one",
			hosts:   []Host{holding(host("a", 4, 8), "app.api", 8080), host("b", 4, 8), host("c", 4, 8, "pool=batch")},
			req:     Request{Replicas: 3, HostPorts: []int{8080}, Existing: existing("web-1@b")},
			wantErr: "app.web publishes host port 8080, so it runs at most one instance per host, on hosts where no other app holds the port: 3 replicas on any host, but 1 found no such host (a: port 8080 is taken by app.api; b: runs web-1; c: runs web-2). Add hosts, lower replicas, or drop the fixed host port",
		},
		{
			name:    "a fixed host port that is not the cause: the capacity error",
			hosts:   []Host{host("a", 1, 8)},
			req:     Request{Replicas: 1, CPU: 2000, HostPorts: []int{8080}},
			wantErr: "app.web needs 1 × 2 CPU on any host; hosts a (1 free)",
		},
		{
			name:    "negative replicas",
			hosts:   []Host{host("a", 4, 8)},
			req:     Request{Replicas: -1},
			wantErr: "app.web: replicas must not be negative (got -1)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.App, tt.req.Name = "app.web", "web"
			p, err := Place(tt.hosts, tt.req)
			if err == nil {
				t.Fatalf("Place succeeded: %s", layout(p))
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T, want *Error", err)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.wantErr)
			}
		})
	}
}

// TestPlaceStable: placing again with the previous result as Existing
// changes nothing, for many shapes.
func TestPlaceStable(t *testing.T) {
	hosts := []Host{host("a", 3, 8, "zone=x"), host("b", 2, 8, "zone=y"), host("c", 4, 2, "zone=x")}
	spreads := map[string]Request{"none": {}, "host": {SpreadHosts: true}, "zone": {SpreadZones: true}}
	for replicas := 0; replicas <= 12; replicas++ {
		for spread, sr := range spreads {
			req := Request{App: "app.web", Name: "web", Replicas: replicas, CPU: 500, Memory: 256 << 20, SpreadHosts: sr.SpreadHosts, SpreadZones: sr.SpreadZones}
			first, err := Place(hosts, req)
			if err != nil {
				continue // over capacity: covered by TestPlaceImpossible
			}
			for _, a := range first.Assignments {
				req.Existing = append(req.Existing, Instance{Name: a.Instance, Host: a.Host})
			}
			second, err := Place(hosts, req)
			if err != nil {
				t.Fatalf("replicas=%d spread=%s: second Place: %v", replicas, spread, err)
			}
			for _, a := range second.Assignments {
				if !a.Kept {
					t.Errorf("replicas=%d spread=%s: %s not kept: %s", replicas, spread, a.Instance, layout(second))
				}
			}
			if len(second.Assignments) != replicas || len(second.Removed) != 0 {
				t.Errorf("replicas=%d spread=%s: %s", replicas, spread, layout(second))
			}
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{MilliCPU(500).String(), "0.5"},
		{MilliCPU(2000).String(), "2"},
		{MilliCPU(1250).String(), "1.25"},
		{FormatBytes(512), "512"},
		{FormatBytes(512 << 20), "512Mi"},
		{FormatBytes(3 << 29), "1.5Gi"},
		{FormatBytes(25276502016), "23.54Gi"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// An instance that runs the current spec stays on its host even when
// another app has taken the room since; one that must be replaced by a new
// spec needs the room.
func TestCurrentInstancesStay(t *testing.T) {
	full := []Host{{Name: "a", CPU: 2000, UsedCPU: 1900}}
	r := Request{App: "app.web", Name: "web", Replicas: 1, CPU: 500,
		Existing: []Instance{{Name: "web-1", Host: "a", Current: true}}}
	pl, err := Place(full, r)
	if err != nil || len(pl.Assignments) != 1 || !pl.Assignments[0].Kept {
		t.Fatalf("current instance: %+v, %v", pl, err)
	}
	r.Existing[0].Current = false
	if _, err := Place(full, r); err == nil {
		t.Fatal("an instance to replace was placed on a host without room")
	}
}
