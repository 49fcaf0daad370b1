package core

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/lang"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// loadConfig loads src as the configuration of a new directory.
func loadConfig(t *testing.T, src string) *lang.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.berth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := lang.LoadDir(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

// clusterAndRegistry is a docker cluster and a registry, for the app of a
// test to use.
const clusterAndRegistry = `
cluster "c" {
  docker {
    host "a" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}
registry "r" {
  address  = "127.0.0.1:5055"
  username = "u"
  password = "p"
}
`

// An app depends on every registry, even when its image names the
// registry's address literally: its value carries the registry's
// credentials, so -target and parallel walks must evaluate it first.
func TestAppsDependOnRegistries(t *testing.T) {
	src := clusterAndRegistry + `
app "web" {
  cluster = cluster.c
  image   = "127.0.0.1:5055/shop/web:v1"
}
`
	cfg := loadConfig(t, src)
	gr, diags := buildGraph(cfg, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	app, reg := gr.index["app.web"], gr.index["registry.r"]
	found := false
	for _, d := range gr.g.Dependencies(app) {
		found = found || d == reg
	}
	if !found {
		t.Fatalf("app.web does not depend on registry.r")
	}
	if keep := gr.restrict(mustInstances(t, "app.web")); !keep[reg] {
		t.Fatalf("-target=app.web leaves out the registry its image uses")
	}
}

// A provider's diagnostic about an attribute points at where that
// attribute is written.
func TestAttrRange(t *testing.T) {
	src := `
name   = "a"
values = ["192.0.2.1", "2001:db8::1"]
hooks {
  drain = "x"
}
`
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, tc := range []struct {
		path cty.Path
		line int
		col  int
	}{
		{cty.GetAttrPath("name"), 2, 10},
		{cty.GetAttrPath("values").IndexInt(1), 3, 24},
		{cty.GetAttrPath("hooks").GetAttr("drain"), 5, 11},
		{cty.GetAttrPath("hooks").GetAttr("before_stop"), 4, 1},
	} {
		r := attrRange(f.Body, tc.path)
		if r == nil || r.Start.Line != tc.line || r.Start.Column != tc.col {
			t.Errorf("%#v: got %v, want line %d column %d", tc.path, r, tc.line, tc.col)
		}
	}
	if r := attrRange(f.Body, cty.GetAttrPath("ttl")); r != nil {
		t.Errorf("an attribute not written has a range: %v", r)
	}
}

// berth graph draws each dependency once, also when it is found twice (an
// app referring to a registry it also waits for by rule).
func TestGraphDrawsAnEdgeOnce(t *testing.T) {
	src := clusterAndRegistry + `
app "web" {
  cluster = cluster.c
  image   = "${registry.r.address}/shop/web:v1"
}
`
	cfg := loadConfig(t, src)
	dot, diags := (&Engine{Config: cfg}).Graph(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if n := strings.Count(dot, `"app.web" -> "registry.r"`); n != 1 {
		t.Errorf("the edge app.web -> registry.r is drawn %d times:\n%s", n, dot)
	}
}
