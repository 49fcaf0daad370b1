package install

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	version "github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	hashA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hashB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	hashC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

// goldenLock has entries added out of order, with hashes out of order and
// duplicated, to show that the output does not depend on either.
func goldenLock(t *testing.T) *Lock {
	l := NewLock()
	l.SetProvider(&LockedProvider{Source: mustSource(t, "zeta/registry"), Version: version.Must(version.NewSemver("0.3.0-beta1")), Hashes: []string{hashC}})
	l.SetProvider(&LockedProvider{Source: mustSource(t, "acme/dns"), Version: version.Must(version.NewSemver("1.2.0")), Constraints: "~> 1.2", Hashes: []string{hashB, hashA, hashB}})
	l.SetProvider(&LockedProvider{Source: mustSource(t, "acme/certs"), Version: version.Must(version.NewSemver("2.0.1")), Constraints: ">= 2.0, < 3.0", Hashes: []string{hashA}})
	return l
}

func TestLockGolden(t *testing.T) {
	got := goldenLock(t).Bytes()
	golden := filepath.Join("testdata", "lock.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("lock file differs from %s (run go test -update if intended)\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

func TestLockRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), LockFileName)
	orig := goldenLock(t)
	if err := WriteLockFile(path, orig); err != nil {
		t.Fatal(err)
	}
	read, diags := ReadLockFile(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(read.Providers()) != 3 {
		t.Fatalf("read %d providers, want 3", len(read.Providers()))
	}
	for _, want := range orig.Providers() {
		got := read.Provider(want.Source)
		if got == nil {
			t.Fatalf("%s missing after round trip", want.Source)
		}
		if !got.Version.Equal(want.Version) || got.Constraints != want.Constraints || strings.Join(got.Hashes, " ") != strings.Join(want.Hashes, " ") {
			t.Errorf("%s: got %s %q %q, want %s %q %q", want.Source, got.Version, got.Constraints, got.Hashes, want.Version, want.Constraints, want.Hashes)
		}
		if got.DeclRange.Filename != path || got.DeclRange.Start.Line == 0 {
			t.Errorf("%s: DeclRange %v does not point into %s", want.Source, got.DeclRange, path)
		}
	}
	// Writing what was read gives the same bytes: re-init is a no-op diff.
	if string(read.Bytes()) != string(orig.Bytes()) {
		t.Errorf("re-rendered lock differs:\n%s\nvs\n%s", read.Bytes(), orig.Bytes())
	}
}

func TestReadLockFileMissing(t *testing.T) {
	l, diags := ReadLockFile(filepath.Join(t.TempDir(), LockFileName))
	if len(diags) != 0 || l == nil || len(l.Providers()) != 0 {
		t.Fatalf("missing lock file: got %v, %v; want an empty lock and no diagnostics", l, diags)
	}
}

func TestParseLockErrors(t *testing.T) {
	valid := `  version = "1.2.0"
  hashes  = ["` + hashA + `"]
`
	tests := []struct {
		name    string
		src     string
		summary string
		line    int // line of the diagnostic's subject
	}{
		{"syntax", "provider \"acme/dns\" {\n  version = \n}\n", "Invalid expression", 2},
		{"unknown block", "module \"x\" {}\n", "Unsupported block type", 1},
		{"bad source", "provider \"acme/dns/x\" {\n" + valid + "}\n", "Invalid provider source in the lock file", 1},
		{"built-in", "provider \"docker\" {\n" + valid + "}\n", "Built-in provider in the lock file", 1},
		{"missing version", "provider \"acme/dns\" {\n  hashes = [\"" + hashA + "\"]\n}\n", "Missing required argument", 1},
		{"bad version", "provider \"acme/dns\" {\n  version = \"one\"\n  hashes = [\"" + hashA + "\"]\n}\n", "Invalid provider version in the lock file", 2},
		{"version not a string", "provider \"acme/dns\" {\n  version = [1]\n  hashes = [\"" + hashA + "\"]\n}\n", "Invalid value in the lock file", 2},
		{"version not literal", "provider \"acme/dns\" {\n  version = var.v\n  hashes = [\"" + hashA + "\"]\n}\n", "Variables not allowed", 2},
		{"bad constraints", "provider \"acme/dns\" {\n" + valid + "  constraints = \"~>> 1\"\n}\n", "Invalid version constraints in the lock file", 4},
		{"bad hash", "provider \"acme/dns\" {\n  version = \"1.2.0\"\n  hashes = [\n    \"" + hashA + "\",\n    \"md5:abc\",\n  ]\n}\n", "Invalid hash in the lock file", 5},
		{"hashes not a list", "provider \"acme/dns\" {\n  version = \"1.2.0\"\n  hashes = \"" + hashA + "\"\n}\n", "Invalid hashes in the lock file", 3},
		{"no hashes", "provider \"acme/dns\" {\n  version = \"1.2.0\"\n}\n", "Provider without hashes in the lock file", 1},
		{"unknown attribute", "provider \"acme/dns\" {\n" + valid + "  url = \"x\"\n}\n", "Unsupported argument", 4},
		{"duplicate", "provider \"acme/dns\" {\n" + valid + "}\nprovider \"Acme/DNS\" {\n" + valid + "}\n", "Duplicate provider in the lock file", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParseLock([]byte(tt.src), LockFileName)
			if !diags.HasErrors() {
				t.Fatalf("no error for:\n%s", tt.src)
			}
			d := firstError(diags)
			if d.Summary != tt.summary {
				t.Errorf("summary = %q (%s), want %q", d.Summary, d.Detail, tt.summary)
			}
			if d.Subject == nil || d.Subject.Filename != LockFileName || d.Subject.Start.Line != tt.line {
				t.Errorf("subject = %v, want line %d of %s", d.Subject, tt.line, LockFileName)
			}
		})
	}
}

func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d
		}
	}
	return nil
}
