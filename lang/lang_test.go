package lang

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// writeDir writes files into a fresh temporary directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadValidate loads and validates one main.berth.hcl.
func loadValidate(t *testing.T, src string) (*Config, hcl.Diagnostics) {
	t.Helper()
	cfg, diags := LoadDir(writeDir(t, map[string]string{"main.berth.hcl": src}))
	if diags.HasErrors() {
		return cfg, diags
	}
	return cfg, append(diags, Validate(cfg)...)
}

// baseCluster declares cluster "prod" on the five lines before a test's
// own source, which starts on line 7.
const baseCluster = `
cluster "prod" {
  docker {
    host "h1" { endpoint = "unix:///var/run/docker.sock" }
  }
}
`

func TestValidateDiagnostics(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		summary string // of the first error
		detail  string // substring of its detail
		line    int    // of its subject
	}{
		{"app without cluster", `app "web" { image = "x" }`, "Missing required argument", `"cluster"`, 1},
		{"cluster not a reference", baseCluster + `app "web" {
  cluster = "prod"
  image   = "x"
}`, "Invalid cluster reference", "exactly one cluster", 8},
		{"negative replicas", baseCluster + `app "web" {
  cluster  = cluster.prod
  image    = "x"
  replicas = -1
}`, `Invalid value for "replicas"`, "at least 0", 10},
		{"bad duration", `probe "p" {
  tcp { port = 80 }
  period = "10 seconds"
}`, `Invalid value for "period"`, "not a duration", 3},
		{"bad quantity", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  resources { memory = "lots" }
}`, `Invalid value for "memory"`, "not a quantity", 10},
		{"cpu overcommit below one", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  resources {
    cpu            = 2
    cpu_overcommit = 0.5
  }
}`, `Invalid value for "cpu_overcommit"`, "at least 1", 12},
		{"timeout not below default period", `probe "p" {
  tcp { port = 80 }
  timeout = "30s"
}`, "Probe timeout not shorter than its period", "(10s)", 3},
		{"zero failure threshold", `probe "p" {
  tcp { port = 80 }
  failure_threshold = 0
}`, `Invalid value for "failure_threshold"`, "at least 1", 3},
		{"zero success threshold", `probe "p" {
  tcp { port = 80 }
  success_threshold = 0
}`, `Invalid value for "success_threshold"`, "at least 1", 3},
		{"probe without check", `probe "p" {
  period = "5s"
}`, "Probe has no check", "exactly one", 1},
		{"probe with two checks", `probe "p" {
  tcp { port = 80 }
  http { port = 80 }
}`, "Probe has more than one check", `has "tcp" and "http"`, 3},
		{"probe port not a port of the app", baseCluster + `probe "h" {
  http { port = "admin" }
}
app "web" {
  cluster   = cluster.prod
  image     = "x"
  port "http" { container = 8080 }
  readiness = probe.h
}`, "Probe port is not a port of the app", `"admin"`, 14},
		{"inline probe port typo", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  port "http" { container = 8080 }
  liveness {
    tcp { port = "htp" }
  }
}`, "Probe port is not a port of the app", `Did you mean "http"?`, 12},
		{"rollout initial batch", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  rollout { initial_batch = 0 }
}`, `Invalid value for "initial_batch"`, "at least 1", 10},
		{"rollout growth", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  rollout { growth = 0.5 }
}`, `Invalid value for "growth"`, "at least 1", 10},
		{"rollout max unavailable", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  rollout { max_unavailable = -1 }
}`, `Invalid value for "max_unavailable"`, "at least 0", 10},
		{"rollout min healthy", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  rollout {
    min_healthy      = "5m"
    healthy_deadline = "1m"
  }
}`, "min_healthy not shorter than healthy_deadline", "(5m)", 11},
		{"rollout strategy", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  rollout { strategy = "canry" }
}`, `Invalid value for "strategy"`, `did you mean "canary"?`, 10},
		{"canary weight", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  rollout {
    strategy = "canary"
    canary { weight = 100 }
  }
}`, `Invalid value for "weight"`, "between 1 and 99", 12},
		{"canary block without the canary strategy", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  rollout {
    canary { instances = 2 }
  }
}`, "Canary settings without the canary strategy", `strategy = "canary"`, 11},
		{"hooks drain", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  hooks { drain = "soon" }
}`, `Invalid value for "drain"`, "not a duration", 10},
		{"scaling min > max", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
}
scaling_policy "web" {
  app = app.web
  min = 5
  max = 2
}`, "Scaling policy min greater than max", "min (5)", 13},
		{"scaling unknown app", `scaling_policy "web" {
  app = app.api
  max = 2
}`, "Reference to undeclared app", `"api"`, 2},
		{"lb target port", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  port "http" { container = 80 }
}
load_balancer "lb" {
  listener { port = 80 }
  target {
    app  = app.web
    port = "https"
  }
}`, "Unknown port of the target app", `Did you mean "http"?`, 16},
		{"cluster kind not a platform", `cluster "c" {
  nomad {}
  docker {
    host "a" { endpoint = "unix:///x" }
  }
}`, "Unsupported block type", `not a platform of this build of berth. A cluster is a set of Docker hosts (a "docker" block) or a Kubernetes cluster (a "kubernetes" block).`, 2},
		{"cluster without kind", `cluster "c" {}`, "Cluster has no kind", `(a "docker" block)`, 1},
		{"did you mean variable", `variable "tag" {}
locals { x = var.tga }`, "Reference to undeclared input variable", `Did you mean "tag"?`, 2},
		{"did you mean attribute", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  replica = 2
}`, "Unsupported argument", `Did you mean "replicas"?`, 10},
		{"did you mean meta block", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  lifecyle {}
}`, "Unsupported block type", `Did you mean "lifecycle"?`, 10},
		{"unknown reference root", `locals { x = vars.a }`, "Unknown reference", `Did you mean "var"?`, 1},
		{"cycle among locals", `locals {
  a = local.b
  b = local.a
}`, "Cycle: local.a, local.b", "local.a refers to local.b", 2},
		{"cycle among blocks", baseCluster + `app "a" {
  cluster    = cluster.prod
  image      = "x"
  depends_on = [app.b]
}
app "b" {
  cluster = cluster.prod
  image   = app.a.image
}`, "Cycle: app.a, app.b", "app.b refers to app.a", 10},
		{"self reference", `locals { a = "${local.a}x" }`, "Self-referential block", "local.a refers to itself", 1},
		{"count and for_each", baseCluster + `app "web" {
  count    = 1
  for_each = {}
  cluster  = cluster.prod
  image    = "x"
}`, `Invalid combination of "count" and "for_each"`, "mutually exclusive", 9},
		{"count.index without count", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x:${count.index}"
}`, "Reference to count in a block without count", "count.index", 9},
		{"for_each list", baseCluster + `app "web" {
  for_each = ["a"]
  cluster  = cluster.prod
  image    = "x"
}`, "Invalid for_each argument", "toset()", 8},
		{"duplicate app", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
}
app "web" {
  cluster = cluster.prod
  image   = "x"
}`, `Duplicate app "web"`, "already declared", 11},
		{"unknown provider", `resource "acme_record" "r" {}`, "Unknown provider", "required_providers", 1},
		{"load balancer provider not built in", `load_balancer "lb" {
  provider = acmelb
  listener { port = 80 }
}`, "Unknown provider", `neither built in ("aws", "berth", "docker" or "kubernetes")`, 2},
		{"unknown function", `locals { x = jsonencod(1) }`, "Call to unknown function", `Did you mean "jsonencode"?`, 1},
		{"required_version", `berth { required_version = ">= 99" }`, "Unsupported berth version", ">= 99", 1},
		{"backend type", `berth {
  backend "locl" {}
}`, "Unknown backend type", `Did you mean "local"?`, 2},
		{"backend not built in", `berth {
  backend "gcs" {
    bucket = "b"
  }
}`, "Unknown backend type", `"gcs" is not a backend of this build of berth, which has "kubernetes", "local", "postgres" and "s3".`, 2},
		{"backend argument", `berth {
  backend "local" {
    pat = "x.state"
  }
}`, "Unsupported argument", `Did you mean "path"?`, 3},
		{"unknown computed attribute", `load_balancer "lb" {
  listener { port = 80 }
  target {
    app  = app.web
    port = "http"
  }
}
output "x" { value = load_balancer.lb.dns_nam }`, "Reference to undeclared app", "", 4},
		{"sensitive output", `variable "p" {
  sensitive = true
}
output "x" { value = var.p }`, "Output refers to sensitive values", "sensitive = true", 4},
		{"variable default fails validation", `variable "n" {
  type    = number
  default = 0
  validation {
    condition     = var.n > 0
    error_message = "Must be positive."
  }
}`, "Invalid value for variable", "Must be positive.", 5},
		{"sensitive default in validation message", `variable "p" {
  type      = string
  sensitive = true
  default   = "hunter2"
  validation {
    condition     = var.p != "hunter2"
    error_message = "${var.p} is too well known."
  }
}`, "Invalid value for variable", "sensitive value and is not shown", 6},
		{"depends_on variable", `variable "v" {}
output "x" {
  value      = 1
  depends_on = [var.v]
}`, "Invalid depends_on entry", "var.v is not a resource-like block", 4},
		{"depends_on attribute", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
}
output "x" {
  value      = 1
  depends_on = [app.web.image]
}`, "Invalid depends_on entry", "not to their attributes", 13},
		{"ignore_changes typo", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  lifecycle {
    ignore_changes = [replicas, imag]
  }
}`, "Unsupported attribute", `Did you mean "image"?`, 11},
		{"ignore_changes nested typo", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  lifecycle {
    ignore_changes = [rollout.growht, port[0].container, env["A"]]
  }
}`, "Unsupported attribute", `Did you mean "growth"?`, 11},
		{"missing key for_each", baseCluster + `app "web" {
  for_each = toset(["a"])
  cluster  = cluster.prod
  image    = "x"
}
output "x" { value = app.web.image }`, "Missing resource instance key", "app.web[each.key]", 12},
		{"missing key data count", `berth {
  required_providers {
    acmedns = { source = "acme/dns" }
  }
}
data "acmedns_zone" "z" {
  count = 1
}
output "x" { value = data.acmedns_zone.z.id }`, "Missing resource instance key", "[count.index]", 9},
		{"typo in counted instance", baseCluster + `app "web" {
  count   = 2
  cluster = cluster.prod
  image   = "x"
}
output "x" { value = app.web[0].imgae }`, "Unsupported attribute", `Did you mean "image"?`, 12},
		{"zone spread on a host without a zone", `cluster "edge" {
  docker {
    host "h1" {
      endpoint = "unix:///a.sock"
      labels   = { zone = "eu-1a" }
    }
    host "h2" { endpoint = "unix:///b.sock" }
  }
}
app "web" {
  cluster = cluster.edge
  image   = "x"
  placement {
    spread = "zone"
  }
}`, "Spread by zone on hosts without a zone", `host "h2" of cluster "edge" has no "zone" label`, 14},
		{"typo in cluster attribute", baseCluster + `output "x" { value = cluster.prod.docker.hots }`,
			"Unsupported attribute", `Did you mean "host"?`, 7},
		{"instance attribute of the old contract", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
}
output "x" { value = app.web.instances[0].host_ports }`, "Unsupported attribute", "host_ports", 11},
		{"lb target counted app", baseCluster + `app "web" {
  count   = 2
  cluster = cluster.prod
  image   = "x"
  port "http" { container = 80 }
}
load_balancer "lb" {
  listener { port = 80 }
  target {
    app  = app.web
    port = "http"
  }
}`, "Invalid app reference", "app.web[count.index]", 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := loadValidate(t, tt.src)
			if !diags.HasErrors() {
				t.Fatalf("no error; want %q", tt.summary)
			}
			var got *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Summary == tt.summary {
					got = d
					break
				}
			}
			if got == nil {
				t.Fatalf("no error %q; got: %s", tt.summary, diags.Error())
			}
			if !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", got.Detail, tt.detail)
			}
			if got.Subject == nil || got.Subject.Start.Line != tt.line {
				t.Errorf("subject %v, want line %d", got.Subject, tt.line)
			}
		})
	}
}

func TestValidateValid(t *testing.T) {
	tests := []struct{ name, src string }{
		{"design example", mustRead(t, "testdata/full/main.berth.hcl")},
		{"count and each", baseCluster + `variable "names" {
  type    = set(string)
  default = ["a", "b"]
}
app "web" {
  count   = 2
  cluster = cluster.prod
  image   = "x:${count.index}"
}
app "svc" {
  for_each = var.names
  cluster  = cluster.prod
  image    = "x/${each.key}"
}
scaling_policy "svc" {
  for_each = app.svc
  app      = each.value
  max      = 3
}
output "first" { value = app.web[0].image }
output "all" { value = app.web[*].image }
output "each" { value = [for w in app.web : w.image] }
output "n" { value = length(app.web) + length(app.svc) }
output "svc" { value = app.svc["a"].image }
scaling_policy "web" {
  count = 2
  app   = app.web[count.index]
  max   = 3
}
app "after" {
  cluster    = cluster.prod
  image      = "x"
  depends_on = [app.web, app.svc["a"], scaling_policy.web[0]]
  lifecycle {
    ignore_changes = [replicas, env["A"], rollout.growth, port[0].container, readiness]
  }
}
`},
		{"zone spread over the eligible hosts' zones", `cluster "edge" {
  docker {
    host "h1" {
      endpoint = "unix:///a.sock"
      labels   = { zone = "eu-1a", pool = "web" }
    }
    host "h2" {
      endpoint = "unix:///b.sock"
      labels   = { zone = "eu-1b", pool = "web" }
    }
    host "build" { endpoint = "unix:///c.sock" }
  }
}
app "web" {
  cluster = cluster.edge
  image   = "x"
  placement {
    node_selector = { pool = "web" }
    spread        = "zone"
  }
}
`},
		{"index is a position", `locals {
  zones = ["a", "b"]
  i     = index(local.zones, "b")
  j     = index(["x", "y"], "y") + 1
}
`},
		{"lb dns name unknown", baseCluster + `berth {
  required_providers {
    acmelb = { source = "acme/lb" }
  }
}
app "web" {
  cluster = cluster.prod
  image   = "x"
  port "http" { container = 80 }
}
load_balancer "lb" {
  provider = acmelb
  listener { port = 80 }
  target {
    app  = app.web
    port = "http"
  }
}
output "url" { value = "http://${load_balancer.lb.dns_name}/" }
`},
		{"instance attributes", baseCluster + `app "web" {
  cluster = cluster.prod
  image   = "x"
  port "http" { container = 80 }
}
output "first" {
  value = {
    id      = app.web.instances[0].id
    ready   = app.web.instances[0].ready
    host    = app.web.instances[0].host
    status  = app.web.instances[0].status
    address = "${app.web.instances[0].addresses["http"].ip}:${app.web.instances[0].addresses["http"].port}"
  }
}
output "ready" { value = [for i in app.web.instances : i.name if i.ready] }
`},
		{"functions", `locals {
  a = merge({ x = 1 }, { y = 2 })
  b = join(",", [for k, v in local.a : "${k}=${v}"])
  c = try(local.a.z, "none")
  d = can(regex("^[a-z]+$", "abc"))
  e = base64decode(base64encode("hi"))
  f = jsondecode(jsonencode({ a = [1, 2] }))
  g = coalesce("", "x")
  h = lookup({ a = 1 }, "b", 2)
  i = format("%s-%03d", "x", 7)
  j = nonsensitive(sensitive("s"))
}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := loadValidate(t, tt.src)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidateDeterministic(t *testing.T) {
	src := baseCluster + `app "a" {
  cluster  = cluster.prod
  image    = var.x
  replicas = -1
}
app "b" {
  cluster = cluster.nope
  image   = local.y
}
locals { z = var.q }
`
	_, first := loadValidate(t, src)
	for range 5 {
		_, again := loadValidate(t, src)
		if len(again) != len(first) {
			t.Fatalf("diagnostic count changed: %d vs %d", len(again), len(first))
		}
		for i := range first {
			if again[i].Summary != first[i].Summary || again[i].Detail != first[i].Detail || again[i].Subject.Start != first[i].Subject.Start {
				t.Fatalf("diagnostic %d changed: %v vs %v", i, again[i], first[i])
			}
		}
	}
	for i := 1; i < len(first); i++ {
		if first[i].Subject.Start.Line < first[i-1].Subject.Start.Line {
			t.Fatalf("not sorted: %v", first)
		}
	}
}

func TestLoadDir(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"a.berth.hcl": `berth {
  required_version = ">= 0.1"
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
    acmelb  = { source = "acme/lb" }
  }
  backend "local" {
    path = "prod.state"
  }
}
variable "tag" {
  type      = string
  sensitive = true
}
resource "acmedns_record" "www" {
  count = 2
  name  = "www"
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [name]
  }
}
data "acmedns_zone" "z" {}
load_balancer "lb" {
  provider = acmelb
  listener { port = 80 }
  target {
    app  = app.web
    port = "http"
  }
}
`,
		"b.berth.json": `{"cluster": {"edge": {"docker": {"host": {"h1": {"endpoint": "unix:///var/run/docker.sock"}}}}},
 "app": {"web": {"cluster": "${cluster.edge}", "image": "x", "port": {"http": {"container": 80}}}}}`,
		"c.auto.vars.hcl": `tag = "v1"`,
	})
	cfg, diags := LoadDir(dir)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got := len(cfg.Files); got != 2 {
		t.Errorf("files: %d, want 2 (the vars file is not configuration)", got)
	}
	rp := cfg.Berth.RequiredProviders["acmedns"]
	if rp == nil || rp.Namespace != "acme" || rp.Type != "dns" || rp.VersionString != "~> 1.2" {
		t.Errorf("required provider: %+v", rp)
	}
	if b := cfg.Berth.Backend; b == nil || b.Type != "local" || !b.Value.GetAttr("path").RawEquals(cty.StringVal("prod.state")) {
		t.Errorf("backend: %+v", cfg.Berth.Backend)
	}
	if v := cfg.Variables["tag"]; v == nil || v.Type != cty.String || !v.Sensitive || !v.Required() {
		t.Errorf("variable: %+v", v)
	}
	wantAddrs := []string{"acmedns_record.www", "app.web", "data.acmedns_zone.z", "load_balancer.lb"}
	var addrs []string
	for _, r := range cfg.SortedResources() {
		addrs = append(addrs, r.Addr())
	}
	if !reflect.DeepEqual(addrs, wantAddrs) {
		t.Errorf("addresses %v, want %v", addrs, wantAddrs)
	}
	www := cfg.Resources["acmedns_record.www"]
	if www.Count == nil || !www.Lifecycle.CreateBeforeDestroy || len(www.Lifecycle.IgnoreChanges) != 1 || www.ProviderName != "acmedns" {
		t.Errorf("resource: %+v", www)
	}
	if cfg.Resources["data.acmedns_zone.z"].Mode != DataMode {
		t.Error("data source not in DataMode")
	}
	if p := cfg.Resources["app.web"].ProviderName; p != "docker" {
		t.Errorf("app provider %q, want docker (from its cluster)", p)
	}
	if p := cfg.Resources["load_balancer.lb"].ProviderName; p != "acmelb" {
		t.Errorf("load balancer provider %q, want acmelb (its provider argument)", p)
	}
	if d := Validate(cfg); d.HasErrors() {
		t.Fatal(d.Error())
	}
}

func TestDependencies(t *testing.T) {
	cfg, diags := loadValidate(t, mustRead(t, "testdata/full/main.berth.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	nodes, diags := cfg.Dependencies()
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	edges := map[string][]string{}
	for _, n := range nodes {
		for _, r := range n.References {
			edges[n.Addr] = append(edges[n.Addr], r.Addr())
		}
	}
	want := map[string][]string{
		"app.web":            {"cluster.prod", "registry.harbor", "var.tag", "probe.health"},
		"scaling_policy.web": {"app.web"},
		"load_balancer.web":  {"var.subnets", "app.web"},
		"acmedns_record.www": {"load_balancer.web"},
		"output.url":         {"load_balancer.web"},
		"registry.harbor":    {"var.password"},
	}
	for addr, w := range want {
		if !reflect.DeepEqual(edges[addr], w) {
			t.Errorf("%s refers to %v, want %v", addr, edges[addr], w)
		}
	}
}

func TestReferencesInExpr(t *testing.T) {
	tests := []struct {
		src       string
		addrs     []string
		remaining []int
		err       string
	}{
		{`var.a`, []string{"var.a"}, []int{0}, ""},
		{`"${app.web.image}:${local.x}"`, []string{"app.web", "local.x"}, []int{1, 0}, ""},
		{`acmedns_record.www[0].id`, []string{"acmedns_record.www"}, []int{2}, ""},
		{`data.acmedns_zone.main.id`, []string{"data.acmedns_zone.main"}, []int{1}, ""},
		{`[count.index, each.key, path.module]`, []string{"count.index", "each.key", "path.module"}, []int{0, 0, 0}, ""},
		{`registry.harbor.address`, []string{"registry.harbor"}, []int{1}, ""},
		{`var`, nil, nil, "must be followed by a variable name"},
		{`each.kye`, nil, nil, `Did you mean "key"?`},
		{`clustr.prod`, nil, nil, `Did you mean "cluster"?`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			expr, d := parseExpr(tt.src)
			if d.HasErrors() {
				t.Fatal(d.Error())
			}
			refs, diags := ReferencesInExpr(expr)
			if tt.err != "" {
				if !diags.HasErrors() || !strings.Contains(diags[0].Detail, tt.err) {
					t.Fatalf("diags %v, want %q", diags, tt.err)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			var addrs []string
			var rem []int
			for _, r := range refs {
				addrs = append(addrs, r.Addr())
				rem = append(rem, len(r.Remaining))
			}
			if !reflect.DeepEqual(addrs, tt.addrs) || !reflect.DeepEqual(rem, tt.remaining) {
				t.Errorf("refs %v (remaining %v), want %v (%v)", addrs, rem, tt.addrs, tt.remaining)
			}
		})
	}
}

// TestStateBackend: the backend block when there is one, else the default
// backend with its defaults, also without any configuration.
func TestStateBackend(t *testing.T) {
	withBlock := &Config{Berth: &Berth{Backend: &Backend{Type: "local", Value: cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal("x.state")})}}}
	for name, tt := range map[string]struct {
		cfg      *Config
		wantPath string
	}{
		"no configuration": {nil, "berth.state"},
		"no berth block":   {&Config{}, "berth.state"},
		"no backend block": {&Config{Berth: &Berth{}}, "berth.state"},
		"with a backend":   {withBlock, "x.state"},
	} {
		t.Run(name, func(t *testing.T) {
			b, diags := StateBackend(tt.cfg)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if b.Type != "local" || !b.Value.GetAttr("path").RawEquals(cty.StringVal(tt.wantPath)) {
				t.Errorf("StateBackend = %s %#v, want local with path %s", b.Type, b.Value, tt.wantPath)
			}
		})
	}
}
