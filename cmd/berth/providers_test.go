package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/zclconf/go-cty/cty"
)

func TestProvidersCommand(t *testing.T) {
	e := newInitTestEnv(t, `berth {
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
    certs   = { source = "acme/certs" }
    docker  = { source = "berth/docker" }
  }
}
`)
	p12 := e.plugin(t, e.plugins, "acme", "dns", "1.2.0", "1.2.0")
	p11 := e.plugin(t, e.plugins, "acme", "dns", "1.1.0", "1.1.0")
	pc := e.plugin(t, e.plugins, "acme", "certs", "0.1.0", "certs")

	// Before init: nothing locked, a problem per third-party provider.
	code, stdout, stderr := e.berth(t, "providers", "-plugin-dir="+e.plugins)
	if code != 1 {
		t.Fatalf("providers before init: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	wantContains(t, "stdout", stdout, `problem: not locked in berth.lock.hcl: run "berth init"`)
	wantContains(t, "stderr", stderr, "2 required provider(s) would not launch")

	if code, stdout, stderr := e.berth(t, "init", "-plugin-dir="+e.plugins); code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = e.berth(t, "providers")
	if code != 0 {
		t.Fatalf("providers after init: exit %d\n%s%s", code, stdout, stderr)
	}
	want := "Providers required by configuration:\n" +
		".\n" +
		"├── acmedns: acme/dns ~> 1.2\n" +
		"│   ├── locked: 1.2.0 (" + fileHash(t, p12) + ")\n" +
		"│   ├── installed: 1.2.0 at " + p12 + "\n" +
		"│   └── installed: 1.1.0 at " + p11 + "\n" +
		"├── certs: acme/certs (any version)\n" +
		"│   ├── locked: 0.1.0 (" + fileHash(t, pc) + ")\n" +
		"│   └── installed: 0.1.0 at " + pc + "\n" +
		"└── docker (built-in)\n" +
		"\nPlugin directories searched: " + e.plugins + ", " + filepath.Join("~", ".berth", "plugins") + "\n"
	if stdout != want {
		t.Errorf("providers output:\n%s\nwant:\n%s", stdout, want)
	}

	// The configuration drops certs and tightens acmedns; the certs binary
	// changes: every mismatch is flagged.
	e.writeConfig(t, `berth {
  required_providers {
    acmedns = { source = "acme/dns", version = ">= 1.3" }
  }
}
`)
	if err := os.WriteFile(p12, []byte("rebuilt"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = e.berth(t, "providers")
	if code != 1 {
		t.Fatalf("providers with mismatches: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	wantContains(t, "stdout", stdout,
		"└── acmedns: acme/dns >= 1.3\n",
		`problem: locked version 1.2.0 does not meet ">= 1.3": run "berth init" to select another`,
		"Providers locked but no longer required:\n└── acme/certs\n",
		`problem: locked but no longer required: "berth init" removes it from berth.lock.hcl`)
	if strings.Contains(stdout, "certs: ") {
		t.Errorf("certs still listed as required:\n%s", stdout)
	}
	wantContains(t, "stderr", stderr, "1 required provider(s) would not launch")

	// A changed binary under an unchanged requirement is flagged too.
	e.writeConfig(t, initTestConfig)
	code, stdout, _ = e.berth(t, "providers")
	if code != 1 {
		t.Fatalf("providers with a changed binary: exit %d, want 1", code)
	}
	wantDiagText(t, "stdout", stdout, "problem: provider acme/dns 1.2.0 at "+p12+" does not match the checksum in berth.lock.hcl")
}

// Providers used without a required_providers entry: a built-in one is
// listed as such, any other is a problem.
func TestProvidersUsedWithoutDeclaring(t *testing.T) {
	dir := t.TempDir()
	src := `cluster "c" {
  docker {
    host "a" {
      endpoint = "unix:///var/run/docker.sock"
    }
  }
}
app "web" {
  cluster = cluster.c
  image   = "nginx:1.27"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.berth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBerth(t, dir, "providers", "-no-color")
	if code != 0 || !strings.Contains(stdout, ".\n└── docker (built-in)\n") {
		t.Fatalf("providers: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "more.berth.hcl"), []byte("resource \"acme_record\" \"r\" {\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runBerth(t, dir, "providers", "-no-color")
	if code != 1 || !strings.Contains(stdout, "├── acme\n│   └── problem: neither built in nor declared") {
		t.Fatalf("providers with an undeclared provider: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A mistyped command or output name gets the closest one.
func TestDidYouMean(t *testing.T) {
	code, _, stderr := runBerth(t, t.TempDir(), "plna")
	if code != 1 || !strings.Contains(stderr, `unknown command "plna". Did you mean "plan"?`) {
		t.Errorf("berth plna: exit %d, stderr %q", code, stderr)
	}
	dir := t.TempDir()
	st := state.New()
	st.SetOutput("first_port", &state.Output{Value: cty.NumberIntVal(8080)})
	if err := statemgr.New(local.New(filepath.Join(dir, "berth.state"))).Write(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runBerth(t, dir, "output", "frist_port")
	if code != 1 || !strings.Contains(stderr, `did you mean "first_port"?`) {
		t.Errorf("berth output frist_port: exit %d, stderr %q", code, stderr)
	}
}
