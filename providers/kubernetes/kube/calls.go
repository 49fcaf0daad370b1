package kube

import (
	"maps"
	"net/http"
	"strings"
	"sync"
)

// Calls counts the API requests of a cluster since Connect.
type Calls struct {
	// Total is the number of requests.
	Total int
	// ByVerb counts them by verb: get, list, watch, apply, create, update,
	// patch, delete, and discovery (GETs of /version, /api, /apis,
	// /openapi: the RESTMapper's).
	ByVerb map[string]int
}

// Calls returns the requests made since Connect (a copy).
func (c *Cluster) Calls() Calls {
	return c.calls.snapshot()
}

// callCounter counts requests at the transport, so that every client of
// the cluster (typed, dynamic, discovery) is counted, retries included.
type callCounter struct {
	mu     sync.Mutex
	total  int
	byVerb map[string]int
}

func newCallCounter() *callCounter {
	return &callCounter{byVerb: map[string]int{}}
}

// wrap is a rest.Config.WrapTransport.
func (cc *callCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		cc.count(verbOf(r))
		return rt.RoundTrip(r)
	})
}

func (cc *callCounter) count(verb string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.total++
	cc.byVerb[verb]++
}

func (cc *callCounter) snapshot() Calls {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return Calls{Total: cc.total, ByVerb: maps.Clone(cc.byVerb)}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// verbOf tells the API verb of a request from its method and path
// (/api/v1/namespaces/NS/RESOURCE[/NAME[/SUB]], /apis/GROUP/VERSION/...).
func verbOf(r *http.Request) string {
	switch r.Method {
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodDelete:
		return "delete"
	case http.MethodPatch:
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/apply-patch") {
			return "apply"
		}
		return "patch"
	}
	rest, ok := resourcePath(r.URL.Path)
	if !ok {
		return "discovery"
	}
	if r.URL.Query().Get("watch") == "true" || rest[0] == "watch" {
		return "watch"
	}
	if len(rest) == 1 {
		return "list"
	}
	return "get"
}

// resourcePath returns the segments of p after the group version and the
// namespace: [RESOURCE] for a collection, [RESOURCE NAME ...] for an
// object; false for a path that names no resource (discovery).
func resourcePath(p string) ([]string, bool) {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(seg) >= 3 && seg[0] == "api":
		seg = seg[2:]
	case len(seg) >= 4 && seg[0] == "apis":
		seg = seg[3:]
	default:
		return nil, false
	}
	// namespaces/NS/RESOURCE...; namespaces and namespaces/NS are the
	// Namespace resource itself.
	if len(seg) >= 3 && seg[0] == "namespaces" {
		seg = seg[2:]
	}
	return seg, true
}
