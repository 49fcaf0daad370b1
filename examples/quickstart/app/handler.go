package main

import (
	"fmt"
	"net/http"
	"time"
)

// startupDelay is how long /healthz answers 503 after the start, so a
// rollout visibly waits for readiness.
const startupDelay = time.Second

// newHandler serves the app's routes: / greets with the host and version,
// /healthz is the readiness probe. Every other path is 404, so a probe
// pointed at a wrong path fails (the quickstart's "failed rollout" step
// relies on it). now is the clock, a parameter for the tests.
func newHandler(host, version string, started time.Time, now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	// "/{$}" is the root only; a bare "/" pattern would match every path.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s (version %s)\n", host, version)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if now().Sub(started) < startupDelay {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}
