package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// opErr wraps err as the SDK returns it from an operation.
func opErr(err error) error {
	return &smithy.OperationError{ServiceID: "Elastic Load Balancing v2", OperationName: "DescribeTargetHealth", Err: err}
}

// httpErr is a response error of status with err inside.
func httpErr(status int, err error) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"Throttling", opErr(httpErr(400, &smithy.GenericAPIError{Code: "Throttling"})), true},
		{"ThrottlingException", opErr(&smithy.GenericAPIError{Code: "ThrottlingException"}), true},
		{"RequestLimitExceeded", opErr(&smithy.GenericAPIError{Code: "RequestLimitExceeded"}), true},
		{"503", opErr(httpErr(503, &smithy.GenericAPIError{Code: "ServiceUnavailable"})), true},
		{"500 without a code", opErr(httpErr(500, errors.New("internal"))), true},
		{"request not sent", opErr(&smithyhttp.RequestSendError{Err: errors.New("dial")}), true},
		{"connection refused", opErr(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), true},
		{"connection reset", fmt.Errorf("reading: %w", syscall.ECONNRESET), true},
		{"cut answer", opErr(io.ErrUnexpectedEOF), true},
		{"wrapped by the provider", fmt.Errorf("reading the targets of web: %w", opErr(&smithy.GenericAPIError{Code: "Throttling"})), true},
		{"validation", opErr(httpErr(400, &smithy.GenericAPIError{Code: "ValidationError"})), false},
		{"not found", opErr(httpErr(400, &types.TargetGroupNotFoundException{})), false},
		{"access denied", opErr(httpErr(403, &smithy.GenericAPIError{Code: "AccessDenied"})), false},
		{"canceled", opErr(&smithyhttp.RequestSendError{Err: context.Canceled}), false},
		{"context deadline", opErr(context.DeadlineExceeded), false},
		{"plain", errors.New("load balancer failed to provision"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := transient(tc.err); got != tc.want {
				t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestPoll(t *testing.T) {
	throttled := opErr(&smithy.GenericAPIError{Code: "Throttling"})
	tests := []struct {
		name string
		// results are what check returns call after call (the last
		// repeated).
		results  []error
		doneAt   int // the call that reports done, 0 for none
		want     error
		wantLast bool // the error wraps the last transient one
	}{
		{name: "throttled, then done", results: []error{throttled, throttled, nil}, doneAt: 3},
		{name: "other error ends it", results: []error{throttled, errors.New("boom")}, want: errors.New("boom")},
		{name: "throttled until the deadline", results: []error{throttled}, want: errDeadline, wantLast: true},
		{name: "not done by the deadline", results: []error{nil}, want: errDeadline},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			err := poll(context.Background(), 10*time.Millisecond, time.Now().Add(300*time.Millisecond), func() (bool, error) {
				n++
				r := tc.results[min(n, len(tc.results))-1]
				return r == nil && n == tc.doneAt, r
			})
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("poll: %v", err)
			case tc.want == errDeadline && !errors.Is(err, errDeadline):
				t.Fatalf("poll: %v, want the deadline", err)
			case tc.want != nil && tc.want != errDeadline && (err == nil || err.Error() != tc.want.Error()):
				t.Fatalf("poll: %v, want %v", err, tc.want)
			}
			if tc.wantLast && !errors.Is(err, throttled) {
				t.Errorf("poll: %v does not carry the last error", err)
			}
		})
	}
}

// TestBackoff: from the provider's 1s the waits grow by half each time
// up to 10s, and poll waits at least each one, less its jitter.
func TestBackoff(t *testing.T) {
	var got []time.Duration
	for w := time.Second; len(got) < 9; w = nextWait(w, time.Second) {
		got = append(got, w)
	}
	ms, us := time.Millisecond, time.Microsecond
	want := []time.Duration{1000 * ms, 1500 * ms, 2250 * ms, 3375 * ms, 5062500 * us, 7593750 * us, 10000 * ms, 10000 * ms, 10000 * ms}
	if !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}

	var calls []time.Time
	_ = poll(context.Background(), 20*time.Millisecond, time.Now().Add(5*time.Second), func() (bool, error) {
		calls = append(calls, time.Now())
		return len(calls) == 6, nil
	})
	wait := 20 * time.Millisecond
	for i := 1; i < len(calls); i++ {
		if got, lo := calls[i].Sub(calls[i-1]), time.Duration(float64(wait)*(1-backoffJitter)); got < lo {
			t.Errorf("wait %d: %s, want at least %s", i, got, lo)
		}
		wait = nextWait(wait, 20*time.Millisecond)
	}
}
