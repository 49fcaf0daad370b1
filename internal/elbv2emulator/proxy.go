package elbv2emulator

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// connectTimeout is how long a load balancer waits to connect to a target
// (ELBv2's is 10 s; an application load balancer answers 504 after it).
const connectTimeout = 10 * time.Second

// listenerServer serves one listener on its own 127.0.0.1 port: an HTTP
// reverse proxy for application load balancers, TCP forwarding for
// network load balancers.
type listenerServer struct {
	addr    string
	ln      net.Listener
	httpSrv *http.Server

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{} // forwarded TCP connections, both sides
}

func (s *Server) serveListenerLocked(l *listener) (*listenerServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ls := &listenerServer{addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	if l.lb.isNetwork() {
		if !s.tasks.start(func() { s.acceptTCP(l, ls) }) {
			_ = ln.Close()
			return nil, errors.New("closed")
		}
		return ls, nil
	}
	ls.httpSrv = &http.Server{
		Handler:           &httpListener{s: s, l: l},
		ReadHeaderTimeout: time.Minute,
		IdleTimeout:       time.Minute,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	if !s.tasks.start(func() { _ = ls.httpSrv.Serve(ln) }) {
		_ = ln.Close()
		return nil, errors.New("closed")
	}
	return ls, nil
}

// stopServingLocked detaches a listener from its server and returns the
// function that closes the server.
func (l *listener) stopServingLocked() func() {
	ls := l.serving
	l.serving = nil
	if ls == nil {
		return func() {}
	}
	return ls.close
}

func (ls *listenerServer) close() {
	if ls.httpSrv != nil {
		_ = ls.httpSrv.Close()
		return
	}
	_ = ls.ln.Close()
	ls.mu.Lock()
	ls.closed = true
	for c := range ls.conns {
		_ = c.Close()
	}
	ls.mu.Unlock()
}

// pickGroupLocked chooses a forward action's target group by weight.
func (s *Server) pickGroupLocked(fc *types.ForwardActionConfig) *targetGroup {
	total := 0
	for _, tu := range fc.TargetGroups {
		total += int(aws.ToInt32(tu.Weight))
	}
	if total == 0 {
		return nil
	}
	n := s.rnd.IntN(total)
	for _, tu := range fc.TargetGroups {
		w := int(aws.ToInt32(tu.Weight))
		if n < w {
			return s.tgByARN[aws.ToString(tu.TargetGroupArn)]
		}
		n -= w
	}
	return nil
}

// pickTargetLocked chooses a target of a group for a new request or
// connection: among the healthy targets, or, when fewer are healthy
// than the group's unhealthy_state_routing minimum (by default: none),
// among all registered targets not draining (fail open). Draining and
// unused targets never get new traffic.
func (s *Server) pickTargetLocked(tg *targetGroup) *target {
	var healthy, open []*target
	for _, t := range tg.targets {
		switch t.state {
		case types.TargetHealthStateEnumHealthy:
			healthy = append(healthy, t)
			open = append(open, t)
		case types.TargetHealthStateEnumInitial, types.TargetHealthStateEnumUnhealthy:
			open = append(open, t)
		}
	}
	cands := healthy
	minCount, err := strconv.Atoi(tg.attrs.get("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count"))
	if err != nil {
		minCount = 1
	}
	failOpen := len(healthy) == 0 || len(healthy) < minCount
	if pct, err := strconv.Atoi(tg.attrs.get("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage")); err == nil {
		failOpen = failOpen || len(healthy)*100 < pct*len(open)
	}
	if failOpen {
		cands = open
	}
	if len(cands) == 0 {
		return nil
	}
	switch tg.attrs.get("load_balancing.algorithm.type") {
	case "least_outstanding_requests":
		best := -1
		for i := range cands {
			j := (int(tg.rr) + i) % len(cands)
			if best < 0 || cands[j].inflight < cands[best].inflight {
				best = j
			}
		}
		tg.rr++
		return cands[best]
	case "weighted_random":
		return cands[s.rnd.IntN(len(cands))]
	default:
		t := cands[tg.rr%uint64(len(cands))]
		tg.rr++
		return t
	}
}

// transportLocked is the connection pool to a target.
func (s *Server) transportLocked(t *target) *http.Transport {
	if t.transport == nil {
		idle := 60 * time.Second
		for _, lbARN := range t.tg.lbARNs {
			if lb := s.lbByARN[lbARN]; lb != nil {
				if n, err := strconv.Atoi(lb.attrs.get("idle_timeout.timeout_seconds")); err == nil {
					idle = time.Duration(n) * time.Second
				}
			}
		}
		t.transport = &http.Transport{
			DialContext:           (&net.Dialer{Timeout: connectTimeout}).DialContext,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       idle,
			ResponseHeaderTimeout: idle,
			DisableCompression:    true,
			TLSClientConfig:       &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // ELBv2 does not verify targets' certificates
		}
	}
	return t.transport
}

// httpListener is an application load balancer's listener.
type httpListener struct {
	s *Server
	l *listener
}

type upstreamKey struct{}

// upstream is where one proxied request goes.
type upstream struct {
	scheme, addr string
	transport    *http.Transport
	proto, port  string // the listener's, for X-Forwarded-Proto and -Port
}

func (h *httpListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.s
	if !s.tasks.enter() {
		writeELBError(w, http.StatusServiceUnavailable, true)
		return
	}
	defer s.tasks.leave()
	s.mu.Lock()
	l := h.l
	if l.serving == nil {
		s.mu.Unlock()
		writeELBError(w, http.StatusServiceUnavailable, true)
		return
	}
	acts := l.defaultRule.actions
	for _, ru := range l.rules {
		if matchConditions(ru.conditions, r) {
			acts = ru.actions
			break
		}
	}
	serverHeader := l.attrs.get("routing.http.response.server.enabled") == "true"
	proto := strings.ToLower(string(l.protocol))
	port := strconv.Itoa(int(l.port))
	a := acts[len(acts)-1]
	if a.Type != types.ActionTypeEnumForward {
		s.mu.Unlock()
		switch a.Type {
		case types.ActionTypeEnumFixedResponse:
			writeFixedResponse(w, a.FixedResponseConfig, serverHeader)
		case types.ActionTypeEnumRedirect:
			writeRedirect(w, r, a.RedirectConfig, proto, port, serverHeader)
		default:
			writeELBError(w, http.StatusInternalServerError, serverHeader)
		}
		return
	}
	var t *target
	if tg := s.pickGroupLocked(a.ForwardConfig); tg != nil {
		t = s.pickTargetLocked(tg)
	}
	if t == nil {
		s.mu.Unlock()
		writeELBError(w, http.StatusServiceUnavailable, serverHeader)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	id := t.nextReq
	t.nextReq++
	if t.reqs == nil {
		t.reqs = map[uint64]context.CancelFunc{}
	}
	t.reqs[id] = cancel
	t.inflight++
	scheme := "http"
	if t.tg.protocol == types.ProtocolEnumHttps {
		scheme = "https"
	}
	up := &upstream{
		scheme:    scheme,
		addr:      net.JoinHostPort(s.host(t), strconv.Itoa(int(t.port))),
		transport: s.transportLocked(t),
		proto:     proto,
		port:      port,
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(t.reqs, id)
		t.inflight--
		gone := t.removed && len(t.reqs) == 0
		s.mu.Unlock()
		if gone {
			t.closeIdle()
		}
	}()
	reverseProxy.ServeHTTP(w, r.WithContext(context.WithValue(ctx, upstreamKey{}, up)))
}

var reverseProxy = &httputil.ReverseProxy{
	Rewrite: func(pr *httputil.ProxyRequest) {
		up := pr.In.Context().Value(upstreamKey{}).(*upstream)
		pr.Out.URL.Scheme = up.scheme
		pr.Out.URL.Host = up.addr
		pr.Out.Host = pr.In.Host
		xff := ""
		if prior := pr.In.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			xff = strings.Join(prior, ", ") + ", "
		}
		if ip, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
			xff += ip
		}
		pr.Out.Header.Set("X-Forwarded-For", xff)
		pr.Out.Header.Set("X-Forwarded-Proto", up.proto)
		pr.Out.Header.Set("X-Forwarded-Port", up.port)
		pr.Out.Header.Set("X-Amzn-Trace-Id", traceID())
	},
	Transport: upstreamTransport{},
	ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		status := http.StatusBadGateway
		var ne net.Error
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			status = http.StatusGatewayTimeout
		}
		writeELBError(w, status, true)
	},
	ErrorLog: log.New(io.Discard, "", 0),
}

type upstreamTransport struct{}

func (upstreamTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return r.Context().Value(upstreamKey{}).(*upstream).transport.RoundTrip(r)
}

func traceID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", time.Now().Unix(), hex.EncodeToString(b[:]))
}

var elbStatusText = map[int]string{
	http.StatusInternalServerError: "500 Internal Server Error",
	http.StatusBadGateway:          "502 Bad Gateway",
	http.StatusServiceUnavailable:  "503 Service Temporarily Unavailable",
	http.StatusGatewayTimeout:      "504 Gateway Time-out",
}

// writeELBError answers as an application load balancer does when it
// has no target to give a request to, or the target failed.
func writeELBError(w http.ResponseWriter, status int, serverHeader bool) {
	text := elbStatusText[status]
	if serverHeader {
		w.Header().Set("Server", "awselb/2.0")
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n</body>\r\n</html>\r\n", text, text)
}

func writeFixedResponse(w http.ResponseWriter, c *types.FixedResponseActionConfig, serverHeader bool) {
	status, _ := strconv.Atoi(aws.ToString(c.StatusCode))
	if serverHeader {
		w.Header().Set("Server", "awselb/2.0")
	}
	ct := aws.ToString(c.ContentType)
	if ct == "" {
		ct = "text/plain"
	}
	w.Header().Set("Content-Type", ct+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, aws.ToString(c.MessageBody))
}

func writeRedirect(w http.ResponseWriter, r *http.Request, c *types.RedirectActionConfig, proto, port string, serverHeader bool) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	repl := strings.NewReplacer("#{protocol}", proto, "#{host}", host, "#{port}", port,
		"#{path}", strings.TrimPrefix(r.URL.Path, "/"), "#{query}", r.URL.RawQuery)
	p := strings.ToLower(repl.Replace(aws.ToString(c.Protocol)))
	h := repl.Replace(aws.ToString(c.Host))
	pt := repl.Replace(aws.ToString(c.Port))
	loc := p + "://" + h
	if !(p == "http" && pt == "80" || p == "https" && pt == "443") {
		loc += ":" + pt
	}
	loc += repl.Replace(aws.ToString(c.Path))
	if q := repl.Replace(aws.ToString(c.Query)); q != "" {
		loc += "?" + q
	}
	status := http.StatusMovedPermanently
	if c.StatusCode == types.RedirectActionStatusCodeEnumHttp302 {
		status = http.StatusFound
	}
	if serverHeader {
		w.Header().Set("Server", "awselb/2.0")
	}
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
}

// acceptTCP serves a network load balancer's listener: each connection is
// forwarded to a target chosen as for HTTP requests.
func (s *Server) acceptTCP(l *listener, ls *listenerServer) {
	for {
		c, err := ls.ln.Accept()
		if err != nil {
			return
		}
		ls.mu.Lock()
		if ls.closed {
			ls.mu.Unlock()
			_ = c.Close()
			return
		}
		ls.conns[c] = struct{}{}
		ls.mu.Unlock()
		if !s.tasks.start(func() { s.forwardTCP(l, ls, c) }) {
			_ = c.Close()
		}
	}
}

func (s *Server) forwardTCP(l *listener, ls *listenerServer, c net.Conn) {
	defer func() {
		_ = c.Close()
		ls.mu.Lock()
		delete(ls.conns, c)
		ls.mu.Unlock()
	}()
	s.mu.Lock()
	if l.serving == nil {
		s.mu.Unlock()
		return
	}
	acts := l.defaultRule.actions
	a := acts[len(acts)-1]
	var t *target
	if a.Type == types.ActionTypeEnumForward {
		if tg := s.pickGroupLocked(a.ForwardConfig); tg != nil {
			t = s.pickTargetLocked(tg)
		}
	}
	if t == nil {
		s.mu.Unlock()
		return
	}
	t.inflight++
	addr := net.JoinHostPort(s.host(t), strconv.Itoa(int(t.port)))
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		t.inflight--
		s.mu.Unlock()
	}()

	ctx, cancel := context.WithTimeout(s.ctx, connectTimeout)
	u, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	cancel()
	if err != nil {
		return
	}
	defer u.Close()
	// The listener's close must end this forwarding whatever the target
	// does: it closes the target side too.
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		return
	}
	ls.conns[u] = struct{}{}
	ls.mu.Unlock()
	defer func() {
		ls.mu.Lock()
		delete(ls.conns, u)
		ls.mu.Unlock()
	}()
	s.mu.Lock()
	if t.removed {
		s.mu.Unlock()
		return
	}
	if t.conns == nil {
		t.conns = map[net.Conn]struct{}{}
	}
	t.conns[u] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(t.conns, u)
		s.mu.Unlock()
	}()

	done := make(chan struct{})
	if !s.tasks.start(func() {
		defer close(done)
		_, _ = io.Copy(u, c)
		closeWrite(u)
	}) {
		return
	}
	_, _ = io.Copy(c, u)
	closeWrite(c)
	<-done
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = c.Close()
}
