// Command hello is the quickstart's app: a small HTTP server that says
// which version it is. It is built FROM scratch (see Dockerfile), so it
// carries no shell and no libc.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

// version is set at build time: -ldflags "-X main.version=v2".
var version = "dev"

func main() {
	started := time.Now()
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s (version %s)\n", host, version)
	})
	// Ready after a second, so the rollout visibly waits for readiness.
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if time.Since(started) < time.Second {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	log.Printf("hello %s listening on :8080", version)
	log.Fatal(http.ListenAndServe(":8080", mux))
}
