// Command elbv2server serves internal/elbv2emulator, the emulator of the
// AWS ELBv2 (Elastic Load Balancing v2) Query API the AWS provider's
// tests use with the real SDK client, on 127.0.0.1 at a port chosen when
// it starts. scripts/testenv/elbv2.sh runs it.
//
//	elbv2server -addr-file FILE [-addr 127.0.0.1:0] [-region R] [-time-scale F] [-instance ID=HOST]... [-v]
//
// It writes the address it listens on to FILE once it accepts
// connections, and serves until SIGINT or SIGTERM. It checks no
// credentials. Each listener created through the API is served on its
// own 127.0.0.1 port: GET /_emulator/listeners lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/berth-sh/berth/internal/elbv2emulator"
)

type instances map[string]string

func (m instances) String() string { return fmt.Sprint(map[string]string(m)) }
func (m instances) Set(v string) error {
	id, host, ok := strings.Cut(v, "=")
	if !ok || id == "" || host == "" {
		return errors.New("want ID=HOST")
	}
	m[id] = host
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "the address to listen on; port 0 picks a free one")
	addrFile := flag.String("addr-file", "", "the file to write the address listened on to, once listening")
	region := flag.String("region", "us-east-1", "the region in ARNs and DNS names")
	account := flag.String("account-id", "123456789012", "the account in ARNs")
	scale := flag.Float64("time-scale", 1, "scale of health check intervals and deregistration delays (0.1: ten times faster)")
	verbose := flag.Bool("v", false, "log API errors, target health changes and drains")
	inst := instances{}
	flag.Var(inst, "instance", "an instance target ID and the host it is reached at, ID=HOST (repeatable)")
	flag.Parse()
	if err := run(*addr, *addrFile, elbv2emulator.Options{Region: *region, AccountID: *account, TimeScale: *scale, Instances: inst}, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "elbv2server:", err)
		os.Exit(1)
	}
}

func run(addr, addrFile string, opts elbv2emulator.Options, verbose bool) error {
	opts.Addr = addr
	if verbose {
		opts.Logf = log.Printf
	}
	s, err := elbv2emulator.Start(opts)
	if err != nil {
		return err
	}
	defer s.Close()
	listening := strings.TrimPrefix(s.URL(), "http://")
	if addrFile != "" {
		// Written whole, then renamed: a reader never sees half an address.
		tmp := addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(listening+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, addrFile); err != nil {
			return err
		}
	}
	fmt.Println("listening on", listening)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return s.Close()
}
