package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"

	"github.com/berth-sh/berth/platform/app"
)

// Check is one attempt of a probe: nil when the instance answered as
// healthy. It must honour ctx's deadline (the probe's timeout). A
// platform adds its own kinds (an exec inside a container).
type Check interface {
	Check(ctx context.Context) error
	// String names the check in messages: "GET http://127.0.0.1:32768/healthz".
	String() string
}

// HTTPCheck is an HTTP GET from the berth process, healthy when the status
// is in Status (default: 200-399, as Kubernetes does).
type HTTPCheck struct {
	// URL is the full URL of the instance's health endpoint.
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

// insecureClient is probeClient for HTTPS: as the kubelet's probes, it
// does not verify the instance's certificate.
var insecureClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // probes do not verify, as the kubelet's
}

// HTTPAt is the check of an app's http probe against an instance reached
// at address ("host:port").
func HTTPAt(h *app.HTTPCheck, address string) HTTPCheck {
	c := HTTPCheck{Status: h.Status}
	scheme := "http"
	if strings.EqualFold(h.Scheme, "HTTPS") {
		scheme, c.Client = "https", insecureClient
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	c.URL = scheme + "://" + address + path
	return c
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
		return attemptError(err)
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
		return attemptError(err)
	}
	return conn.Close()
}

func (c TCPCheck) String() string { return "connect tcp " + c.Address }

// attemptError is a failed attempt's error without what the check's name
// already says (net/http repeats the method and URL, net the address),
// with the common causes in a word, for messages a user reads per
// attempt. The cause stays in the chain for errors.Is.
func attemptError(err error) error {
	var short string
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		short = "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		short = "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		short = "host unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		short = "connection closed without an answer"
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	return &shortError{msg: short, err: err}
}

// shortError says msg and unwraps to the full error.
type shortError struct {
	msg string
	err error
}

func (e *shortError) Error() string { return e.msg }
func (e *shortError) Unwrap() error { return e.err }
