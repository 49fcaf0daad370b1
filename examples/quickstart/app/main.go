// Command hello is the quickstart's app: a small HTTP server that says
// which version it is. It is built FROM scratch (see Dockerfile), so it
// carries no shell and no libc.
package main

import (
	"log"
	"net/http"
	"os"
	"time"
)

// version is set at build time: -ldflags "-X main.version=v2".
var version = "dev"

func main() {
	host, _ := os.Hostname()
	log.Printf("hello %s listening on :8080", version)
	log.Fatal(http.ListenAndServe(":8080", newHandler(host, version, time.Now(), time.Now)))
}
