package lang

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad writes random bytes as a configuration file and checks that
// loading, validating and collecting variables never panic.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"",
		`locals { a = 1 }`,
		baseCluster + `app "web" {
  cluster  = cluster.prod
  image    = "x:${var.tag}"
  replicas = 3
  port "http" { container = 80 }
  readiness { http { port = "http" } }
  rollout { growth = 1.5 }
}
variable "tag" { default = "v" }`,
		`probe "p" { tcp { port = 80 } timeout = "20s" }`,
		`locals { a = local.b
b = local.a }`,
		`resource "acme_x" "y" { count = 2
name = "${count.index}" }`,
		`load_balancer "lb" { listener { port = 80 } target {
app = app.web
port = "http" } }`,
		`variable "v" {
  type = object({ a = optional(string, "x") })
  validation {
    condition = var.v.a != ""
    error_message = "no"
  }
}`,
	}
	if b, err := os.ReadFile("testdata/full/main.berth.hcl"); err == nil {
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "fuzz.berth.hcl"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, _ := LoadDir(dir)
		Validate(cfg)
		_, _ = cfg.Dependencies()
		_, _ = CollectVariables(cfg, dir, nil, nil)
	})
}
