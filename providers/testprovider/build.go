package testprovider

import (
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildOut  []byte
)

// Build builds the test provider's executable once per test binary and
// returns its path. The executable is placed in os.TempDir() under a name
// derived from the source directory (so two checkouts on one machine do
// not share it); it is rebuilt, cheaply from Go's build cache, by every
// test binary and moved into place atomically, so concurrent test binaries
// of one checkout share it safely.
func Build(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		pkgDir := filepath.Join(filepath.Dir(file), "cmd", "berth-provider-test")
		h := fnv.New32a()
		h.Write([]byte(pkgDir))
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("berth-provider-test-%08x", h.Sum32()))
		if buildErr = os.MkdirAll(dir, 0o755); buildErr != nil {
			return
		}
		tmp, err := os.CreateTemp(dir, ".build-*")
		if err != nil {
			buildErr = err
			return
		}
		tmp.Close()
		cmd := exec.Command("go", "build", "-o", tmp.Name(), ".")
		cmd.Dir = pkgDir
		if buildOut, buildErr = cmd.CombinedOutput(); buildErr != nil {
			os.Remove(tmp.Name())
			return
		}
		buildPath = filepath.Join(dir, "berth-provider-test")
		buildErr = os.Rename(tmp.Name(), buildPath)
	})
	if buildErr != nil {
		tb.Fatalf("building the test provider: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}
