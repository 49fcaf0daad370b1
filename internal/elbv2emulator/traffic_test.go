package elbv2emulator

import (
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestTrafficReachesOnlyHealthyTargets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	a, b, sick := newBackend(t, "a"), newBackend(t, "b"), newBackend(t, "sick")
	sick.health.Store(http.StatusInternalServerError)
	tg := f.targetGroup(t, "web")
	_, addr := f.listener(t, types.ProtocolEnumHttp, 80, []string{tg})
	f.register(t, tg, a, b, sick)

	f.waitInService(t, tg, a, b)
	h := f.waitState(t, tg, sick, types.TargetHealthStateEnumUnhealthy)
	if h.Reason != types.TargetHealthReasonEnumResponseCodeMismatch || aws.ToString(h.Description) != "Health checks failed with these codes: [500]" {
		t.Errorf("unhealthy target: %s %q", h.Reason, aws.ToString(h.Description))
	}

	got := spread(t, addr, 40)
	// Round robin among the healthy targets.
	if got["a"] != 20 || got["b"] != 20 || len(got) != 2 {
		t.Errorf("requests went to %v, want 20 to a and 20 to b", got)
	}
	if sick.hits.Load() != 0 {
		t.Errorf("the unhealthy target got %d requests", sick.hits.Load())
	}

	// Healthy again after HealthyThresholdCount successes: it gets
	// traffic again.
	sick.health.Store(http.StatusOK)
	f.waitState(t, tg, sick, types.TargetHealthStateEnumHealthy)
	got = spread(t, addr, 30)
	if got["sick"] != 10 {
		t.Errorf("after recovering: %v, want 10 of 30 to sick", got)
	}
}

func TestTargetStatesAndReasons(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	ok, slow := newBackend(t, "ok"), newBackend(t, "slow")
	// A /health that never answers: timeouts.
	slowHealth := newSlowHealthBackend(t)
	// Five successes (2 s here) to be healthy: time to see it initial.
	tg := f.targetGroup(t, "web", func(in *elbv2.CreateTargetGroupInput) { in.HealthyThresholdCount = aws.Int32(5) })
	f.register(t, tg, ok)

	// No listener forwards to the group: unused, and nobody checks it.
	h := f.health(t, tg, ok)
	if h.State != types.TargetHealthStateEnumUnused || h.Reason != types.TargetHealthReasonEnumNotInUse ||
		aws.ToString(h.Description) != "Target group is not configured to receive traffic from the load balancer" {
		t.Errorf("without a listener: %+v", h)
	}
	time.Sleep(s(3 * 5 * time.Second)) // three intervals
	if n := ok.checks.Load(); n != 0 {
		t.Errorf("an unused target was health-checked %d times", n)
	}

	lis, _ := f.listener(t, types.ProtocolEnumHttp, 80, []string{tg})
	h = f.health(t, tg, ok)
	if h.State != types.TargetHealthStateEnumInitial ||
		(h.Reason != types.TargetHealthReasonEnumRegistrationInProgress && h.Reason != types.TargetHealthReasonEnumInitialHealthChecking) {
		t.Errorf("right after a listener uses the group: %+v", h)
	}
	f.waitState(t, tg, ok, types.TargetHealthStateEnumHealthy)

	// Connection refused: FailedHealthChecks; no answer: Timeout.
	slow.srv.Close()
	f.register(t, tg, slow, slowHealth)
	h = f.waitState(t, tg, slow, types.TargetHealthStateEnumUnhealthy)
	if h.Reason != types.TargetHealthReasonEnumFailedHealthChecks || aws.ToString(h.Description) != "Health checks failed" {
		t.Errorf("refused: %+v", h)
	}
	h = f.waitState(t, tg, slowHealth, types.TargetHealthStateEnumUnhealthy)
	if h.Reason != types.TargetHealthReasonEnumTimeout || aws.ToString(h.Description) != "Request timed out" {
		t.Errorf("timed out: %+v", h)
	}

	// A target never registered.
	out, err := f.c.DescribeTargetHealth(f.ctx, &elbv2.DescribeTargetHealthInput{
		TargetGroupArn: aws.String(tg),
		Targets:        []types.TargetDescription{{Id: aws.String("127.0.0.9"), Port: aws.Int32(1234)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if th := out.TargetHealthDescriptions[0].TargetHealth; th.State != types.TargetHealthStateEnumUnused || th.Reason != types.TargetHealthReasonEnumNotRegistered {
		t.Errorf("never registered: %+v", th)
	}

	// Deleting the listener makes the targets unused again.
	if _, err := f.c.DeleteListener(f.ctx, &elbv2.DeleteListenerInput{ListenerArn: aws.String(lis)}); err != nil {
		t.Fatal(err)
	}
	if h := f.health(t, tg, ok); h.State != types.TargetHealthStateEnumUnused {
		t.Errorf("after the listener is deleted: %+v", h)
	}
}

// s is d on the test's emulator clock.
func s(d time.Duration) time.Duration { return time.Duration(float64(d) * testScale) }

func newSlowHealthBackend(t *testing.T) *backend {
	b := newBackend(t, "slowhealth")
	inner := b.srv.Config.Handler
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	b.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			select {
			case <-r.Context().Done():
			case <-done:
			}
			return
		}
		inner.ServeHTTP(w, r)
	})
	return b
}

func TestWeightedTargetGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	blue, green := newBackend(t, "blue"), newBackend(t, "green")
	tgBlue, tgGreen := f.targetGroup(t, "blue"), f.targetGroup(t, "green")
	_, addr := f.listener(t, types.ProtocolEnumHttp, 80, []string{tgBlue, tgGreen}, 3, 1)
	f.register(t, tgBlue, blue)
	f.register(t, tgGreen, green)
	f.waitInService(t, tgBlue, blue)
	f.waitInService(t, tgGreen, green)

	const n = 400
	got := spread(t, addr, n)
	if got["blue"]+got["green"] != n {
		t.Fatalf("answers %v", got)
	}
	// 3:1 is 300 of 400; binomial σ ≈ 8.7, allow ±5σ.
	if d := math.Abs(float64(got["blue"]) - 300); d > 45 {
		t.Errorf("blue got %d of %d, want about 300", got["blue"], n)
	}

	// A weight of 0 takes a group out of rotation.
	lis := listenerOf(t, f)
	if _, err := f.c.ModifyListener(f.ctx, &elbv2.ModifyListenerInput{
		ListenerArn: aws.String(lis),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{
			{TargetGroupArn: aws.String(tgBlue), Weight: aws.Int32(0)},
			{TargetGroupArn: aws.String(tgGreen), Weight: aws.Int32(10)},
		}}}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := spread(t, addr, 20); got["green"] != 20 {
		t.Errorf("with blue at weight 0: %v", got)
	}
}

func listenerOf(t *testing.T, f *fixture) string {
	out, err := f.c.DescribeListeners(f.ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(f.lbARN)})
	if err != nil || len(out.Listeners) == 0 {
		t.Fatalf("DescribeListeners: %v", err)
	}
	return aws.ToString(out.Listeners[0].ListenerArn)
}

func TestDraining(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	old, next := newBackend(t, "old"), newBackend(t, "new")
	tg := f.targetGroup(t, "web")
	// 60 s, 6 s here: time enough to look at the draining target.
	setDelay(t, f, tg, 60)
	_, addr := f.listener(t, types.ProtocolEnumHttp, 80, []string{tg})
	f.register(t, tg, old)
	f.waitInService(t, tg, old)

	// Two requests in flight on the old target: one finishes during the
	// drain, one outlasts it.
	type result struct {
		code int
		body string
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			resp, err := httpClient.Get("http://" + addr + "/slow")
			if err != nil {
				results <- result{code: -1, body: err.Error()}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			results <- result{resp.StatusCode, string(b)}
		}()
	}
	waitUntil(t, "both slow requests reach the old target", func() bool { return old.hits.Load() == 2 })

	f.register(t, tg, next)
	f.waitInService(t, tg, next)
	start := time.Now()
	f.deregister(t, tg, old)
	h := f.health(t, tg, old)
	if h.State != types.TargetHealthStateEnumDraining || h.Reason != types.TargetHealthReasonEnumDeregistrationInProgress ||
		aws.ToString(h.Description) != "Target deregistration is in progress" {
		t.Errorf("deregistered target: %+v", h)
	}
	// No new requests to the draining target.
	if got := spread(t, addr, 10); got["new"] != 10 {
		t.Errorf("during the drain: %v, want all 10 to the new target", got)
	}
	if old.hits.Load() != 2 {
		t.Errorf("the draining target got %d new requests", old.hits.Load()-2)
	}
	// An in-flight request completes.
	old.hold <- struct{}{}
	if r := <-results; r.code != http.StatusOK || r.body != "old" {
		t.Errorf("in-flight request during the drain: %d %q", r.code, r.body)
	}

	// After the delay the target is gone; the request still in flight is
	// cut.
	w := elbv2.NewTargetDeregisteredWaiter(f.c, func(o *elbv2.TargetDeregisteredWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(f.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{old.target()}}, waitFor); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < s(60*time.Second) {
		t.Errorf("the target left after %v, before the deregistration delay (%v)", d, s(60*time.Second))
	}
	h = f.health(t, tg, old)
	if h.State != types.TargetHealthStateEnumUnused || h.Reason != types.TargetHealthReasonEnumNotRegistered {
		t.Errorf("after the drain: %+v", h)
	}
	if r := <-results; r.code != http.StatusBadGateway {
		t.Errorf("request in flight past the deregistration delay: %d %q, want 502", r.code, r.body)
	}
	out, err := f.c.DescribeTargetHealth(f.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TargetHealthDescriptions) != 1 || aws.ToInt32(out.TargetHealthDescriptions[0].Target.Port) != next.port() {
		t.Errorf("targets after the drain: %d", len(out.TargetHealthDescriptions))
	}
}

func TestReregisterDrainingTarget(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	b := newBackend(t, "b")
	tg := f.targetGroup(t, "web")
	setDelay(t, f, tg, 20)
	f.listener(t, types.ProtocolEnumHttp, 80, []string{tg})
	f.register(t, tg, b)
	f.waitInService(t, tg, b)
	f.deregister(t, tg, b)
	if h := f.health(t, tg, b); h.State != types.TargetHealthStateEnumDraining {
		t.Fatalf("deregistered: %+v", h)
	}
	f.register(t, tg, b)
	if h := f.health(t, tg, b); h.State != types.TargetHealthStateEnumInitial && h.State != types.TargetHealthStateEnumHealthy {
		t.Errorf("registered again while draining: %+v", h)
	}
	f.waitState(t, tg, b, types.TargetHealthStateEnumHealthy)
	// The old drain does not remove it later.
	time.Sleep(s(20*time.Second) + time.Second)
	if h := f.health(t, tg, b); h.State != types.TargetHealthStateEnumHealthy {
		t.Errorf("after the old drain's delay: %+v", h)
	}
}

func TestFailOpenAndErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	a, b := newBackend(t, "a"), newBackend(t, "b")
	a.health.Store(http.StatusServiceUnavailable)
	b.health.Store(http.StatusServiceUnavailable)
	tg := f.targetGroup(t, "web")
	_, addr := f.listener(t, types.ProtocolEnumHttp, 80, []string{tg})

	// No targets at all: 503 from the load balancer.
	resp, err := httpClient.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Server") != "awselb/2.0" || !strings.Contains(string(body), "503 Service Temporarily Unavailable") {
		t.Errorf("no targets: %d %q %q", resp.StatusCode, resp.Header.Get("Server"), body)
	}

	// All unhealthy: fail open across them.
	f.register(t, tg, a, b)
	f.waitState(t, tg, a, types.TargetHealthStateEnumUnhealthy)
	f.waitState(t, tg, b, types.TargetHealthStateEnumUnhealthy)
	if got := spread(t, addr, 10); got["a"] != 5 || got["b"] != 5 {
		t.Errorf("all unhealthy: %v, want 5 each (fail open)", got)
	}

	// A healthy target that is down: 502.
	a.health.Store(http.StatusOK)
	f.waitState(t, tg, a, types.TargetHealthStateEnumHealthy)
	f.deregister(t, tg, b)
	a.srv.Close()
	if code, _ := get(t, addr, "/"); code != http.StatusBadGateway {
		t.Errorf("target down: %d, want 502", code)
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	web, api := newBackend(t, "web"), newBackend(t, "api")
	tgWeb, tgAPI := f.targetGroup(t, "web"), f.targetGroup(t, "api")
	lis, addr := f.listener(t, types.ProtocolEnumHttp, 80, []string{tgWeb})
	f.register(t, tgWeb, web)
	f.register(t, tgAPI, api)
	if h := f.health(t, tgAPI, api); h.State != types.TargetHealthStateEnumUnused {
		t.Errorf("before a rule forwards to it: %+v", h)
	}
	if _, err := f.c.CreateRule(f.ctx, &elbv2.CreateRuleInput{
		ListenerArn: aws.String(lis),
		Priority:    aws.Int32(10),
		Conditions:  []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/api/*"}}},
		Actions:     []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgAPI)}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.CreateRule(f.ctx, &elbv2.CreateRuleInput{
		ListenerArn: aws.String(lis),
		Priority:    aws.Int32(5),
		Conditions: []types.RuleCondition{{Field: aws.String("host-header"),
			HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"*.down.example"}}}},
		Actions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{
			StatusCode: aws.String("503"), ContentType: aws.String("text/plain"), MessageBody: aws.String("maintenance"),
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	f.waitInService(t, tgWeb, web)
	f.waitInService(t, tgAPI, api)

	if _, body := get(t, addr, "/api/users"); body != "api" {
		t.Errorf("/api/users went to %q", body)
	}
	if _, body := get(t, addr, "/index.html"); body != "web" {
		t.Errorf("/index.html went to %q", body)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/users", nil)
	req.Host = "shop.down.example"
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || string(body) != "maintenance" {
		t.Errorf("host rule (priority 5 before 10): %d %q", resp.StatusCode, body)
	}

	// Described as ELBv2 does: by priority, the default rule last.
	out, err := f.c.DescribeRules(f.ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(lis)})
	if err != nil {
		t.Fatal(err)
	}
	var prios []string
	for _, r := range out.Rules {
		prios = append(prios, aws.ToString(r.Priority))
	}
	if strings.Join(prios, ",") != "5,10,default" || !aws.ToBool(out.Rules[2].IsDefault) {
		t.Errorf("rules: %v", prios)
	}
	cond := out.Rules[1].Conditions[0]
	if cond.PathPatternConfig == nil || cond.PathPatternConfig.Values[0] != "/api/*" || cond.Values[0] != "/api/*" {
		t.Errorf("path-pattern condition described as %+v", cond)
	}
	fwd := out.Rules[1].Actions[0]
	if aws.ToString(fwd.TargetGroupArn) != tgAPI || fwd.ForwardConfig == nil || aws.ToInt32(fwd.ForwardConfig.TargetGroups[0].Weight) != 1 {
		t.Errorf("forward action described as %+v", fwd)
	}

	// Swapping priorities changes the routing.
	if _, err := f.c.SetRulePriorities(f.ctx, &elbv2.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: out.Rules[0].RuleArn, Priority: aws.Int32(20)},
		{RuleArn: out.Rules[1].RuleArn, Priority: aws.Int32(5)},
	}}); err != nil {
		t.Fatal(err)
	}
	resp, err = httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "api" {
		t.Errorf("after swapping priorities: %d %q", resp.StatusCode, body)
	}
}

func TestTCPListener(t *testing.T) {
	t.Parallel()
	f := newFixture(t, types.LoadBalancerTypeEnumNetwork)
	echo := newEchoServer(t)
	tg := f.targetGroup(t, "tcp", func(in *elbv2.CreateTargetGroupInput) {
		in.Protocol = types.ProtocolEnumTcp
		in.HealthCheckPath = nil
	})
	_, addr := f.listener(t, types.ProtocolEnumTcp, 443, []string{tg})
	_, port, _ := net.SplitHostPort(echo.Addr().String())
	n, _ := strconv.Atoi(port)
	tgt := types.TargetDescription{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(n))}
	if _, err := f.c.RegisterTargets(f.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{tgt}}); err != nil {
		t.Fatal(err)
	}
	w := elbv2.NewTargetInServiceWaiter(f.c, func(o *elbv2.TargetInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(f.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}, waitFor); err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(waitFor))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("echo through the listener: %q %v", buf, err)
	}
}

func newEchoServer(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func setDelay(t *testing.T, f *fixture, tg string, seconds int) {
	t.Helper()
	if _, err := f.c.ModifyTargetGroupAttributes(f.ctx, &elbv2.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(tg),
		Attributes:     []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(strconv.Itoa(seconds))}},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestHTTPSInstanceTargets checks and proxies to TLS targets (not
// verified, as ELBv2 does not verify them), registered as instances
// whose IDs are hosts.
func TestHTTPSInstanceTargets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "tls:"+r.Header.Get("X-Forwarded-Proto")+":"+r.Header.Get("X-Forwarded-Port"))
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	n, _ := strconv.Atoi(port)
	tg := f.targetGroup(t, "tls", func(in *elbv2.CreateTargetGroupInput) {
		in.Protocol = types.ProtocolEnumHttps
		in.TargetType = types.TargetTypeEnumInstance
		in.HealthCheckPath = aws.String("/")
	})
	_, addr := f.listener(t, types.ProtocolEnumHttp, 8080, []string{tg})
	if _, err := f.c.RegisterTargets(f.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg),
		Targets: []types.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(n))}}}); err != nil {
		t.Fatal(err)
	}
	w := elbv2.NewTargetInServiceWaiter(f.c, func(o *elbv2.TargetInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(f.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}, waitFor); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, addr, "/"); code != 200 || body != "tls:http:8080" {
		t.Errorf("through the listener: %d %q", code, body)
	}
}

// TestCloseEndsTCPForwarding closes the emulator while a connection is
// forwarded to a target that never closes it.
func TestCloseEndsTCPForwarding(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{TimeScale: testScale, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{s: s, c: newClient(s), ctx: t.Context()}
	out, err := f.c.CreateLoadBalancer(f.ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("n"), Type: types.LoadBalancerTypeEnumNetwork, Subnets: []string{"subnet-a"}})
	if err != nil {
		t.Fatal(err)
	}
	f.lbARN = aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		silent.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	tg := f.targetGroup(t, "tcp", func(in *elbv2.CreateTargetGroupInput) { in.Protocol = types.ProtocolEnumTcp; in.HealthCheckPath = nil })
	_, addr := f.listener(t, types.ProtocolEnumTcp, 80, []string{tg})
	_, port, _ := net.SplitHostPort(silent.Addr().String())
	n, _ := strconv.Atoi(port)
	if _, err := f.c.RegisterTargets(f.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(n))}}}); err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "hello"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitFor):
		t.Fatal("Close hangs on a forwarded connection")
	}
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("the client's connection is open after Close")
	}
}
