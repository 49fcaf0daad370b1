package elbv2emulator

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	smithy "github.com/aws/smithy-go"
)

// Options configures a Server.
type Options struct {
	// Region is the region in ARNs and DNS names; default "us-east-1".
	Region string
	// AccountID is the account in ARNs; default "123456789012".
	AccountID string
	// Addr is the address the API listens on; default "127.0.0.1:0".
	Addr string
	// TimeScale scales the emulator's clocks: 0 or 1 is real time; 0.2
	// runs every health-check interval and timeout and every
	// deregistration delay 5 times faster (a 30 s delay drains in 6 s), so
	// tests can use ELBv2's real settings (intervals are at least 5 s) and
	// stay fast. Health-check timeouts are scaled too but never below 1 s,
	// so a busy machine does not fail checks a target passes. Nothing
	// else (traffic, proxy timeouts) is scaled.
	TimeScale float64
	// Instances maps instance target IDs (i-...) to the host the emulator
	// reaches them at; an instance ID not in it is used as the host itself.
	Instances map[string]string
	// Logf, if set, receives the emulator's log lines (API errors, target
	// health changes, drains).
	Logf func(format string, args ...any)
}

// Server is an ELBv2 Query API emulator: its API on URL, and each of its
// listeners served for real on its own 127.0.0.1 port (ListenerAddr).
type Server struct {
	opts  Options
	scale float64
	ln    net.Listener
	api   *http.Server

	// ctx is cancelled by Close: it stops health checks, drains and
	// proxied requests.
	ctx    context.Context
	cancel context.CancelFunc
	tasks  taskGroup

	mu        sync.Mutex
	closed    bool
	rnd       *rand.Rand
	lbs       []*loadBalancer // in creation order
	tgs       []*targetGroup  // in creation order
	lbByARN   map[string]*loadBalancer
	tgByARN   map[string]*targetGroup
	lisByARN  map[string]*listener
	ruleByARN map[string]*rule
	subnetAZ  map[string]string
	defaultSG string
	vpcID     string
}

// Start starts an emulator with its API listening on opts.Addr
// (127.0.0.1:0 unless set).
func Start(opts Options) (*Server, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.TimeScale < 0 {
		return nil, fmt.Errorf("elbv2emulator: TimeScale %v is negative", opts.TimeScale)
	}
	scale := opts.TimeScale
	if scale == 0 {
		scale = 1
	}
	var seed [16]byte
	_, _ = crand.Read(seed[:])
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("elbv2emulator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:      opts,
		scale:     scale,
		ln:        ln,
		ctx:       ctx,
		cancel:    cancel,
		rnd:       rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))),
		lbByARN:   map[string]*loadBalancer{},
		tgByARN:   map[string]*targetGroup{},
		lisByARN:  map[string]*listener{},
		ruleByARN: map[string]*rule{},
		subnetAZ:  map[string]string{},
	}
	s.defaultSG = "sg-0" + s.hexID(16)
	s.vpcID = "vpc-0" + s.hexID(16)
	s.api = &http.Server{Handler: s, ReadHeaderTimeout: time.Minute}
	s.tasks.start(func() {
		if err := s.api.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("API server: %v", err)
		}
	})
	return s, nil
}

// URL is the API's base URL, for the SDK's BaseEndpoint or
// AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the API, every health check and drain, and every listener
// (in-flight proxied requests are cut), and returns once all of the
// emulator's goroutines have ended.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	var stops []func()
	for _, l := range s.lisByARN {
		stops = append(stops, l.stopServingLocked())
	}
	var transports []*target
	for _, tg := range s.tgs {
		transports = append(transports, tg.targets...)
	}
	s.mu.Unlock()

	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.api.Shutdown(shut)
	if err != nil {
		err = s.api.Close()
	}
	for _, stop := range stops {
		stop()
	}
	s.tasks.closeAndWait()
	for _, t := range transports {
		t.closeIdle()
	}
	healthCheckTransport.CloseIdleConnections()
	return err
}

// ListenerAddr is the 127.0.0.1 address a listener is served on.
func (s *Server) ListenerAddr(listenerARN string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lisByARN[listenerARN]
	if l == nil || l.serving == nil {
		return "", false
	}
	return l.serving.addr, true
}

// ListenerInfo describes where a listener is served, as
// GET /_emulator/listeners lists it.
type ListenerInfo struct {
	ListenerARN     string `json:"listener_arn"`
	LoadBalancerARN string `json:"load_balancer_arn"`
	DNSName         string `json:"dns_name"`
	Port            int32  `json:"port"`
	Protocol        string `json:"protocol"`
	Address         string `json:"address"`
}

// Listeners lists every listener and the address it is served on.
func (s *Server) Listeners() []ListenerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ListenerInfo{}
	for _, lb := range s.lbs {
		for _, l := range lb.listeners {
			info := ListenerInfo{
				ListenerARN:     l.arn,
				LoadBalancerARN: lb.arn,
				DNSName:         lb.dnsName,
				Port:            l.port,
				Protocol:        string(l.protocol),
			}
			if l.serving != nil {
				info.Address = l.serving.addr
			}
			out = append(out, info)
		}
	}
	return out
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("elbv2emulator: "+format, args...)
	}
}

// scaled is d on the emulator's clock (Options.TimeScale).
func (s *Server) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.scale)
}

const (
	xmlns      = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
	apiVersion = "2015-12-01"
)

// ServeHTTP serves the Query API (POST or GET with Action=...), and
// GET /_emulator/listeners.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_emulator/listeners" {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Listeners())
		return
	}
	reqID := s.requestID()
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseForm(); err != nil {
		writeError(w, reqID, apiErr(codeValidation, "malformed request: %v", err))
		return
	}
	action := r.Form.Get("Action")
	if action == "" {
		writeError(w, reqID, apiErr(codeMissingAction, "The request must contain the parameter Action"))
		return
	}
	h, ok := actions[action]
	if !ok {
		writeError(w, reqID, apiErr(codeInvalidAPIAction, "Could not find operation %s for version %s (the emulator does not implement it)", action, apiVersion))
		return
	}
	if v := r.Form.Get("Version"); v != apiVersion {
		writeError(w, reqID, apiErr(codeInvalidAPIAction, "Could not find operation %s for version %s", action, v))
		return
	}
	form, err := parseForm(r.Form)
	if err != nil {
		writeError(w, reqID, validationErr("%v", err))
		return
	}
	out, err := h(s, form)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Code: codeInternalFailure, Message: err.Error(), Status: 500}
		}
		s.logf("%s: %s: %s", action, ae.Code, ae.Message)
		writeError(w, reqID, ae)
		return
	}
	ser := newXMLSerializer(action + "Result")
	out.Serialize(ser)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, xmlns)
	b.Write(ser.Bytes())
	fmt.Fprintf(&b, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, reqID, action)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	_, _ = w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>`, xmlns, typ, e.Code)
	_ = xmlEscape(&b, e.Message)
	fmt.Fprintf(&b, `</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, reqID)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(b.Bytes())
}

func (s *Server) requestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// hexID is n random lowercase hex digits. Callers hold s.mu or own s.
func (s *Server) hexID(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[s.rnd.IntN(16)]
	}
	return string(b)
}

// actionFunc decodes an action's parameters and runs it.
type actionFunc func(s *Server, form *formNode) (smithy.Serializable, error)

// op adapts a handler taking the SDK's input structure and returning its
// output structure.
func op[In any, Out smithy.Serializable](f func(*Server, *In) (Out, error)) actionFunc {
	return func(s *Server, form *formNode) (smithy.Serializable, error) {
		in := new(In)
		if err := decodeForm(form, in); err != nil {
			return nil, validationErr("%v", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return nil, &apiError{Code: "ServiceUnavailable", Message: "the emulator is closed", Status: 503}
		}
		out, err := f(s, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// Actions lists the API actions the emulator implements.
func Actions() []string {
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// taskGroup runs the emulator's goroutines so that Close can wait for all
// of them; once closed it starts no more.
type taskGroup struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (g *taskGroup) start(fn func()) bool {
	if !g.enter() {
		return false
	}
	go func() {
		defer g.leave()
		fn()
	}()
	return true
}

func (g *taskGroup) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	return true
}

func (g *taskGroup) leave() { g.wg.Done() }

func (g *taskGroup) closeAndWait() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}
