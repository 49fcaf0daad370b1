package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// TestSensitiveValuesNotInDiagnostics evaluates configurations whose
// errors involve sensitive values the way plan does (variables with their
// values, objects evaluated before the blocks referring to them) and
// checks that no diagnostic shows the secret.
func TestSensitiveValuesNotInDiagnostics(t *testing.T) {
	const vars = `
variable "pw" {
  default   = "supersecret"
  sensitive = true
}
variable "n" {
  default   = 70000
  sensitive = true
}
variable "f" {
  default   = 1.2345
  sensitive = true
}
variable "neg" {
  default   = -987654
  sensitive = true
}
variable "obj" {
  default   = { a = "supersecret" }
  sensitive = true
}
`
	secrets := []string{"supersecret", "70000", "1.2345", "987654"}
	tests := map[string]string{
		"memory": `app "web" {
  cluster = cluster.prod
  image   = "x"
  resources {
    memory = var.pw
    cpu    = var.neg
  }
}`,
		"cpu number": `app "web" {
  cluster = cluster.prod
  image   = "x"
  resources { cpu = var.f + 1e300 }
}`,
		"drain": `app "web" {
  cluster = cluster.prod
  image   = "x"
  hooks { drain = var.pw }
}`,
		"port": `app "web" {
  cluster = cluster.prod
  image   = "x"
  port "http" { container = var.n }
  readiness {
    http { port = var.n }
  }
}`,
		"replicas": `app "web" {
  cluster  = cluster.prod
  image    = "x"
  replicas = var.f
}`,
		"probe": `probe "p" {
  period  = "1s"
  timeout = var.pw
  http { port = var.pw }
}
probe "q" {
  period  = var.pw == "" ? "1s" : "1s"
  timeout = sensitive("70000s")
  tcp { port = 1 }
}`,
		"scaling": `app "web" {
  cluster = cluster.prod
  image   = "x"
}
scaling_policy "web" {
  app = app.web
  min = var.n
  max = 2
  metric "cpu" { target_utilization = var.neg }
}`,
		"functions": `locals {
  a = tonumber(var.pw)
  b = tobool(var.pw)
  c = parseint(var.pw, 10)
  d = regex(var.pw, "x")
  e = element(var.pw, 0)
  f = var.pw + 1
  g = base64decode(var.pw)
  h = file(var.pw)
  i = cidrhost(var.pw, 1)
  j = jsondecode(var.pw)
  k = timeadd(var.pw, "1h")
  l = tonumber(var.obj.a)
  m = var.obj.a * 2
  n = formatdate(var.pw, "2020-01-01T00:00:00Z")
  o = yamldecode("a: [")
  p = upper(var.obj)
}
output "o" {
  value     = tonumber(var.pw)
  sensitive = true
}`,
		"registry": `registry "r" {
  address = "x"
  password = tonumber(var.pw)
}`,
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"main.berth.hcl": vars + baseCluster + src})
			cfg, diags := LoadDir(dir)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			values, d := CollectVariables(cfg, dir, nil, nil)
			diags = append(diags, d...)
			diags = append(diags, Validate(cfg)...)
			data := mapData{}
			for n, v := range values {
				data["var."+n] = v
			}
			s := &Scope{Data: data, BaseDir: dir}
			for _, addr := range []string{"cluster.prod", "probe.p", "probe.q", "registry.r"} {
				v, d := cfg.EvalObject(addr, s)
				diags = append(diags, d...)
				data[addr] = v
			}
			for _, l := range cfg.Locals {
				_, d := s.EvalExpr(l.Expr, cty.DynamicPseudoType)
				diags = append(diags, d...)
			}
			for _, o := range cfg.Outputs {
				_, d := s.EvalExpr(o.Expr, cty.DynamicPseudoType)
				diags = append(diags, d...)
			}
			for _, r := range cfg.SortedResources() {
				v, d := s.EvalResourceConfig(r, DomainSchema(r.Kind))
				diags = append(diags, d...)
				data[r.Kind+"."+r.Name] = v
			}
			if !diags.HasErrors() {
				t.Fatal("want errors")
			}
			for _, diag := range diags {
				text := diag.Summary + "\n" + diag.Detail
				for _, sec := range secrets {
					if strings.Contains(text, sec) {
						t.Errorf("%s: diagnostic shows %q:\n%s", diagPos(diag), sec, text)
					}
				}
			}
		})
	}
}

func diagPos(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return "?"
	}
	return d.Subject.String()
}

// A bad value of a sensitive variable in a variables file is reported
// without a snippet of its line, which would show the secret.
func TestSensitiveVarFileValueNotShown(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.berth.hcl", "variable \"num\" {\n  type      = number\n  sensitive = true\n}\n")
	write("bad.vars.hcl", "num = \"NUMSECRET87\"\n")
	cfg, diags := LoadDir(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, diags = CollectVariables(cfg, dir, []VarArg{{Kind: "var-file", Value: "bad.vars.hcl"}}, nil)
	if !diags.HasErrors() {
		t.Fatalf("a string for a number variable was accepted")
	}
	for _, d := range diags {
		if d.Subject != nil && strings.HasSuffix(d.Subject.Filename, "bad.vars.hcl") {
			t.Errorf("diagnostic points into the variables file, whose snippet shows the secret: %s", d.Subject)
		}
		if strings.Contains(d.Summary+d.Detail, "NUMSECRET87") {
			t.Errorf("diagnostic shows the secret: %s: %s", d.Summary, d.Detail)
		}
	}
}
