package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Check is one attempt of a probe: nil when the instance answered as
// healthy. It must honour ctx's deadline (the probe's timeout).
type Check interface {
	Check(ctx context.Context) error
	// String names the check in messages: "GET http://127.0.0.1:32768/healthz".
	String() string
}

// HTTPCheck is an HTTP GET from the berth process, healthy when the status
// is in Status (default: 200-399, as Kubernetes does).
type HTTPCheck struct {
	// URL is the full URL on the published host port.
	URL    string
	Status []int
	// Client defaults to a client that does not follow redirects (a
	// redirect is an answer) and keeps no connections between attempts.
	Client *http.Client
}

var probeClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
}

// Check performs one GET.
func (c HTTPCheck) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "berth-probe")
	cl := c.Client
	if cl == nil {
		cl = probeClient
	}
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 400
	if len(c.Status) > 0 {
		ok = slices.Contains(c.Status, resp.StatusCode)
	}
	if !ok {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

func (c HTTPCheck) String() string { return "GET " + c.URL }

// TCPCheck connects to Address (host:port) from the berth process.
type TCPCheck struct {
	Address string
}

// Check opens and closes one connection.
func (c TCPCheck) Check(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Address)
	if err != nil {
		return err
	}
	return conn.Close()
}

func (c TCPCheck) String() string { return "connect tcp " + c.Address }

// ExecCheck runs Command inside the container through the engine, healthy
// on exit code 0.
type ExecCheck struct {
	Host      *Host
	Container string
	Command   []string
}

// Check runs the command once.
func (c ExecCheck) Check(ctx context.Context) error {
	res, err := c.Host.Exec(ctx, c.Container, c.Command)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		out := strings.TrimSpace(res.Stderr + res.Stdout)
		if len(out) > 200 {
			out = out[:200] + "..."
		}
		if out != "" {
			return fmt.Errorf("exit code %d: %s", res.ExitCode, out)
		}
		return fmt.Errorf("exit code %d", res.ExitCode)
	}
	return nil
}

func (c ExecCheck) String() string {
	return fmt.Sprintf("exec %q in %s", c.Command, short(c.Container))
}

// Probe is a probe block applied to one instance. Zero fields take the
// defaults of DESIGN.md: period 10s, timeout 1s, failure_threshold 3,
// success_threshold 1, initial_delay 0.
type Probe struct {
	Check            Check
	Period           time.Duration
	Timeout          time.Duration
	InitialDelay     time.Duration
	FailureThreshold int
	SuccessThreshold int
}

func (p Probe) withDefaults() Probe {
	if p.Period <= 0 {
		p.Period = 10 * time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = time.Second
	}
	if p.FailureThreshold <= 0 {
		p.FailureThreshold = 3
	}
	if p.SuccessThreshold <= 0 {
		p.SuccessThreshold = 1
	}
	return p
}

// Once runs the check one time, bounded by the probe's timeout.
func (p Probe) Once(ctx context.Context) error {
	p = p.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	err := p.Check.Check(ctx)
	if err != nil && ctx.Err() == context.DeadlineExceeded && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", p.Timeout)
	}
	return err
}

// Attempt reports one probe attempt to an observer (apply's progress
// events, logs).
type Attempt struct {
	Check string
	Err   error
	// Successes and Failures are the consecutive counts after this attempt.
	Successes, Failures int
}

// NotReadyError says an instance did not become (or stay) ready; Last is
// the last attempt's failure.
type NotReadyError struct {
	Check string
	// Reason: "not ready" (WaitReady gave up) or "failed N times in a row".
	Reason string
	Last   error
	// Cause is the context's error when the wait was cut short.
	Cause error
}

func (e *NotReadyError) Error() string {
	msg := e.Check + ": " + e.Reason
	if e.Last != nil {
		msg += ": last attempt: " + e.Last.Error()
	}
	return msg
}

func (e *NotReadyError) Unwrap() error { return e.Cause }

// WaitReady probes until SuccessThreshold consecutive attempts succeed,
// after InitialDelay, one attempt per Period. Failures do not end the wait
// (an instance that is starting is not ready yet): ctx's deadline (the
// rollout's healthy_deadline) does. observe, if not nil, sees every attempt.
func WaitReady(ctx context.Context, p Probe, observe func(Attempt)) error {
	p = p.withDefaults()
	t := &tally{p: p, observe: observe}
	err := run(ctx, p, func(err error) bool {
		t.add(err)
		return t.succ >= p.SuccessThreshold
	})
	if err != nil {
		return &NotReadyError{Check: p.Check.String(), Reason: "not ready", Last: t.last, Cause: err}
	}
	return nil
}

// tally counts a probe's consecutive successes and failures, keeps the
// last attempt's error, and shows every attempt to observe (if not nil).
type tally struct {
	p          Probe
	observe    func(Attempt)
	last       error
	succ, fail int
}

func (t *tally) add(err error) {
	t.last = err
	if err == nil {
		t.succ, t.fail = t.succ+1, 0
	} else {
		t.succ, t.fail = 0, t.fail+1
	}
	if t.observe != nil {
		t.observe(Attempt{Check: t.p.Check.String(), Err: err, Successes: t.succ, Failures: t.fail})
	}
}

// HoldReady probes a ready instance for d (the rollout's min_healthy) and
// fails as soon as FailureThreshold consecutive attempts fail.
func HoldReady(ctx context.Context, p Probe, d time.Duration, observe func(Attempt)) error {
	p = p.withDefaults()
	p.InitialDelay = 0
	hold, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := &tally{p: p, observe: observe}
	err := run(hold, p, func(err error) bool {
		t.add(err)
		return t.fail >= p.FailureThreshold
	})
	switch {
	case err == nil: // stopped early: the threshold of failures was reached
		return &NotReadyError{Check: p.Check.String(), Reason: fmt.Sprintf("failed %d times in a row", t.fail), Last: t.last}
	case ctx.Err() != nil: // the caller gave up, not the hold ending
		return &NotReadyError{Check: p.Check.String(), Reason: "interrupted", Last: t.last, Cause: ctx.Err()}
	}
	return nil
}

// run attempts the probe every period (after the initial delay) until done
// returns true (nil) or ctx ends (ctx's error). Attempts start on a fixed
// schedule, as the kubelet's do: a slow attempt does not shift the next.
func run(ctx context.Context, p Probe, done func(error) bool) error {
	if p.InitialDelay > 0 {
		t := time.NewTimer(p.InitialDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	tick := time.NewTicker(p.Period)
	defer tick.Stop()
	for {
		err := p.Once(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if done(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
