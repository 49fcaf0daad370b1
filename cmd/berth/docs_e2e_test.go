//go:build integration

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/crane"
)

// docImages are the guides' image tags (shop/web in the guides' registry)
// and the test images they are copies of.
var docImages = map[string]string{"1.4.2": "v1", "1.5.0": "v2", "1.6.0": "never-ready"}

// blockTimeout bounds one runnable block: the slowest, a rollout that
// fails and reverts, takes about 25 s.
const blockTimeout = 3 * time.Minute

// TestDocsGuides runs every runnable block of docs/getting-started.md and
// docs/ci.md (docs_test.go says which) against the Docker test
// environment: the guides' two TLS hosts are the test environment's hosts
// A and B behind TLS endpoints that use the certificates the guide makes
// (tlsStandIn), its registry is the test registry, which gets the guides'
// image tags first. A block that does not exit as marked fails the test
// with its output.
func TestDocsGuides(t *testing.T) {
	hostA, hostB := dockerEnv(t, "BERTH_TEST_DOCKER_A"), dockerEnv(t, "BERTH_TEST_DOCKER_B")
	registry, image := dockerEnv(t, "BERTH_TEST_REGISTRY"), dockerEnv(t, "BERTH_TEST_IMAGE")
	user, password := dockerEnv(t, "BERTH_TEST_REGISTRY_USER"), dockerEnv(t, "BERTH_TEST_REGISTRY_PASSWORD")
	for _, tool := range []string{"bash", "openssl", "docker"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the guides' commands need %s: %v", tool, err)
		}
	}
	auth := crane.WithAuth(&authn.Basic{Username: user, Password: password})
	for tag, from := range docImages {
		if err := crane.Copy(image+":"+from, registry+"/shop/web:"+tag, auth, crane.Insecure); err != nil {
			t.Fatalf("copying the test image %s as shop/web:%s: %v", from, tag, err)
		}
	}

	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	tls1 := startTLSStandIn(t, certs, "edge-1", hostA)
	tls2 := startTLSStandIn(t, certs, "edge-2", hostB)
	pairs := docsSubstitutions(tls1, tls2, registry, user)

	bin := berthBinary(t)
	env := docsEnv(filepath.Dir(bin), "BERTH_VAR_registry_password="+password, "NO_COLOR=1")
	t.Cleanup(func() {
		// Whatever a failed guide left running.
		if _, err := os.Stat(filepath.Join(dir, "berth.state")); err == nil {
			cmd := exec.Command(bin, "destroy", "-auto-approve")
			cmd.Dir, cmd.Env = dir, env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("destroy after the guides: %v\n%s", err, out)
			}
		}
	})

	for _, g := range docGuides {
		blocks, err := readDocBlocks(filepath.Join(docsDir, g))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			text := substitute(b.Text, pairs)
			if b.WriteTo != "" {
				if err := os.WriteFile(filepath.Join(dir, b.WriteTo), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			runDocBlock(t, b, text, dir, env)
		}
	}
}

// runDocBlock runs one command block in dir and fails the test (and stops
// it: the next blocks build on this one) unless it exits as marked.
func runDocBlock(t *testing.T, b docBlock, text, dir string, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), blockTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", text)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", b, err)
	}
	// Shown with -v: what to paste into the guide's sample output.
	t.Logf("%s: exit %d after %.1fs\n%s", b, code, time.Since(start).Seconds(), &out)
	if ctx.Err() != nil {
		t.Fatalf("%s: not done within %s\n--- block:\n%s--- output:\n%s", b, blockTimeout, text, &out)
	}
	if code != b.Exit {
		t.Fatalf("%s: exit %d, want %d\n--- block:\n%s--- output:\n%s", b, code, b.Exit, text, &out)
	}
}

// docsEnv is the environment of the guides' commands: this one, with the
// berth under test first in PATH, without the variables that would change
// what berth or docker do, plus extra.
func docsEnv(binDir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "BERTH_") || strings.HasPrefix(k, "DOCKER_") || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return append(env, extra...)
}

// startTLSStandIn serves the Docker Engine API of the test host at
// endpoint (unix://...) on a TLS port of 127.0.0.1, as the guide's dockerd
// configuration makes a host serve it: with the server certificate
// dir/NAME-cert.pem and its key, accepting only clients with a
// certificate signed by dir/ca.pem. The TLS configuration is the one
// dockerd builds for --tlsverify (docker/go-connections' tlsconfig.Server
// with tls.RequireAndVerifyClientCert); the files are read at each
// handshake, since the guide makes them after the listener starts. It
// returns the listener's host:port.
func startTLSStandIn(t *testing.T, dir, name, endpoint string) string {
	t.Helper()
	socket, ok := strings.CutPrefix(endpoint, "unix://")
	if !ok {
		t.Fatalf("the test host %s is not a unix socket", endpoint)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	config := &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return tlsconfig.Server(tlsconfig.Options{
			CAFile:     filepath.Join(dir, "ca.pem"),
			CertFile:   filepath.Join(dir, name+"-cert.pem"),
			KeyFile:    filepath.Join(dir, name+"-key.pem"),
			ClientAuth: tls.RequireAndVerifyClientCert,
		})
	}}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	t.Cleanup(func() {
		ln.Close()
		// A connection still open now belongs to nothing the test waits
		// for (an idle keep-alive of a process that is gone).
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				forward(tls.Server(c, config), socket)
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			})
		}
	})
	return ln.Addr().String()
}

// forward copies between a client connection and the engine's socket, both
// ways, until both sides are done; a side that ends closes its half of the
// other, as the engine's hijacked connections (exec, attach) need.
func forward(client *tls.Conn, socket string) {
	defer client.Close()
	if err := client.Handshake(); err != nil {
		return
	}
	engine, err := net.Dial("unix", socket)
	if err != nil {
		return
	}
	defer engine.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(engine, client)
		engine.(*net.UnixConn).CloseWrite()
		close(done)
	}()
	io.Copy(client, engine)
	client.CloseWrite()
	<-done
}
