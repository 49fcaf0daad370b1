package engine

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestConnectErrorsNameTheHost(t *testing.T) {
	tests := []struct {
		cfg  HostConfig
		want string
	}{
		{HostConfig{Name: "edge-1", Endpoint: "unix:///nonexistent/d.sock"}, `docker host "edge-1" (unix:///nonexistent/d.sock): cannot reach the Docker Engine`},
		{HostConfig{Name: "edge-2", Endpoint: "tcp://127.0.0.1:1"}, `docker host "edge-2" (tcp://127.0.0.1:1): cannot reach the Docker Engine`},
		{HostConfig{Name: "edge-3", Endpoint: "ssh://x"}, `docker host "edge-3" (ssh://x): unsupported endpoint scheme "ssh"`},
		{HostConfig{Name: "edge-4", Endpoint: "unix:///x", TLS: &TLSFiles{}}, `docker host "edge-4" (unix:///x): tls is only for tcp endpoints`},
		{HostConfig{Name: "edge-5", Endpoint: "tcp://10.0.0.1:2376", TLS: &TLSFiles{CAFile: "/nonexistent/ca.pem"}}, `docker host "edge-5" (tcp://10.0.0.1:2376): configure TLS`},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Name, func(t *testing.T) {
			h, err := Connect(t.Context(), tt.cfg)
			if err == nil {
				h.Close()
				t.Fatal("Connect succeeded")
			}
			if got := err.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Errorf("error\n got: %s\nwant prefix: %s", got, tt.want)
			}
		})
	}
}

// An endpoint that accepts connections and never answers (a wedged
// dockerd) fails the call after AnswerTimeout instead of hanging plan,
// refresh and drift.
func TestConnectToAnEngineThatNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conns := make(chan net.Conn, 16)
	defer func() {
		l.Close()
		for len(conns) > 0 {
			(<-conns).Close()
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns <- c // held open, never answered
		}
	}()
	defer func(d time.Duration) { AnswerTimeout = d }(AnswerTimeout)
	AnswerTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err = Connect(context.Background(), HostConfig{Name: "wedged", Endpoint: "tcp://" + l.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") || !strings.Contains(err.Error(), `docker host "wedged"`) {
		t.Fatalf("Connect = %v", err)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("gave up after %s", el)
	}
}
