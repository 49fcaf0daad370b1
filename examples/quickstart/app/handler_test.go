package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	started := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		method   string
		path     string
		after    time.Duration // since the start
		want     int
		wantBody string
	}{
		{"root", "GET", "/", 2 * time.Second, http.StatusOK, "hello from host-1 (version v7)"},
		{"root while starting", "GET", "/", 0, http.StatusOK, "version v7"},
		{"healthz ready", "GET", "/healthz", 2 * time.Second, http.StatusOK, "ok"},
		{"healthz starting", "GET", "/healthz", 500 * time.Millisecond, http.StatusServiceUnavailable, "starting"},
		{"unknown path", "GET", "/nope", 2 * time.Second, http.StatusNotFound, ""},
		{"unknown path under root", "GET", "/healthz/extra", 2 * time.Second, http.StatusNotFound, ""},
		{"misspelled probe path", "GET", "/healthzz", 2 * time.Second, http.StatusNotFound, ""},
		{"HEAD root", "HEAD", "/", 2 * time.Second, http.StatusOK, ""},
		{"POST root", "POST", "/", 2 * time.Second, http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := func() time.Time { return started.Add(tt.after) }
			h := newHandler("host-1", "v7", started, now)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.want {
				t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, rec.Code, tt.want)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("%s %s: body %q, want it to contain %q", tt.method, tt.path, rec.Body.String(), tt.wantBody)
			}
		})
	}
}
