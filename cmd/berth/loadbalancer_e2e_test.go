//go:build integration

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berth-sh/berth/internal/elbv2emulator"
)

// The load balancer scenarios of issue 11 through the berth binary: an app
// of 6 instances on the two test dockerd hosts behind a load balancer of
// the ELBv2 emulator (in this process, with real health checks, draining
// and listeners that forward requests), driven by the aws provider (a
// plugin process of berth) with the real AWS SDK.

// lbTimeScale runs the emulator's health-check intervals and deregistration
// delays 5 times faster: ELBv2's shortest interval is 5 s.
const lbTimeScale = 0.2

// lbApp is the configuration: the test server's image at var.tag, 6
// instances over the two hosts, rolled out in waves of 1, 2 and 3 behind
// load_balancer.web.
func lbApp(d dockerTest) string {
	return fmt.Sprintf(`
variable "tag" {
  type = string
}
variable "registry_password" {
  type      = string
  sensitive = true
}
variable "endpoint" {
  type = string
}
variable "replicas" {
  type    = number
  default = 6
}
provider "aws" {
  region   = "us-east-1"
  endpoint = var.endpoint
}
cluster "edge" {
  docker {
    host "a" {
      endpoint = %q
    }
    host "b" {
      endpoint = %q
    }
  }
}
registry "test" {
  address  = %q
  username = "berth"
  password = var.registry_password
}
app %q {
  cluster  = cluster.edge
  image    = "%s:${var.tag}"
  replicas = var.replicas
  port "http" {
    container = 8080
  }
  placement {
    spread = "host"
  }
  readiness {
    http {
      path = "/healthz"
      port = "http"
    }
    period  = "1s"
    timeout = "500ms"
  }
  rollout {
    initial_batch    = 1
    growth           = 2
    min_healthy      = "1s"
    healthy_deadline = "60s"
    auto_revert      = true
  }
}
load_balancer "web" {
  name    = %q
  subnets = ["subnet-a", "subnet-b"]
  listener {
    port = 80
  }
  target {
    app  = app.%[4]s
    port = "http"
  }
  deregistration_delay = "10s"
}
output "listener_arn" {
  value = load_balancer.web.listeners["80"].arn
}
`, d.hostA, d.hostB, d.registry, d.app, d.image, d.app)
}

// lbTest is the app behind a load balancer of an emulator of its own.
type lbTest struct {
	dockerTest
	emu *elbv2emulator.Server
	ep  string
}

func newLBTest(t *testing.T, prefix string) *lbTest {
	return newLBTestWith(t, prefix, lbApp)
}

// newLBTestWith is newLBTest with the configuration config makes.
func newLBTestWith(t *testing.T, prefix string, config func(dockerTest) string) *lbTest {
	emu, err := elbv2emulator.Start(elbv2emulator.Options{TimeScale: lbTimeScale, Logf: t.Logf})
	if err != nil {
		t.Fatalf("starting the ELBv2 emulator: %v", err)
	}
	t.Cleanup(func() { emu.Close() })
	d := dockerTest{
		hostA: dockerEnv(t, "BERTH_TEST_DOCKER_A"), hostB: dockerEnv(t, "BERTH_TEST_DOCKER_B"),
		registry: dockerEnv(t, "BERTH_TEST_REGISTRY"), image: dockerEnv(t, "BERTH_TEST_IMAGE"),
		app: fmt.Sprintf("%s%d", prefix, os.Getpid()),
		pw:  "-var=registry_password=" + dockerEnv(t, "BERTH_TEST_REGISTRY_PASSWORD"),
	}
	d.e = newE2E(t, config(d))
	d.e.env = append(d.e.env, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true")
	l := &lbTest{dockerTest: d, emu: emu, ep: "-var=endpoint=" + emu.URL()}
	t.Cleanup(func() { d.e.run("destroy", "-auto-approve", "-var=tag=v1", d.pw, l.ep) })
	return l
}

// apply runs berth apply at tag, with extra environment.
func (l *lbTest) apply(tag string, env ...string) result {
	l.e.t.Helper()
	saved := l.e.env
	l.e.env = append(append([]string{}, saved...), env...)
	defer func() { l.e.env = saved }()
	return l.e.run("apply", "-auto-approve", "-var=tag="+tag, l.pw, l.ep)
}

// listener is where the load balancer's listener is served.
func (l *lbTest) listener(t *testing.T) string {
	t.Helper()
	arn := strings.TrimSpace(l.e.ok("output", "-raw", "listener_arn").stdout)
	addr, ok := l.emu.ListenerAddr(arn)
	if !ok {
		t.Fatalf("the emulator serves no listener %q", arn)
	}
	return addr
}

// traffic is a client sending requests to the load balancer one after
// another, on 4 connections, counting the ones that fail.
type traffic struct {
	sent, failed atomic.Int64
	mu           sync.Mutex
	firstErrors  []string
	versions     map[string]int
	start        time.Time
	stop         context.CancelFunc
	done         sync.WaitGroup
}

func startTraffic(addr string) *traffic {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &traffic{stop: cancel, start: time.Now(), versions: map[string]int{}}
	client := &http.Client{Timeout: 30 * time.Second}
	for range 4 {
		tr.done.Add(1)
		go func() {
			defer tr.done.Done()
			for ctx.Err() == nil {
				tr.one(ctx, client, "http://"+addr+"/version")
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	return tr
}

func (tr *traffic) one(ctx context.Context, client *http.Client, url string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if ctx.Err() != nil {
		return // the client stopped: not a failure of the load balancer
	}
	tr.sent.Add(1)
	msg := ""
	if err != nil {
		msg = err.Error()
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg = resp.Status // the load balancer's page says no more
		} else {
			tr.mu.Lock()
			tr.versions[strings.TrimSpace(string(body))]++
			tr.mu.Unlock()
		}
	}
	if msg != "" {
		tr.failed.Add(1)
		tr.mu.Lock()
		if len(tr.firstErrors) < 5 {
			tr.firstErrors = append(tr.firstErrors, msg)
		}
		tr.mu.Unlock()
	}
}

// end stops the client and says what it saw.
func (tr *traffic) end() (sent, failed int64, rate float64, errs []string, versions map[string]int) {
	tr.stop()
	tr.done.Wait()
	secs := time.Since(tr.start).Seconds()
	return tr.sent.Load(), tr.failed.Load(), float64(tr.sent.Load()) / secs, tr.firstErrors, tr.versions
}

// TestE2ELoadBalancerRollout: a rolling update of 6 instances behind a
// load balancer loses no request of a client sending them all along; the
// same rollout without the coordination (the test-only switch) does.
func TestE2ELoadBalancerRollout(t *testing.T) {
	l := newLBTest(t, "lb")
	if r := l.apply("v1"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	addr := l.listener(t)
	// The listener forwards to the app: every instance is registered and
	// healthy once the apply ends.
	tr := startTraffic(addr)
	time.Sleep(2 * time.Second)
	if sent, failed, _, errs, _ := tr.end(); sent == 0 || failed != 0 {
		t.Fatalf("before any rollout, %d of %d requests failed: %v", failed, sent, errs)
	}
	if r := l.e.run("plan", "-detailed-exitcode", "-var=tag=v1", l.pw, l.ep); r.code != 0 {
		t.Fatalf("plan after create is not empty:\n%s", r)
	}

	// The plan shows the traffic steps of each wave.
	r := l.e.expect(2, "plan", "-detailed-exitcode", "-var=tag=v2", l.pw, l.ep)
	mustContain(t, "plan", r.stdout, "wave 1: 1 instance", "wave 3: 3 instances",
		"load_balancer.web: drain the old instance before it stops; admit the new one once healthy")

	tr = startTraffic(addr)
	r = l.apply("v2")
	sent, failed, rate, errs, versions := tr.end()
	if r.code != 0 {
		t.Fatalf("rollout to v2: %s", r)
	}
	t.Logf("coordinated rollout of 6 instances: %d requests (%.0f/s), %d failed, by version %v", sent, rate, failed, versions)
	if failed != 0 {
		t.Errorf("%d of %d requests failed during the coordinated rollout; first: %v", failed, sent, errs)
	}
	if versions["v1"] == 0 || versions["v2"] == 0 {
		t.Errorf("the client did not see the rollout happen: versions %v", versions)
	}
	mustContain(t, "apply", r.stdout, "load_balancer.web")
	if r := l.e.run("plan", "-detailed-exitcode", "-var=tag=v2", l.pw, l.ep); r.code != 0 {
		t.Fatalf("plan after the rollout is not empty:\n%s", r)
	}

	// A scale-down (no rollout: the surplus goes in one step) drains the
	// instances it removes first.
	tr = startTraffic(addr)
	r = l.apply("v2", "BERTH_VAR_replicas=3")
	sent, failed, rate, errs, _ = tr.end()
	if r.code != 0 {
		t.Fatalf("scale-down to 3: %s", r)
	}
	t.Logf("scale-down from 6 to 3: %d requests (%.0f/s), %d failed", sent, rate, failed)
	if failed != 0 {
		t.Errorf("%d of %d requests failed during the scale-down; first: %v", failed, sent, errs)
	}
	mustContain(t, "scale-down", r.stdout, "load_balancer.web: ", "draining")

	// The same rollout, back to v1, without the coordination: clients see
	// failures (old instances stop while still registered; new ones are
	// registered only at the end).
	tr = startTraffic(addr)
	r = l.apply("v1", uncoordinatedTrafficEnv+"=1")
	sent, failed, rate, errs, _ = tr.end()
	if r.code != 0 {
		t.Fatalf("uncoordinated rollout to v1: %s", r)
	}
	t.Logf("uncoordinated rollout of 6 instances: %d requests (%.0f/s), %d failed; first: %v", sent, rate, failed, errs)
	if failed == 0 {
		t.Errorf("no request of %d failed without the coordination: the test does not show that it matters", sent)
	}
}

// elbv2Client is the real SDK's client of the test's emulator.
func (l *lbTest) elbv2Client(t *testing.T) *elasticloadbalancingv2.Client {
	t.Helper()
	return elasticloadbalancingv2.New(elasticloadbalancingv2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(l.emu.URL()), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// TestE2ELoadBalancerDrift: what is changed by hand on the load balancer
// (a listener's weights, a target deregistered) is drift; apply takes it
// back.
func TestE2ELoadBalancerDrift(t *testing.T) {
	l := newLBTest(t, "lbdrift")
	if r := l.apply("v1"); r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	ctx := context.Background()
	c := l.elbv2Client(t)
	arn := strings.TrimSpace(l.e.ok("output", "-raw", "listener_arn").stdout)
	ls, err := c.DescribeListeners(ctx, &elasticloadbalancingv2.DescribeListenersInput{ListenerArns: []string{arn}})
	if err != nil || len(ls.Listeners) != 1 {
		t.Fatalf("describe listener: %v", err)
	}
	berthGroup := aws.ToString(ls.Listeners[0].DefaultActions[0].TargetGroupArn)

	// A deployer sends half the traffic to a group of its own.
	tg, err := c.CreateTargetGroup(ctx, &elasticloadbalancingv2.CreateTargetGroupInput{
		Name: aws.String("by-hand-" + l.app), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: aws.String("vpc-1"), TargetType: types.TargetTypeEnumIp,
	})
	if err != nil {
		t.Fatalf("create target group: %v", err)
	}
	handGroup := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	_, err = c.ModifyListener(ctx, &elasticloadbalancingv2.ModifyListenerInput{ListenerArn: aws.String(arn),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
			TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(berthGroup), Weight: aws.Int32(50)},
				{TargetGroupArn: aws.String(handGroup), Weight: aws.Int32(50)}}}}}})
	if err != nil {
		t.Fatalf("modify listener: %v", err)
	}
	r := l.e.expect(2, "drift", "-var=tag=v1", l.pw, l.ep)
	mustContain(t, "drift of the listener's weights", r.stdout, "load_balancer.web", "forward", handGroup)
	l.e.ok("apply", "-auto-approve", "-var=tag=v1", l.pw, l.ep)
	ls, err = c.DescribeListeners(ctx, &elasticloadbalancingv2.DescribeListenersInput{ListenerArns: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	if fc := ls.Listeners[0].DefaultActions[0].ForwardConfig; fc == nil || len(fc.TargetGroups) != 1 || aws.ToString(fc.TargetGroups[0].TargetGroupArn) != berthGroup {
		t.Errorf("after apply the listener forwards to %+v, want berth's group only", ls.Listeners[0].DefaultActions[0])
	}
	l.e.ok("drift", "-var=tag=v1", l.pw, l.ep)

	// A target deregistered by hand.
	th, err := c.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(berthGroup)})
	if err != nil || len(th.TargetHealthDescriptions) != 6 {
		t.Fatalf("the group has %d targets (%v), want 6", len(th.TargetHealthDescriptions), err)
	}
	victim := th.TargetHealthDescriptions[0].Target
	if _, err := c.DeregisterTargets(ctx, &elasticloadbalancingv2.DeregisterTargetsInput{TargetGroupArn: aws.String(berthGroup), Targets: []types.TargetDescription{*victim}}); err != nil {
		t.Fatal(err)
	}
	shown := fmt.Sprintf("%s:%d", aws.ToString(victim.Id), aws.ToInt32(victim.Port))
	r = l.e.expect(2, "drift", "-var=tag=v1", l.pw, l.ep)
	mustContain(t, "drift of a deregistered target", r.stdout, "load_balancer.web", shown)
	l.e.ok("apply", "-auto-approve", "-var=tag=v1", l.pw, l.ep)
	l.e.ok("drift", "-var=tag=v1", l.pw, l.ep)
}
