package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// errDeadline is poll's error when its deadline passes.
var errDeadline = errors.New("deadline passed")

// Polling backs off: each wait is backoffFactor times the one before, up
// to backoffCap times the first (10s after the provider's 1s), each
// spread by ±backoffJitter so that many waits do not call ELBv2 in step.
const (
	backoffFactor = 1.5
	backoffCap    = 10
	backoffJitter = 0.2
)

// poll calls check now and then again after a backing-off wait (first,
// ×1.5, capped at ten times first, with jitter) until it reports done or
// an error, ctx ends, or deadline passes (errDeadline, with the last
// transient error if any). An error that is transient (throttling, a 5xx,
// the network: transient) means "not done yet"; any other ends the poll.
func poll(ctx context.Context, first time.Duration, deadline time.Time, check func() (bool, error)) error {
	wait := first
	var last error
	for {
		done, err := check()
		switch {
		case err != nil && !transient(err):
			return err
		case err != nil:
			last = err
		case done:
			return nil
		default:
			last = nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			if last != nil {
				return fmt.Errorf("%w; the last call failed: %w", errDeadline, last)
			}
			return errDeadline
		}
		t := time.NewTimer(min(jittered(wait), left))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = nextWait(wait, first)
	}
}

// nextWait is the wait after wait, of a poll that began waiting first.
func nextWait(wait, first time.Duration) time.Duration {
	return min(time.Duration(float64(wait)*backoffFactor), backoffCap*first)
}

// jittered is d spread by ±backoffJitter.
func jittered(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 - backoffJitter + 2*backoffJitter*rand.Float64()))
}

// throttlingCodes are the error codes of ELBv2 (and the AWS query
// protocol) that mean "too many requests".
var throttlingCodes = map[string]bool{"Throttling": true, "ThrottlingException": true, "RequestLimitExceeded": true}

// transient reports whether err is one a later call may not meet:
// throttling, a server error (5xx), a request that did not get an answer
// (the network). A context's end is not: the caller stops.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && throttlingCodes[ae.ErrorCode()] {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var send *smithyhttp.RequestSendError
	var ne net.Error
	return errors.As(err, &send) || errors.As(err, &ne) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}
