// Package probe is berth's one probe runner: it checks an instance with an
// app's probe (platform/app.Probe) where berth probes instances itself,
// as the Docker hosts provider does during a rollout, with the same
// semantics as the kubelet's probes: attempts on a fixed period after an
// initial delay, each bounded by the timeout, success and failure
// thresholds of consecutive attempts.
//
// A platform aims the probe at an instance with a Check: HTTPAt and
// TCPCheck for what the berth process reaches over the network, or a
// check of its own (an exec inside a container). TargetHealth derives a
// load balancer's target health check from the same probe model.
package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-sh/berth/platform/app"
)

// Probe is an app's probe aimed at one instance: its settings (period,
// timeout, initial delay, thresholds; zero fields take app's defaults)
// and the Check that reaches the instance. The check kinds of the embedded
// app.Probe are not used: Check is.
type Probe struct {
	Check Check
	app.Probe
}

// Once runs the check one time, bounded by the probe's timeout.
func (p Probe) Once(ctx context.Context) error {
	s := p.Probe.WithDefaults()
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	err := p.Check.Check(ctx)
	if err != nil && ctx.Err() == context.DeadlineExceeded && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", s.Timeout)
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
	if e.Last == nil {
		return e.Check + ": " + e.Reason
	}
	// The check (its URL) once: "not ready; last attempt: GET http://…
	// answered 503 Service Unavailable".
	return e.Reason + "; last attempt: " + Describe(e.Check, e.Last)
}

// Describe says what one attempt of check got, naming the check once:
// "GET http://10.0.0.2:8080/healthz answered 503 Service Unavailable",
// "GET http://10.0.0.2:8080/healthz: connection refused".
func Describe(check string, err error) string {
	if err == nil {
		return check + ": ok"
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "answered ") {
		return check + " " + msg
	}
	return check + ": " + msg
}

func (e *NotReadyError) Unwrap() error { return e.Cause }

// WaitReady probes until SuccessThreshold consecutive attempts succeed,
// after InitialDelay, one attempt per Period. Failures do not end the wait
// (an instance that is starting is not ready yet): ctx's deadline (the
// rollout's healthy_deadline) does. observe, if not nil, sees every attempt.
func WaitReady(ctx context.Context, p Probe, observe func(Attempt)) error {
	s := p.Probe.WithDefaults()
	t := &tally{check: p.Check.String(), observe: observe}
	err := run(ctx, p, s.InitialDelay, func(err error) bool {
		t.add(err)
		return t.succ >= s.SuccessThreshold
	})
	if err != nil {
		return &NotReadyError{Check: t.check, Reason: "not ready", Last: t.last, Cause: err}
	}
	return nil
}

// HoldReady probes a ready instance for d (the rollout's min_healthy) and
// fails as soon as FailureThreshold consecutive attempts fail.
func HoldReady(ctx context.Context, p Probe, d time.Duration, observe func(Attempt)) error {
	s := p.Probe.WithDefaults()
	hold, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := &tally{check: p.Check.String(), observe: observe}
	err := run(hold, p, 0, func(err error) bool {
		t.add(err)
		return t.fail >= s.FailureThreshold
	})
	switch {
	case err == nil: // stopped early: the threshold of failures was reached
		return &NotReadyError{Check: t.check, Reason: fmt.Sprintf("failed %d times in a row", t.fail), Last: t.last}
	case ctx.Err() != nil: // the caller gave up, not the hold ending
		return &NotReadyError{Check: t.check, Reason: "interrupted", Last: t.last, Cause: ctx.Err()}
	}
	return nil
}

// tally counts a probe's consecutive successes and failures, keeps the
// last attempt's error, and shows every attempt to observe (if not nil).
type tally struct {
	check      string
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
		t.observe(Attempt{Check: t.check, Err: err, Successes: t.succ, Failures: t.fail})
	}
}

// run attempts the probe every period (after delay) until done returns
// true (nil) or ctx ends (ctx's error). Attempts start on a fixed
// schedule, as the kubelet's do: a slow attempt does not shift the next.
func run(ctx context.Context, p Probe, delay time.Duration, done func(error) bool) error {
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	tick := time.NewTicker(p.Probe.WithDefaults().Period)
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
