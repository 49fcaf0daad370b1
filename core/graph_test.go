package core

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-sh/berth/lang"
)

// An app depends on every registry, even when its image names the
// registry's address literally: its value carries the registry's
// credentials, so -target and parallel walks must evaluate it first.
func TestAppsDependOnRegistries(t *testing.T) {
	dir := t.TempDir()
	src := `
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
app "web" {
  cluster = cluster.c
  image   = "127.0.0.1:5055/shop/web:v1"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.berth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := lang.LoadDir(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
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
