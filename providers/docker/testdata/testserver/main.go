// Command testserver is the HTTP server that berth's Docker integration
// tests deploy. Its behaviour is set by environment variables so that one
// image (built FROM scratch) can play a healthy app, a slow starter, an app
// that never becomes ready, one that crashes and one whose liveness fails:
//
//	VERSION          served at / and /version (default "dev")
//	LISTEN           listen address (default ":8080")
//	READY_AFTER      duration before /healthz answers 200; 503 before
//	NEVER_READY=1    /healthz never answers 200
//	CRASH_AFTER      exit 1 after this duration
//	LIVE_FAIL_AFTER  /livez answers 500 from this duration on
//
// GET /log?line=TEXT prints TEXT on the server's standard output (with
// &stream=stderr on its standard error): a line written on demand, for
// the tests of berth logs -f.
//
// Because a FROM scratch image holds no shell, curl or wget, the binary is
// also its own health check client:
//
//	/server -probe http://127.0.0.1:8080/livez   exit 0 on a 2xx/3xx answer
//	/server -probe tcp://127.0.0.1:8080          exit 0 when a connection opens
//
// and a stand-in for hooks and exec probes:
//
//	/server -echo TEXT [-exit N]                 print TEXT, exit with N
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	probe := flag.String("probe", "", "probe `URL` (http://... or tcp://host:port) and exit 0 when healthy")
	timeout := flag.Duration("timeout", 2*time.Second, "probe timeout")
	echo := flag.String("echo", "", "print `TEXT` and exit (see -exit)")
	exit := flag.Int("exit", 0, "exit code for -echo")
	flag.Parse()

	switch {
	case *probe != "":
		if err := probeURL(*probe, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			os.Exit(1)
		}
		fmt.Println("probe: ok")
		os.Exit(0)
	case *echo != "":
		fmt.Println(*echo)
		os.Exit(*exit)
	}
	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, "testserver:", err)
		os.Exit(1)
	}
}

// probeURL checks one endpoint the way a container health check would.
func probeURL(raw string, timeout time.Duration) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "tcp":
		c, err := net.DialTimeout("tcp", u.Host, timeout)
		if err != nil {
			return err
		}
		return c.Close()
	case "http":
		client := &http.Client{Timeout: timeout}
		resp, err := client.Get(raw)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("%s answered %s", raw, resp.Status)
		}
		return nil
	default:
		return fmt.Errorf("unsupported probe scheme %q (want http or tcp)", u.Scheme)
	}
}

func durationEnv(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

func serve() error {
	version := os.Getenv("VERSION")
	if version == "" {
		version = "dev"
	}
	listen := os.Getenv("LISTEN")
	if listen == "" {
		listen = ":8080"
	}
	readyAfter, err := durationEnv("READY_AFTER")
	if err != nil {
		return err
	}
	crashAfter, err := durationEnv("CRASH_AFTER")
	if err != nil {
		return err
	}
	liveFailAfter, err := durationEnv("LIVE_FAIL_AFTER")
	if err != nil {
		return err
	}
	neverReady := os.Getenv("NEVER_READY") == "1"
	start := time.Now()
	host, _ := os.Hostname()

	mux := http.NewServeMux()
	versionHandler := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Hostname", host)
		fmt.Fprintln(w, version)
	}
	mux.HandleFunc("/{$}", versionHandler)
	mux.HandleFunc("/version", versionHandler)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if neverReady || time.Since(start) < readyAfter {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/livez", func(w http.ResponseWriter, r *http.Request) {
		if liveFailAfter > 0 && time.Since(start) >= liveFailAfter {
			http.Error(w, "not live", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "live")
	})

	mux.HandleFunc("/log", func(w http.ResponseWriter, r *http.Request) {
		out := os.Stdout
		if r.URL.Query().Get("stream") == "stderr" {
			out = os.Stderr
		}
		fmt.Fprintln(out, r.URL.Query().Get("line"))
		fmt.Fprintln(w, "logged")
	})

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("testserver %s listening on %s\n", version, ln.Addr())

	if crashAfter > 0 {
		time.AfterFunc(crashAfter, func() {
			fmt.Fprintln(os.Stderr, "testserver: crashing as asked (CRASH_AFTER)")
			os.Exit(1)
		})
	}
	// PID 1 in a container gets no default signal handling: without this
	// handler `docker stop` would always wait for the stop timeout.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
