// Package engine is berth's client of the Docker Engine API: a connection
// to one engine (Host) and its capacity, berth's labels on the containers
// it creates and the one label-filtered call that lists them, the
// container operations of a rollout (create, start, stop, remove, inspect,
// exec, copy a file in) and image pulls. It knows nothing of apps, plans or
// state: the docker provider decides what runs where and calls it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// HostConfig is one `host` block of a cluster's `docker` block.
type HostConfig struct {
	// Name is the host block's label, e.g. "edge-1".
	Name string
	// Endpoint is the Engine API address: unix:///path or tcp://host:port.
	Endpoint string
	// TLS, for tcp endpoints; nil means plain TCP.
	TLS    *TLSFiles
	Labels map[string]string
}

// TLSFiles are the PEM files of a TLS connection to an engine.
type TLSFiles struct {
	CAFile   string
	CertFile string
	KeyFile  string
}

// Host is a connection to one Docker Engine.
type Host struct {
	Config HostConfig
	api    *client.Client
	// address is where berth reaches the host's published ports.
	address netip.Addr
	// publishIP is the host IP that container ports are published on.
	publishIP netip.Addr
}

// HostInfo is what berth needs from the engine's /info and /version.
type HostInfo struct {
	// CPU is NCPU × 1000; Memory is MemTotal in bytes.
	CPU           scheduler.MilliCPU
	Memory        int64
	Architecture  string
	OSType        string
	ServerVersion string
	// APIVersion is the negotiated Engine API version, e.g. "1.41".
	APIVersion string
}

// Connect opens a connection to the engine of cfg and checks that it
// answers, negotiating the API version (Debian's 20.10 speaks 1.41).
func Connect(ctx context.Context, cfg HostConfig) (*Host, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, hostErr(cfg, "invalid endpoint: %v", err)
	}
	h := &Host{Config: cfg}
	loopback := netip.MustParseAddr("127.0.0.1")
	switch u.Scheme {
	case "unix":
		if u.Path == "" {
			return nil, hostErr(cfg, "invalid endpoint: a unix endpoint needs a socket path (unix:///var/run/docker.sock)")
		}
		if cfg.TLS != nil {
			return nil, hostErr(cfg, "tls is only for tcp endpoints")
		}
		// A local engine: its published ports are on this machine, and
		// publishing on loopback keeps them off the network.
		h.address, h.publishIP = loopback, loopback
	case "tcp":
		host, _, err := net.SplitHostPort(u.Host)
		if err != nil {
			return nil, hostErr(cfg, "invalid endpoint: %v (want tcp://host:port)", err)
		}
		addr, err := resolveHost(ctx, host)
		if err != nil {
			return nil, hostErr(cfg, "cannot resolve %s: %v", host, err)
		}
		h.address = addr
		h.publishIP = netip.IPv4Unspecified()
		if addr.IsLoopback() {
			h.publishIP = addr
		}
	default:
		return nil, hostErr(cfg, "unsupported endpoint scheme %q (want unix:// or tcp://)", u.Scheme)
	}

	opts := []client.Opt{client.WithHost(cfg.Endpoint), client.WithUserAgent("berth")}
	if cfg.TLS != nil {
		opts = append(opts, client.WithTLSClientConfig(cfg.TLS.CAFile, cfg.TLS.CertFile, cfg.TLS.KeyFile))
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, hostErr(cfg, "%v", err)
	}
	h.api = api
	err = answered(ctx, func(ctx context.Context) error {
		_, err := api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		return err
	})
	if err != nil {
		_ = api.Close()
		return nil, h.wrap("cannot reach the Docker Engine", err)
	}
	return h, nil
}

// answered runs a short engine call bounded by AnswerTimeout, and says so
// when that is what ended it.
func answered(ctx context.Context, call func(context.Context) error) error {
	actx, cancel := context.WithTimeoutCause(ctx, AnswerTimeout, errNoAnswer)
	defer cancel()
	err := call(actx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), errNoAnswer) {
		return fmt.Errorf("no answer within %s (the endpoint accepts connections, but no Docker Engine answers there)", AnswerTimeout)
	}
	return err
}

// AnswerTimeout bounds the engine's answer to a short call (ping, info,
// list): an endpoint that accepts the connection and never answers (a
// wedged dockerd, the wrong service) fails the call instead of hanging
// plan, refresh and drift.
var AnswerTimeout = 30 * time.Second

var errNoAnswer = errors.New("no answer")

func resolveHost(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(addrs) == 0 {
		return netip.Addr{}, errors.New("no addresses")
	}
	return addrs[0].Unmap(), nil
}

// Close releases the connection.
func (h *Host) Close() error { return h.api.Close() }

// API is the underlying Engine API client, for what the helpers here do not
// cover.
func (h *Host) API() *client.Client { return h.api }

// Address is the IP at which berth reaches ports published on this host:
// 127.0.0.1 for a unix endpoint, the endpoint's host for tcp.
func (h *Host) Address() netip.Addr { return h.address }

// PublishIP is the host IP that container ports are published on.
func (h *Host) PublishIP() netip.Addr { return h.publishIP }

// Local says the engine runs on this machine (a unix endpoint, or tcp on
// a loopback address): its containers' own addresses on the bridge are
// reachable from the berth process.
func (h *Host) Local() bool { return h.address.IsLoopback() }

// Info reads the host's capacity and versions.
func (h *Host) Info(ctx context.Context) (HostInfo, error) {
	var res client.SystemInfoResult
	err := answered(ctx, func(ctx context.Context) (err error) {
		res, err = h.api.Info(ctx, client.InfoOptions{})
		return err
	})
	if err != nil {
		return HostInfo{}, h.wrap("reading engine info", err)
	}
	i := res.Info
	return HostInfo{
		CPU:           scheduler.MilliCPU(i.NCPU) * 1000,
		Memory:        i.MemTotal,
		Architecture:  i.Architecture,
		OSType:        i.OSType,
		ServerVersion: i.ServerVersion,
		APIVersion:    h.api.ClientVersion(),
	}, nil
}

// ConnectAll connects to every host of a cluster, concurrently; the error joins
// every host that failed.
func ConnectAll(ctx context.Context, cfgs []HostConfig) ([]*Host, error) {
	hosts := make([]*Host, len(cfgs))
	errs := make([]error, len(cfgs))
	done := make(chan struct{})
	for i, cfg := range cfgs {
		go func() {
			defer func() { done <- struct{}{} }()
			hosts[i], errs[i] = Connect(ctx, cfg)
		}()
	}
	for range cfgs {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		for _, h := range hosts {
			if h != nil {
				_ = h.Close()
			}
		}
		return nil, err
	}
	return hosts, nil
}
