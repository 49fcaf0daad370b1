// Command s3server is the S3 server of the s3 state backend's tests: an
// in-memory gofakes3 (github.com/johannesboyne/gofakes3), which implements
// S3's conditional writes (If-Match, If-None-Match: *), on 127.0.0.1 at a
// port chosen when it starts. scripts/testenv/s3.sh runs it.
//
//	s3server -addr-file FILE [-addr 127.0.0.1:0] [-bucket NAME]...
//
// It creates the buckets named, with versioning enabled, writes the
// address it listens on to FILE once it accepts connections, and serves
// until SIGINT or SIGTERM. It checks no credentials.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

type buckets []string

func (b *buckets) String() string     { return strings.Join(*b, ",") }
func (b *buckets) Set(v string) error { *b = append(*b, v); return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "the address to listen on; port 0 picks a free one")
	addrFile := flag.String("addr-file", "", "the file to write the address listened on to, once listening")
	var names buckets
	flag.Var(&names, "bucket", "a bucket to create, versioned (repeatable)")
	flag.Parse()
	if err := run(*addr, *addrFile, names); err != nil {
		fmt.Fprintln(os.Stderr, "s3server:", err)
		os.Exit(1)
	}
}

func run(addr, addrFile string, names []string) error {
	store := s3mem.New()
	for _, n := range names {
		if err := store.CreateBucket(n); err != nil {
			return fmt.Errorf("creating bucket %s: %w", n, err)
		}
		if err := store.SetVersioningConfiguration(n, gofakes3.VersioningConfiguration{Status: gofakes3.VersioningEnabled}); err != nil {
			return fmt.Errorf("enabling versioning of bucket %s: %w", n, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if addrFile != "" {
		// Written whole, then renamed: a reader never sees half an address.
		tmp := addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, addrFile); err != nil {
			return err
		}
	}
	fmt.Println("listening on", ln.Addr())
	srv := &http.Server{Handler: gofakes3.New(store).Server(), ReadHeaderTimeout: time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
