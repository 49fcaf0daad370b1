package aws

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/internal/elbv2emulator"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// timeScale runs the emulator's health checks and drains 10 times faster:
// ELBv2's shortest health check (5s interval, 2 checks) takes a second.
const timeScale = 0.1

// env is an emulator, a provider configured against it and an SDK
// client for what a test does by hand.
type env struct {
	t   *testing.T
	srv *elbv2emulator.Server
	p   *Provider
	sdk *elb.Client
	// events collects the apply events of the provider's calls.
	mu     sync.Mutex
	events []providers.ApplyEvent
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, err := elbv2emulator.Start(elbv2emulator.Options{Region: "eu-west-1", TimeScale: timeScale, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	// The SDK's chain, with nothing of the machine's: static keys, no
	// shared files, no instance metadata, one attempt per call.
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	t.Setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "")
	p := New()
	p.pollInterval = 200 * time.Millisecond
	cfg := cty.ObjectVal(map[string]cty.Value{
		"region": cty.StringVal("eu-west-1"), "profile": cty.NullVal(cty.String), "endpoint": cty.StringVal(srv.URL()),
	})
	if r := p.ConfigureProvider(context.Background(), providers.ConfigureProviderRequest{Config: cfg}); r.Diagnostics.HasErrors() {
		t.Fatal(r.Diagnostics)
	}
	sdk := elb.New(elb.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), RetryMaxAttempts: 1})
	return &env{t: t, srv: srv, p: p, sdk: sdk}
}

func (e *env) record(ev providers.ApplyEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = append(e.events, ev)
}

// eventsOf returns the recorded events of kind, and forgets none.
func (e *env) eventsOf(kind string) []providers.ApplyEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []providers.ApplyEvent
	for _, ev := range e.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// plan plans config over prior (null: a create).
func (e *env) plan(prior, config cty.Value) providers.PlanResourceChangeResponse {
	e.t.Helper()
	return e.planWith(prior, nil, config)
}

// planWith plans config over prior, whose private data is private.
func (e *env) planWith(prior cty.Value, private []byte, config cty.Value) providers.PlanResourceChangeResponse {
	e.t.Helper()
	if prior == cty.NilVal {
		prior = cty.NullVal(config.Type())
	}
	r := e.p.PlanResourceChange(context.Background(), providers.PlanResourceChangeRequest{
		TypeName: TypeLoadBalancer, PriorState: prior, ProposedNewState: config, Config: config, PriorPrivate: private,
	})
	if r.Diagnostics.HasErrors() {
		e.t.Fatalf("plan: %s", r.Diagnostics.Error())
	}
	return r
}

// apply plans and applies config over prior; the apply's diagnostics are
// returned with its new state.
func (e *env) apply(prior, config cty.Value) providers.ApplyResourceChangeResponse {
	e.t.Helper()
	return e.applyWith(prior, nil, config)
}

// applyWith plans and applies config over prior, whose private data is
// private, as the core does: the plan's private data goes to the apply.
func (e *env) applyWith(prior cty.Value, private []byte, config cty.Value) providers.ApplyResourceChangeResponse {
	e.t.Helper()
	if prior == cty.NilVal {
		prior = cty.NullVal(config.Type())
	}
	pr := e.planWith(prior, private, config)
	if len(pr.RequiresReplace) > 0 {
		e.t.Fatalf("the plan replaces the load balancer: %v", pr.RequiresReplace)
	}
	return e.p.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{
		TypeName: TypeLoadBalancer, PriorState: prior, PlannedState: pr.PlannedState, Config: config, IdempotencyKey: "key-" + e.t.Name(),
		PlannedPrivate: pr.PlannedPrivate,
	}, e.record)
}

// mustApply is apply that fails the test on an error.
func (e *env) mustApply(prior, config cty.Value) cty.Value {
	e.t.Helper()
	r := e.apply(prior, config)
	if r.Diagnostics.HasErrors() {
		e.t.Fatalf("apply: %s", r.Diagnostics.Error())
	}
	return r.NewState
}

// read refreshes state.
func (e *env) read(state cty.Value) providers.ReadResult {
	e.t.Helper()
	r := e.p.ReadResources(context.Background(), providers.ReadResourcesRequest{Objects: []providers.ReadObject{{ID: "lb", TypeName: TypeLoadBalancer, State: state}}})
	if len(r.Results) != 1 {
		e.t.Fatalf("read: %d results", len(r.Results))
	}
	if r.Results[0].Diagnostics.HasErrors() {
		e.t.Fatalf("read: %s", r.Results[0].Diagnostics.Error())
	}
	return r.Results[0]
}

// step runs a StepDrain or StepAdmit of ins of the app deployed as appID.
func (e *env) step(kind providers.StepKind, state cty.Value, appID string, deadline time.Duration, ins ...app.Instance) providers.ApplyResourceChangeResponse {
	return e.p.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{
		TypeName: TypeLoadBalancer, PriorState: state, PlannedState: state, Config: state,
		Step: providers.RolloutStep{Kind: kind, Wave: 2, Traffic: &providers.TrafficChange{AppID: appID, Instances: ins, Deadline: deadline}},
	}, e.record)
}

// canaryStep runs a StepCanary of ins of the app deployed as appID at
// weight over state, whose private data is private, as the core does.
func (e *env) canaryStep(state cty.Value, private []byte, appID string, weight int, deadline time.Duration, ins ...app.Instance) providers.ApplyResourceChangeResponse {
	return e.p.ApplyResourceChange(context.Background(), providers.ApplyResourceChangeRequest{
		TypeName: TypeLoadBalancer, PriorState: state, PlannedState: state, Config: cty.NullVal(state.Type()), PlannedPrivate: private,
		Step: providers.RolloutStep{Kind: providers.StepCanary, Traffic: &providers.TrafficChange{AppID: appID, Instances: ins, Deadline: deadline, Weight: weight}},
	}, e.record)
}

// instance is an app instance served by an HTTP server on 127.0.0.1: it
// answers its name on /, and /health with health's status.
type instance struct {
	name   string
	srv    *httptest.Server
	health atomic.Int32
	hits   atomic.Int64
}

func newInstance(t *testing.T, name string) *instance {
	in := &instance{name: name}
	in.health.Store(http.StatusOK)
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			w.WriteHeader(int(in.health.Load()))
			return
		}
		in.hits.Add(1)
		_, _ = io.WriteString(w, name)
	}))
	t.Cleanup(in.srv.Close)
	return in
}

// addr is the instance's address.
func (in *instance) addr() app.Address {
	host, port, _ := net.SplitHostPort(in.srv.Listener.Addr().String())
	n, _ := strconv.Atoi(port)
	return app.Address{IP: host, Port: n}
}

// appInstance is the instance in the app contract, ready, reached at
// port "http".
func (in *instance) appInstance() app.Instance {
	return app.Instance{Name: in.name, Host: "h1", ID: "c-" + in.name, Status: "running", Ready: true,
		ImageDigest: "example/web@sha256:1", ConfigHash: "h1", Addresses: map[string]app.Address{"http": in.addr()}}
}

// appValue is the value of an app block (lang's schema) named name, with
// its deployment_id and instances as its platform reports them. body is
// the block's body after cluster and image.
func appValue(t *testing.T, name, body, deploymentID string, ins []app.Instance) cty.Value {
	t.Helper()
	src := "cluster = cluster.c\nimage = \"example/web:1\"\n" + body
	f, diags := hclsyntax.ParseConfig([]byte(src), "app.berth.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cluster := map[string]cty.Value{}
	for n, ty := range lang.ClusterType().AttributeTypes() {
		cluster[n] = cty.NullVal(ty)
	}
	cluster["name"], cluster["kind"] = cty.StringVal("c"), cty.StringVal("test")
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"cluster": cty.ObjectVal(map[string]cty.Value{"c": cty.ObjectVal(cluster)})}}
	v, diags := lang.AppSchema().Decode(f.Body, ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	id := cty.UnknownVal(cty.String)
	if deploymentID != "" {
		id = cty.StringVal(deploymentID)
	}
	insVal := cty.UnknownVal(cty.List(app.InstanceType))
	if ins != nil {
		insVal = app.InstancesValue(ins)
	}
	return app.WithAttrs(v, map[string]cty.Value{"name": cty.StringVal(name), "deployment_id": id, "instances": insVal})
}

// webApp is an app with an HTTP port and a readiness probe of /health.
const webApp = `
port "http" {
  container = 8080
}
port "admin" {
  container = 9090
}
readiness {
  http {
    path = "/health"
    port = "http"
  }
  period  = "5s"
  timeout = "2s"
  success_threshold = 2
  failure_threshold = 2
}
`

// lbValue is the value of load_balancer "label" (lang's schema, the
// name filled in as the evaluator does), app.NAME bound to apps.
func lbValue(t *testing.T, label, src string, apps map[string]cty.Value) cty.Value {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "lb.berth.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"app": cty.ObjectVal(apps)}}
	v, diags := lang.LoadBalancerSchema().Decode(f.Body, ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return lang.CompleteDomainValue(lang.KindLoadBalancer, label, v, nil)
}

// get sends a request through a listener of state's load balancer and
// returns the body (an instance's name).
func (e *env) get(state cty.Value, port string) (string, error) {
	e.t.Helper()
	rec := decodeRecorded(state)
	l, ok := rec.Listeners[port]
	if !ok {
		return "", fmt.Errorf("no listener %s", port)
	}
	addr, ok := e.srv.ListenerAddr(l.ARN)
	if !ok {
		return "", fmt.Errorf("listener %s is not served", l.ARN)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}

// eventually retries f until it succeeds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// health is what the SDK says of a group's targets, by "ip:port".
func (e *env) health(groupARN string) map[string]types.TargetHealthStateEnum {
	e.t.Helper()
	out, err := e.sdk.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(groupARN)})
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]types.TargetHealthStateEnum{}
	for _, d := range out.TargetHealthDescriptions {
		m[targetAddr(*d.Target)] = d.TargetHealth.State
	}
	return m
}

// waitHealthy waits until every target of a group is healthy.
func (e *env) waitAllHealthy(groupARN string, n int) {
	e.t.Helper()
	eventually(e.t, 30*time.Second, "targets healthy", func() error {
		h := e.health(groupARN)
		healthy := 0
		for _, s := range h {
			if s == types.TargetHealthStateEnumHealthy {
				healthy++
			}
		}
		if healthy != n {
			return fmt.Errorf("%d of %d healthy: %v", healthy, n, h)
		}
		return nil
	})
}

var httpClient = http.Client{Timeout: 10 * time.Second}

// applyDestroy is the request that destroys state.
func applyDestroy(state cty.Value) providers.ApplyResourceChangeRequest {
	null := cty.NullVal(state.Type())
	return providers.ApplyResourceChangeRequest{TypeName: TypeLoadBalancer, PriorState: state, PlannedState: null, Config: null}
}

type elbAction = types.Action
