package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestResolutions: concurrent resolutions of one reference ask the
// registry for its manifest once; a failure is not remembered.
func TestResolutions(t *testing.T) {
	var manifests atomic.Int32
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case strings.Contains(r.URL.Path, "/manifests/"):
			manifests.Add(1)
			if fail.Load() {
				http.Error(w, "down", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("a", 64))
			if r.Method != http.MethodHead {
				_, _ = w.Write([]byte(`{"schemaVersion":2}`))
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref := host + "/shop/web:v1"
	var rs Resolutions
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img, err := rs.Resolve(context.Background(), Registry{}, ref)
			if err != nil || !strings.Contains(img.Pinned(), "@sha256:") {
				t.Errorf("resolve: %v %v", img, err)
			}
		}()
	}
	wg.Wait()
	if n := manifests.Load(); n != 1 {
		t.Errorf("%d manifest requests for 20 resolutions of one reference, want 1", n)
	}
	fail.Store(true)
	other := host + "/shop/web:v2"
	if _, err := rs.Resolve(context.Background(), Registry{}, other); err == nil {
		t.Fatal("a failing registry resolved")
	}
	fail.Store(false)
	if _, err := rs.Resolve(context.Background(), Registry{}, other); err != nil {
		t.Errorf("the failure was remembered: %v", err)
	}
}
