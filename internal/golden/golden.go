// Package golden compares test output with golden files. A test binary
// that imports it takes the -update flag, which rewrites the files from
// what the code produces now instead (read every changed line of `git
// diff` afterwards: a golden file is a contract).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Updating says whether the test binary runs with -update: a test whose
// golden files are a set (one per command, say) removes those that are
// no longer produced.
func Updating() bool { return *update }

// Check compares got with the golden file at path, or writes it there
// with -update.
func Check(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}
