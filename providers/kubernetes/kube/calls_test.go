package kube

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestVerbOf(t *testing.T) {
	for _, tt := range []struct{ method, url, contentType, want string }{
		{"GET", "/version", "", "discovery"},
		{"GET", "/api", "", "discovery"},
		{"GET", "/apis", "", "discovery"},
		{"GET", "/apis/apps/v1", "", "discovery"},
		{"GET", "/api/v1", "", "discovery"},
		{"GET", "/openapi/v3", "", "discovery"},
		{"GET", "/api/v1/namespaces/shop/pods", "", "list"},
		{"GET", "/api/v1/namespaces/shop/pods?labelSelector=a%3Db&limit=500", "", "list"},
		{"GET", "/api/v1/namespaces/shop/pods?watch=true&resourceVersion=5", "", "watch"},
		{"GET", "/api/v1/watch/namespaces/shop/pods", "", "watch"},
		{"GET", "/api/v1/namespaces/shop/pods/web-1", "", "get"},
		{"GET", "/api/v1/namespaces/shop/pods/web-1/log", "", "get"},
		{"GET", "/api/v1/namespaces", "", "list"},
		{"GET", "/api/v1/namespaces/shop", "", "get"},
		{"GET", "/api/v1/nodes", "", "list"},
		{"GET", "/apis/apps/v1/namespaces/shop/deployments/web", "", "get"},
		{"GET", "/apis/example.com/v1/widgets", "", "list"},
		{"PATCH", "/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=berth", "application/apply-patch+yaml", "apply"},
		{"PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", "application/merge-patch+json", "patch"},
		{"POST", "/api/v1/namespaces/shop/configmaps", "application/json", "create"},
		{"PUT", "/apis/apps/v1/namespaces/shop/deployments/web", "application/json", "update"},
		{"DELETE", "/apis/apps/v1/namespaces/shop/deployments/web", "", "delete"},
		{"DELETE", "/api/v1/namespaces/shop/configmaps?labelSelector=a", "", "delete"},
	} {
		r := httptest.NewRequest(tt.method, tt.url, nil)
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		if got := verbOf(r); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.method, tt.url, got, tt.want)
		}
	}
}

// TestCallCounter: the wrapper counts every request it passes on.
func TestCallCounter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	cc := newCallCounter()
	client := &http.Client{Transport: cc.wrap(http.DefaultTransport)}
	for _, p := range []string{"/api/v1/namespaces/a/configmaps", "/api/v1/namespaces/a/configmaps/x", "/api/v1/namespaces/a/configmaps"} {
		resp, err := client.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got := cc.snapshot()
	if got.Total != 3 || got.ByVerb["list"] != 2 || got.ByVerb["get"] != 1 {
		t.Errorf("calls %+v", got)
	}
	got.ByVerb["list"] = 99
	if cc.snapshot().ByVerb["list"] != 2 {
		t.Error("a snapshot shares its map with the counter")
	}
}
