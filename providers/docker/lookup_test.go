package docker

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/docker/engine"
)

func TestSchemaLooksUpByKey(t *testing.T) {
	s := New().GetSchema(t.Context())
	for _, typ := range []string{TypeApp, TypeScalingPolicy} {
		if !s.ResourceTypes[typ].LookupByKey {
			t.Errorf("%s: LookupByKey not declared", typ)
		}
	}
}

// Only the containers of the create carry its key.
func TestContainerSpecCarriesTheCreateKey(t *testing.T) {
	cl := clusterValue(t, "c", testHost{name: "a", endpoint: "unix:///x"})
	a, err := decodeApp(appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n", cl, cty.NilVal, "web"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "intent-7"} {
		a.CreateKey = key
		cs, err := a.containerSpec("web-1", "x86_64")
		if err != nil {
			t.Fatal(err)
		}
		got, ok := cs.Labels[engine.LabelCreateKey]
		if got != key || ok != (key != "") {
			t.Errorf("create key %q: label %q (set %v)", key, got, ok)
		}
	}
}

// Lookup without an engine to ask: what it refuses, and a host that
// cannot be reached is an error on the object, never "not found".
func TestLookupWithoutAnEngine(t *testing.T) {
	gone := "unix://" + filepath.Join(t.TempDir(), "no.sock")
	cl := clusterValue(t, "c", testHost{name: "edge-9", endpoint: gone})
	planned := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n", cl, cty.NilVal, "web")
	p := New()
	defer p.Close()
	resp := p.LookupResources(t.Context(), providers.LookupResourcesRequest{Objects: []providers.LookupObject{
		{ID: "app.web", TypeName: TypeApp, IdempotencyKey: "k1", Planned: planned},
		{ID: "scaling_policy.web", TypeName: TypeScalingPolicy, IdempotencyKey: "k2", Planned: cty.EmptyObjectVal},
		{ID: "app.nokey", TypeName: TypeApp, Planned: planned},
		{ID: "app.noplan", TypeName: TypeApp, IdempotencyKey: "k3", Planned: nullAppForTest()},
		{ID: "db.x", TypeName: "db", IdempotencyKey: "k4"},
	}})
	if len(resp.Results) != 5 {
		t.Fatalf("%d results", len(resp.Results))
	}
	for i, tt := range []struct {
		id, err string
	}{
		{"app.web", `host "edge-9" cannot be listed`},
		{"scaling_policy.web", ""},
		{"app.nokey", "no idempotency key"},
		{"app.noplan", "no planned state"},
		{"db.x", "no resource type"},
	} {
		r := resp.Results[i]
		if r.ID != tt.id || r.Found || !r.State.IsNull() {
			t.Errorf("%s: result %+v", tt.id, r)
		}
		if tt.err == "" {
			if len(r.Diagnostics) > 0 {
				t.Errorf("%s: %v", tt.id, r.Diagnostics)
			}
			continue
		}
		if !r.Diagnostics.HasErrors() || !strings.Contains(r.Diagnostics.Error(), tt.err) {
			t.Errorf("%s: diagnostics %v, want an error saying %q", tt.id, r.Diagnostics, tt.err)
		}
	}
	if !strings.Contains(resp.Results[0].Diagnostics.Error(), gone) {
		t.Errorf("the unreachable host's error does not name its endpoint: %v", resp.Results[0].Diagnostics)
	}
}

// A container berth has no record of reads as not_ready: it may never
// have passed readiness.
func TestUnvouched(t *testing.T) {
	ls := []live{
		{Container: engine.Container{ID: "ok", State: statusRunning}},
		{Container: engine.Container{ID: "failed", State: statusRunning}},
		{Container: engine.Container{ID: "stranger", State: statusRunning}},
	}
	recorded := []app.Instance{{ID: "ok", Status: statusRunning}, {ID: "failed", Status: statusNotReady}, {ID: "gone", Status: statusRunning}}
	got := unvouched(ls, recorded)
	if len(got) != 2 || !got["failed"] || !got["stranger"] {
		t.Errorf("unvouched %v, want failed and stranger", got)
	}
	if got := unvouched(ls, nil); len(got) != 3 {
		t.Errorf("with nothing recorded: %v, want all", got)
	}
}

// An apply's private data names the hosts outside its state's cluster
// that hold containers: refresh lists them too.
func TestPrivateNamesHostsOutsideTheStatesCluster(t *testing.T) {
	a, b := engine.HostConfig{Name: "a", Endpoint: "unix:///a"}, engine.HostConfig{Name: "b", Endpoint: "unix:///b"}
	ap := &applier{hosts: map[string]*engine.Host{"a": {Config: a}, "b": {Config: b}}, order: []string{"a", "b"}}
	onA := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n", clusterValue(t, "c", testHost{name: "a", endpoint: a.Endpoint}), cty.NilVal, "web")
	onAB := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n", clusterValue(t, "c", testHost{name: "a", endpoint: a.Endpoint}, testHost{name: "b", endpoint: b.Endpoint}), cty.NilVal, "web")
	for _, tt := range []struct {
		name       string
		st         cty.Value
		holding    map[string]bool
		listFailed bool
		want       []string
	}{
		{"containers on b, the state's cluster lacks it", onA, map[string]bool{"a": true, "b": true}, false, []string{"b"}},
		{"b empty", onA, map[string]bool{"a": true}, false, nil},
		{"b in the cluster", onAB, map[string]bool{"a": true, "b": true}, false, nil},
		{"listing failed", onA, nil, true, []string{"b"}},
	} {
		ap.holding, ap.listFailed = tt.holding, tt.listFailed
		var got []string
		for _, h := range decodePrivate(ap.private(tt.st)).Retired {
			got = append(got, h.Name)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAddedHosts(t *testing.T) {
	a, b := testHost{name: "a", endpoint: "unix:///a"}, testHost{name: "b2", endpoint: "unix:///b"}
	prior := appValue(t, "cluster = cluster.c\nimage = \"r/x:v1\"\n", clusterValue(t, "c", a), cty.NilVal, "web")
	c, err := decodeCluster(app.Cluster{Name: "c", Kind: Kind, Settings: clusterValue(t, "c", a, b).GetAttr("docker")})
	if err != nil {
		t.Fatal(err)
	}
	got := addedHosts(prior, c)
	if len(got) != 1 || got[0].Endpoint != "unix:///b" {
		t.Errorf("added %v, want b", got)
	}
}
