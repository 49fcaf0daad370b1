package elbv2emulator

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// testScale runs the emulator's clocks 10 times faster in tests: a 5 s
// health check interval is 0.5 s, a 30 s deregistration delay 3 s.
const testScale = 0.1

// waitFor is the generous deadline of every wait in these tests.
const waitFor = 60 * time.Second

func startEmulator(t *testing.T) *Server {
	t.Helper()
	s, err := Start(Options{TimeScale: testScale, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newClient(s *Server) *elbv2.Client {
	return elbv2.New(elbv2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL()),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

// backend is a target: an HTTP server on 127.0.0.1 answering its name,
// its health check path /health with a settable status.
type backend struct {
	name   string
	srv    *httptest.Server
	hits   atomic.Int64 // requests other than health checks
	checks atomic.Int64 // health checks
	health atomic.Int32 // the status /health answers
	// hold, if set, blocks requests to /slow until it is closed.
	hold chan struct{}
}

func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name, hold: make(chan struct{})}
	b.health.Store(http.StatusOK)
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			b.checks.Add(1)
			if ua := r.Header.Get("User-Agent"); ua != "ELB-HealthChecker/2.0" {
				t.Errorf("health check User-Agent %q", ua)
			}
			w.WriteHeader(int(b.health.Load()))
			return
		case "/slow":
			b.hits.Add(1)
			select {
			case <-b.hold:
			case <-r.Context().Done():
				return
			}
		default:
			b.hits.Add(1)
		}
		w.Header().Set("X-Backend", b.name)
		_, _ = io.WriteString(w, b.name)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) port() int32 {
	_, p, _ := net.SplitHostPort(b.srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	return int32(n)
}

func (b *backend) target() types.TargetDescription {
	return types.TargetDescription{Id: aws.String("127.0.0.1"), Port: aws.Int32(b.port())}
}

// fixture is an emulator, a client and an application load balancer.
type fixture struct {
	s     *Server
	c     *elbv2.Client
	ctx   context.Context
	lbARN string
}

func newFixture(t *testing.T, typ types.LoadBalancerTypeEnum) *fixture {
	t.Helper()
	s := startEmulator(t)
	f := &fixture{s: s, c: newClient(s), ctx: context.Background()}
	out, err := f.c.CreateLoadBalancer(f.ctx, &elbv2.CreateLoadBalancerInput{
		Name:    aws.String("web"),
		Type:    typ,
		Subnets: []string{"subnet-aaaa", "subnet-bbbb"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.lbARN = aws.ToString(out.LoadBalancers[0].LoadBalancerArn)
	return f
}

// targetGroup creates an ip target group checking /health every 5 s
// (0.5 s here), healthy after 2 successes, unhealthy after 2 failures.
func (f *fixture) targetGroup(t *testing.T, name string, mods ...func(*elbv2.CreateTargetGroupInput)) string {
	t.Helper()
	in := &elbv2.CreateTargetGroupInput{
		Name:                       aws.String(name),
		Protocol:                   types.ProtocolEnumHttp,
		Port:                       aws.Int32(80),
		VpcId:                      aws.String("vpc-1"),
		TargetType:                 types.TargetTypeEnumIp,
		HealthCheckPath:            aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(5),
		HealthCheckTimeoutSeconds:  aws.Int32(2),
		HealthyThresholdCount:      aws.Int32(2),
		UnhealthyThresholdCount:    aws.Int32(2),
	}
	for _, m := range mods {
		m(in)
	}
	out, err := f.c.CreateTargetGroup(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

// listener creates a listener forwarding to the groups (weight 1 each
// unless weights are given) and returns its ARN and address.
func (f *fixture) listener(t *testing.T, protocol types.ProtocolEnum, port int32, tgs []string, weights ...int32) (string, string) {
	t.Helper()
	fc := &types.ForwardActionConfig{}
	for i, tg := range tgs {
		w := int32(1)
		if i < len(weights) {
			w = weights[i]
		}
		fc.TargetGroups = append(fc.TargetGroups, types.TargetGroupTuple{TargetGroupArn: aws.String(tg), Weight: aws.Int32(w)})
	}
	out, err := f.c.CreateListener(f.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: aws.String(f.lbARN),
		Protocol:        protocol,
		Port:            aws.Int32(port),
		DefaultActions:  []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: fc}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.Listeners[0].ListenerArn)
	addr, ok := f.s.ListenerAddr(arn)
	if !ok {
		t.Fatalf("no address for listener %s", arn)
	}
	return arn, addr
}

func (f *fixture) register(t *testing.T, tg string, bs ...*backend) {
	t.Helper()
	var ts []types.TargetDescription
	for _, b := range bs {
		ts = append(ts, b.target())
	}
	if _, err := f.c.RegisterTargets(f.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: ts}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) deregister(t *testing.T, tg string, bs ...*backend) {
	t.Helper()
	var ts []types.TargetDescription
	for _, b := range bs {
		ts = append(ts, b.target())
	}
	if _, err := f.c.DeregisterTargets(f.ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: ts}); err != nil {
		t.Fatal(err)
	}
}

// health is a target's health as DescribeTargetHealth reports it.
func (f *fixture) health(t *testing.T, tg string, b *backend) types.TargetHealth {
	t.Helper()
	out, err := f.c.DescribeTargetHealth(f.ctx, &elbv2.DescribeTargetHealthInput{
		TargetGroupArn: aws.String(tg),
		Targets:        []types.TargetDescription{b.target()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TargetHealthDescriptions) != 1 {
		t.Fatalf("DescribeTargetHealth of one target gave %d", len(out.TargetHealthDescriptions))
	}
	return *out.TargetHealthDescriptions[0].TargetHealth
}

// waitState polls until a target is in state.
func (f *fixture) waitState(t *testing.T, tg string, b *backend, state types.TargetHealthStateEnum) types.TargetHealth {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		h := f.health(t, tg, b)
		if h.State == state {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("target %s is %s (%s), not %s, after %v", b.name, h.State, aws.ToString(h.Description), state, waitFor)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitInService waits with the SDK's own waiter.
func (f *fixture) waitInService(t *testing.T, tg string, bs ...*backend) {
	t.Helper()
	var ts []types.TargetDescription
	for _, b := range bs {
		ts = append(ts, b.target())
	}
	w := elbv2.NewTargetInServiceWaiter(f.c, func(o *elbv2.TargetInServiceWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 500 * time.Millisecond
	})
	if err := w.Wait(f.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg), Targets: ts}, waitFor); err != nil {
		t.Fatalf("TargetInService: %v", err)
	}
}

var httpClient = &http.Client{Timeout: waitFor}

// get sends a request through a listener and returns the status and body.
func get(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := httpClient.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// spread sends n requests and counts the answers by body ("503" etc.
// for load balancer errors).
func spread(t *testing.T, addr string, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		code, body := get(t, addr, "/")
		if code != http.StatusOK {
			body = fmt.Sprint(code)
		}
		got[body]++
	}
	return got
}
