package install

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	version "github.com/hashicorp/go-version"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
)

// TestMain registers a stand-in for the one built-in provider, docker, as
// the berth binary does through providers/builtin/all: the built-in
// sources ParseSource accepts are the registered ones. Nothing here starts
// a provider, so it has no implementation.
func TestMain(m *testing.M) {
	builtin.Register(builtin.Provider{Name: "docker", New: func() providers.Interface { return nil }})
	os.Exit(m.Run())
}

// plugin writes a fake provider binary of src at ver under dir, with the
// given content, and returns its path. Its content need not be a real
// program: nothing here executes it.
func plugin(t *testing.T, dir, src, ver, content string) string {
	t.Helper()
	s, err := ParseSource(src)
	if err != nil {
		t.Fatal(err)
	}
	path := BinaryPath(dir, s, version.Must(version.NewSemver(ver)))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustSource(t *testing.T, s string) Source {
	t.Helper()
	src, err := ParseSource(s)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func mustConstraints(t *testing.T, s string) version.Constraints {
	t.Helper()
	if s == "" {
		return nil
	}
	cs, err := version.NewConstraint(s)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func mustHash(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return FormatHash(sum[:])
}
