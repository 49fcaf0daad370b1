// Command probehelper is the tiny static program berth copies into a
// container (at /.berth/probe, before start) so that http and tcp liveness
// probes can run as the container's HEALTHCHECK even in FROM scratch
// images, which have no shell, curl or wget (docs/docker.md):
//
//	/.berth/probe [-timeout 1s] [-status 200,204] http://127.0.0.1:8080/livez
//	/.berth/probe [-timeout 1s] tcp://127.0.0.1:8080
//
// It exits 0 when healthy and 1 otherwise, printing why. It uses only the
// net package (a plain HTTP/1.0 GET) to stay small: build it with
// CGO_ENABLED=0 -ldflags='-s -w' for the host's architecture.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	timeout := flag.Duration("timeout", time.Second, "give up after this long")
	status := flag.String("status", "", "comma-separated healthy HTTP statuses (default 200-399)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: probe [-timeout d] [-status list] http://host:port/path | tcp://host:port")
		os.Exit(2)
	}
	if err := probe(flag.Arg(0), *timeout, *status); err != nil {
		fmt.Println("unhealthy:", err)
		os.Exit(1)
	}
	fmt.Println("healthy")
}

func probe(raw string, timeout time.Duration, status string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	conn, err := net.DialTimeout("tcp", u.Host, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	switch u.Scheme {
	case "tcp":
		return nil
	case "http":
	default:
		return fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	_ = conn.SetDeadline(deadline)
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: berth-probe\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the answer: %v", err)
	}
	// "HTTP/1.1 200 OK"
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return fmt.Errorf("malformed status line %q", strings.TrimSpace(line))
	}
	code, err := strconv.Atoi(fields[1])
	if err != nil {
		return fmt.Errorf("malformed status line %q", strings.TrimSpace(line))
	}
	ok := code >= 200 && code < 400
	if status != "" {
		ok = slices.Contains(strings.Split(status, ","), strconv.Itoa(code))
	}
	if !ok {
		return fmt.Errorf("answered %s", strings.TrimSpace(strings.Join(fields[1:], " ")))
	}
	return nil
}
