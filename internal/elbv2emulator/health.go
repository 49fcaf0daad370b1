package elbv2emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// healthCheckTransport makes health checks: a new connection each time,
// as ELBv2's checkers do, and target certificates are not verified.
var healthCheckTransport = &http.Transport{
	DisableKeepAlives:  true,
	DisableCompression: true,
	TLSClientConfig:    &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // ELBv2 does not verify targets' certificates
	Proxy:              nil,
}

// minCheckTimeout floors scaled health check timeouts (Options.TimeScale).
const minCheckTimeout = time.Second

// probeResult is the outcome of one health check.
type probeResult struct {
	ok     bool
	reason types.TargetHealthReasonEnum
	desc   string
}

func (s *Server) startCheckLocked(t *target) {
	if t.stopCheck != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	t.stopCheck = cancel
	gen := t.gen
	if !s.tasks.start(func() { s.runChecks(ctx, t, gen) }) {
		cancel()
	}
}

func (s *Server) stopCheckLocked(t *target) {
	if t.stopCheck != nil {
		t.stopCheck()
		t.stopCheck = nil
	}
}

// runChecks checks a target every interval until ctx ends, the first
// check at once.
func (s *Server) runChecks(ctx context.Context, t *target, gen uint64) {
	for {
		s.mu.Lock()
		if ctx.Err() != nil || t.gen != gen {
			s.mu.Unlock()
			return
		}
		hc := t.tg.hc
		host := s.host(t)
		port := healthCheckPort(t.tg, t.port)
		s.mu.Unlock()

		start := time.Now()
		timeout := max(s.scaled(time.Duration(hc.timeout)*time.Second), minCheckTimeout)
		res := probe(ctx, hc, net.JoinHostPort(host, port), timeout)

		s.mu.Lock()
		if ctx.Err() != nil || t.gen != gen {
			s.mu.Unlock()
			return
		}
		s.applyCheckLocked(t, res)
		interval := s.scaled(time.Duration(t.tg.hc.interval) * time.Second)
		s.mu.Unlock()

		timer := time.NewTimer(max(0, interval-time.Since(start)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// applyCheckLocked moves a target through ELBv2's states on one result:
// HealthyThresholdCount successes in a row make it healthy,
// UnhealthyThresholdCount failures in a row unhealthy.
func (s *Server) applyCheckLocked(t *target, r probeResult) {
	hc := t.tg.hc
	before := t.state
	if r.ok {
		t.succ++
		t.fail = 0
	} else {
		t.fail++
		t.succ = 0
	}
	switch {
	case r.ok && t.state != types.TargetHealthStateEnumHealthy && t.succ >= int(hc.healthy):
		t.state, t.reason, t.desc = types.TargetHealthStateEnumHealthy, "", ""
	case !r.ok && t.state != types.TargetHealthStateEnumUnhealthy && t.fail >= int(hc.unhealthy):
		t.state, t.reason, t.desc = types.TargetHealthStateEnumUnhealthy, r.reason, r.desc
		// A network load balancer closes the connections of a target
		// that turns unhealthy, unless told not to.
		if t.tg.attrs.get("target_health_state.unhealthy.connection_termination.enabled") == "true" {
			for c := range t.conns {
				_ = c.Close()
			}
		}
	case !r.ok && t.state == types.TargetHealthStateEnumUnhealthy:
		t.reason, t.desc = r.reason, r.desc
	case t.state == types.TargetHealthStateEnumInitial:
		t.reason, t.desc = types.TargetHealthReasonEnumInitialHealthChecking, descInitial
	}
	if t.state != before {
		s.logf("target %s:%d in %s: %s -> %s %s", t.id, t.port, t.tg.name, before, t.state, t.desc)
	}
}

// probe runs one health check of addr.
func probe(ctx context.Context, hc healthCheck, addr string, timeout time.Duration) probeResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	failed := func(err error) probeResult {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			return probeResult{reason: types.TargetHealthReasonEnumTimeout, desc: descTimeout}
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return probeResult{reason: types.TargetHealthReasonEnumTimeout, desc: descTimeout}
		}
		return probeResult{reason: types.TargetHealthReasonEnumFailedHealthChecks, desc: descFailed}
	}
	if !isHTTPProtocol(hc.protocol) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			// Network load balancers report failed TCP checks so.
			return probeResult{reason: types.TargetHealthReasonEnumFailedHealthChecks, desc: descFailed}
		}
		_ = c.Close()
		return probeResult{ok: true}
	}
	scheme := "http"
	if hc.protocol == types.ProtocolEnumHttps {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+hc.path, nil)
	if err != nil {
		return probeResult{reason: types.TargetHealthReasonEnumFailedHealthChecks, desc: descFailed}
	}
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	req.Header.Set("Accept", "*/*")
	// RoundTrip, not a Client: redirects are responses to match, not
	// to follow.
	resp, err := healthCheckTransport.RoundTrip(req)
	if err != nil {
		return failed(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	code := hc.httpCode
	if code == "" {
		code = "200"
	}
	if !matchCode(code, resp.StatusCode) {
		return probeResult{reason: types.TargetHealthReasonEnumResponseCodeMismatch, desc: fmt.Sprintf("Health checks failed with these codes: [%s]", strconv.Itoa(resp.StatusCode))}
	}
	return probeResult{ok: true}
}

// reconcileLocked recomputes which load balancers use each target group
// and moves targets between unused (no checks) and checked accordingly.
// Every change to listeners, rules or load balancers calls it.
func (s *Server) reconcileLocked() {
	users := map[*targetGroup][]string{}
	for _, lb := range s.lbs {
		for _, l := range lb.listeners {
			for _, tg := range l.targetGroupsLocked(s) {
				if !slices.Contains(users[tg], lb.arn) {
					users[tg] = append(users[tg], lb.arn)
				}
			}
		}
	}
	for _, tg := range s.tgs {
		tg.lbARNs = users[tg]
		for _, t := range tg.targets {
			switch {
			case t.state == types.TargetHealthStateEnumDraining:
			case tg.inUse() && t.state == types.TargetHealthStateEnumUnused:
				s.startTargetLocked(t)
				s.logf("target %s:%d in %s: in use, health checks start", t.id, t.port, tg.name)
			case !tg.inUse() && t.state != types.TargetHealthStateEnumUnused:
				s.startTargetLocked(t) // unused
				s.logf("target %s:%d in %s: not in use", t.id, t.port, tg.name)
			}
		}
	}
}
