package aws

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/probe"
)

func TestMapHealthCheck(t *testing.T) {
	ports := []app.Port{{Name: "http", Container: 8080}, {Name: "admin", Container: 9090}}
	httpProbe := func(path string, port string, status ...int) *app.Probe {
		return &app.Probe{HTTP: &app.HTTPCheck{Path: path, Port: app.ParsePortRef(port), Scheme: "HTTP", Status: status},
			Period: 10 * time.Second, Timeout: time.Second, FailureThreshold: 3, SuccessThreshold: 1}
	}
	dur := func(d time.Duration) *time.Duration { return &d }
	num := func(n int) *int { return &n }
	str := func(s string) *string { return &s }
	docker := &publication{Port: "http", Container: 8080, Published: 32768}
	admin, httpPort := app.PortRef{Name: "admin"}, app.PortRef{Name: "http"}
	tests := []struct {
		name      string
		lbType    string
		readiness *app.Probe
		override  probe.Override
		pub       *publication
		want      healthCheck
		err       string
	}{
		{name: "http probe of the target port", lbType: typeApplication, readiness: httpProbe("/health", "http"),
			want: healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/health", Matcher: "200-399", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "port by number is the target port", lbType: typeApplication, readiness: httpProbe("/", "8080"),
			want: healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/", Matcher: "200-399", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "another port of the app", lbType: typeApplication, readiness: httpProbe("/ready", "admin"),
			want: healthCheck{Protocol: "HTTP", Port: "9090", Path: "/ready", Matcher: "200-399", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "status list", lbType: typeApplication, readiness: httpProbe("/", "http", 204, 200),
			want: healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/", Matcher: "200,204", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "status range", lbType: typeApplication, readiness: httpProbe("/", "http", 200, 201, 202),
			want: healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/", Matcher: "200-202", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "one status", lbType: typeNetwork, readiness: httpProbe("/", "http", 503),
			want: healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/", Matcher: "503", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "status an ALB refuses", lbType: typeApplication, readiness: httpProbe("/", "http", 503), err: "status 503"},
		{name: "clamped up: 1s period, 1 failure", lbType: typeApplication,
			readiness: &app.Probe{HTTP: &app.HTTPCheck{Path: "/", Port: app.PortRef{Name: "http"}}, Period: time.Second, Timeout: 500 * time.Millisecond, FailureThreshold: 1, SuccessThreshold: 1},
			want:      healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/", Matcher: "200-399", Interval: 5, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 2}},
		{name: "clamped down: 10m period, 3m timeout, 20 thresholds", lbType: typeApplication,
			readiness: &app.Probe{HTTP: &app.HTTPCheck{Path: "/", Port: app.PortRef{Name: "http"}}, Period: 10 * time.Minute, Timeout: 3 * time.Minute, FailureThreshold: 20, SuccessThreshold: 20},
			want:      healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/", Matcher: "200-399", Interval: 300, Timeout: 120, HealthyThreshold: 10, UnhealthyThreshold: 10}},
		{name: "timeout kept shorter than the interval", lbType: typeApplication,
			readiness: &app.Probe{HTTP: &app.HTTPCheck{Path: "/", Port: app.PortRef{Name: "http"}}, Period: 5 * time.Second, Timeout: 4500 * time.Millisecond},
			want:      healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/", Matcher: "200-399", Interval: 5, Timeout: 4, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "no readiness behind an NLB: TCP", lbType: typeNetwork,
			want: healthCheck{Protocol: "TCP", Port: trafficPort, Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "no readiness behind an ALB: any HTTP answer", lbType: typeApplication,
			want: healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/", Matcher: "200-499", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "exec readiness keeps its timing", lbType: typeNetwork,
			readiness: &app.Probe{Exec: []string{"true"}, Period: 30 * time.Second, Timeout: 5 * time.Second, FailureThreshold: 4, SuccessThreshold: 3},
			want:      healthCheck{Protocol: "TCP", Port: trafficPort, Interval: 30, Timeout: 5, HealthyThreshold: 3, UnhealthyThreshold: 4}},
		{name: "https scheme", lbType: typeApplication,
			readiness: &app.Probe{HTTP: &app.HTTPCheck{Path: "/h", Port: app.PortRef{Name: "http"}, Scheme: "HTTPS"}},
			want:      healthCheck{Protocol: "HTTPS", Port: trafficPort, Path: "/h", Matcher: "200-399", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "overrides", lbType: typeApplication, readiness: httpProbe("/health", "http"),
			override: probe.Override{Period: dur(20 * time.Second), Timeout: dur(4 * time.Second), FailureThreshold: num(5), SuccessThreshold: num(4),
				HTTP: &probe.HTTPOverride{Path: str("/lb"), Status: []int{200}}},
			want: healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/lb", Matcher: "200", Interval: 20, Timeout: 4, HealthyThreshold: 4, UnhealthyThreshold: 5}},
		{name: "tcp override of an http probe", lbType: typeNetwork, readiness: httpProbe("/health", "http"),
			override: probe.Override{TCP: &probe.TCPOverride{}},
			want:     healthCheck{Protocol: "TCP", Port: trafficPort, Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "unknown probe port", lbType: typeApplication, readiness: httpProbe("/", "metrics"), err: `port "metrics"`},
		// Instances reached at published ports (Docker hosts): ELBv2 can
		// check the registered port, not another port's container number.
		{name: "published: the target port", lbType: typeApplication, readiness: httpProbe("/health", "http"), pub: docker,
			want: healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/health", Matcher: "200-399", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
		{name: "published: another port", lbType: typeApplication, readiness: httpProbe("/ready", "admin"), pub: docker,
			err: `the readiness probe of app web checks port "admin" (container port 9090), not the target's port "http"`},
		{name: "published: another port by number", lbType: typeNetwork, readiness: &app.Probe{TCP: &app.PortRef{Number: 9090}}, pub: docker,
			err: `would check <instance ip>:9090`},
		{name: "published: health_check names another port", lbType: typeApplication, readiness: httpProbe("/health", "http"), pub: docker,
			override: probe.Override{HTTP: &probe.HTTPOverride{Port: &admin}}, err: `health_check checks port "admin"`},
		{name: "published: health_check brings it back to the target port", lbType: typeApplication, readiness: httpProbe("/ready", "admin"), pub: docker,
			override: probe.Override{HTTP: &probe.HTTPOverride{Port: &httpPort}},
			want:     healthCheck{Protocol: "HTTP", Port: trafficPort, Path: "/ready", Matcher: "200-399", Interval: 10, Timeout: 2, HealthyThreshold: 2, UnhealthyThreshold: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := &app.Spec{Name: "web", Ports: ports, Readiness: tc.readiness}
			got, err := mapHealthCheck(tc.lbType, spec, "http", tc.override, tc.pub)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestGroupName(t *testing.T) {
	long := strings.Repeat("a", 30)
	tests := []struct {
		lb, target, suffix, want string
	}{
		{"shop", "web", "", "shop-web"},
		{"shop", "web", "http8081", "shop-web-http8081"},
		{"shop", "web_eu", "", "shop-web-eu-"},
		{long, "web", "", ""},
		{long, "api", "", ""},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		got := groupName(tc.lb, tc.target, tc.suffix)
		if len(got) > maxNameLen || strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") {
			t.Errorf("groupName(%q, %q) = %q: not a valid name", tc.lb, tc.target, got)
		}
		for _, r := range got {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				t.Errorf("groupName(%q, %q) = %q: bad character %q", tc.lb, tc.target, got, r)
			}
		}
		if seen[got] {
			t.Errorf("groupName(%q, %q) = %q twice", tc.lb, tc.target, got)
		}
		seen[got] = true
		switch {
		case strings.HasSuffix(tc.want, "-"):
			// Changed characters: cut with a hash, so that "web_eu" and
			// "web-eu" stay apart.
			if !strings.HasPrefix(got, tc.want) || got == strings.TrimSuffix(tc.want, "-") {
				t.Errorf("groupName(%q, %q) = %q, want %q and a hash", tc.lb, tc.target, got, tc.want)
			}
		case tc.want != "" && got != tc.want:
			t.Errorf("groupName(%q, %q, %q) = %q, want %q", tc.lb, tc.target, tc.suffix, got, tc.want)
		}
	}
	if n := newGroupName("shop", "web", groupKey{"HTTP", 8081}, "shop-web"); n != "shop-web-http8081" {
		t.Errorf("newGroupName beside shop-web = %q", n)
	}
	if n := newGroupName("shop", "web", groupKey{"HTTP", 8080}, "shop-web-http8081"); n != "shop-web" {
		t.Errorf("newGroupName beside shop-web-http8081 = %q", n)
	}
}
