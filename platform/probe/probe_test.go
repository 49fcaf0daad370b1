package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berth-sh/berth/platform/app"
)

// flaky serves /healthz with the statuses in seq, then the last forever.
func flaky(t *testing.T, delay time.Duration, seq ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		time.Sleep(delay)
		w.WriteHeader(seq[min(i, len(seq)-1)])
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestWaitReady(t *testing.T) {
	tests := []struct {
		name      string
		seq       []int
		delay     time.Duration
		probe     Probe
		deadline  time.Duration
		wantErr   string // "" for ready
		wantCalls int32  // attempts made, 0 to skip
	}{
		{name: "ready at once", seq: []int{200}, wantCalls: 1},
		{name: "ready after failures", seq: []int{503, 503, 200}, wantCalls: 3},
		{name: "failures beyond failure_threshold do not end a readiness wait", seq: []int{503, 503, 503, 503, 503, 200}, probe: Probe{Probe: app.Probe{FailureThreshold: 2}}, wantCalls: 6},
		{name: "success_threshold needs consecutive successes", seq: []int{200, 503, 200, 200}, probe: Probe{Probe: app.Probe{SuccessThreshold: 2}}, wantCalls: 4},
		{name: "allowed statuses", seq: []int{200, 204}, probe: Probe{Check: HTTPCheck{Status: []int{204}}}, wantCalls: 2},
		{name: "a 3xx is healthy by default", seq: []int{302}, wantCalls: 1},
		{name: "never ready: the deadline ends it with the last answer", seq: []int{503}, deadline: 200 * time.Millisecond, wantErr: "not ready; last attempt: GET http://127.0.0.1"},
		{name: "a slow answer is a timeout", seq: []int{200}, delay: 300 * time.Millisecond, probe: Probe{Probe: app.Probe{Timeout: 50 * time.Millisecond}}, deadline: 250 * time.Millisecond, wantErr: "no answer within 50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := flaky(t, tt.delay, tt.seq...)
			p := tt.probe
			check, _ := p.Check.(HTTPCheck)
			check.URL = srv.URL + "/healthz"
			p.Check = check
			p.Period = 10 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), cmpDur(tt.deadline, 5*time.Second))
			defer cancel()
			err := WaitReady(ctx, p, nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("WaitReady: %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("WaitReady error %v, want it to contain %q", err, tt.wantErr)
				}
				var nr *NotReadyError
				if !errors.As(err, &nr) || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %#v is not a NotReadyError caused by the deadline", err)
				}
			}
			if tt.wantCalls != 0 && calls.Load() != tt.wantCalls {
				t.Errorf("%d attempts, want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
}

func cmpDur(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func TestWaitReadyInitialDelayAndPeriod(t *testing.T) {
	srv, _ := flaky(t, 0, 503, 503, 200)
	var times []time.Time
	start := time.Now()
	p := Probe{Check: HTTPCheck{URL: srv.URL}, Probe: app.Probe{InitialDelay: 150 * time.Millisecond, Period: 100 * time.Millisecond}}
	err := WaitReady(context.Background(), p, func(a Attempt) { times = append(times, time.Now()) })
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != 3 {
		t.Fatalf("%d attempts, want 3", len(times))
	}
	if first := times[0].Sub(start); first < 150*time.Millisecond {
		t.Errorf("first attempt after %s, before the initial delay", first)
	}
	// On average: one slow answer followed by a fast one (or a late tick)
	// brings two single attempts closer than the period on a loaded machine.
	if avg := times[len(times)-1].Sub(times[0]) / time.Duration(len(times)-1); avg < 70*time.Millisecond {
		t.Errorf("attempts %s apart on average, period is 100ms", avg)
	}
}

func TestWaitReadyCancel(t *testing.T) {
	srv, _ := flaky(t, 0, 503)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := WaitReady(ctx, Probe{Check: HTTPCheck{URL: srv.URL}, Probe: app.Probe{Period: time.Hour}}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancel took %s", d)
	}
}

func TestHoldReady(t *testing.T) {
	tests := []struct {
		name    string
		seq     []int
		wantErr string
	}{
		{name: "stays ready", seq: []int{200}},
		{name: "isolated failures below the threshold pass", seq: []int{200, 503, 200, 503, 503, 200}},
		{name: "threshold of consecutive failures fails", seq: []int{200, 503, 503, 503}, wantErr: "failed 3 times in a row; last attempt: GET http://127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := flaky(t, 0, tt.seq...)
			p := Probe{Check: HTTPCheck{URL: srv.URL}, Probe: app.Probe{Period: 10 * time.Millisecond}}
			err := HoldReady(context.Background(), p, 200*time.Millisecond, nil)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("HoldReady: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("HoldReady error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestTCPCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	p := Probe{Check: TCPCheck{Address: addr}}
	if err := p.Once(context.Background()); err != nil {
		t.Fatalf("open port: %v", err)
	}
	ln.Close()
	if err := p.Once(context.Background()); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("closed port: err = %v, want connection refused", err)
	}
}

// TestAttemptMessages: a failed attempt says what it got in a word, and
// the check (its URL) is named once.
func TestAttemptMessages(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	srv, _ := flaky(t, 0, 503)
	tests := []struct {
		name  string
		check Check
		want  string
		is    error
	}{
		{"http refused", HTTPCheck{URL: "http://" + closed + "/healthz"}, "GET http://" + closed + "/healthz: connection refused", syscall.ECONNREFUSED},
		{"tcp refused", TCPCheck{Address: closed}, "connect tcp " + closed + ": connection refused", syscall.ECONNREFUSED},
		{"http status", HTTPCheck{URL: srv.URL + "/healthz"}, "GET " + srv.URL + "/healthz answered 503 Service Unavailable", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check.Check(context.Background())
			if got := Describe(tt.check.String(), err); got != tt.want {
				t.Errorf("Describe = %q, want %q", got, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v does not unwrap to %v", err, tt.is)
			}
		})
	}
	nr := &NotReadyError{Check: "GET http://x/healthz", Reason: "not ready", Last: errors.New("answered 404 Not Found")}
	if got, want := nr.Error(), "not ready; last attempt: GET http://x/healthz answered 404 Not Found"; got != want {
		t.Errorf("NotReadyError = %q, want %q", got, want)
	}
}
