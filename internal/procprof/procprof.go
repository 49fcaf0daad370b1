// Package procprof lets berth and its provider plugins report what one
// process cost, for the benchmarks (tools/bench, docs/benchmarks.md): with
// $BERTH_PROFILE_DIR set, a process writes its CPU time and peak resident
// set size into that directory when it ends, and with $BERTH_PROFILE=cpu
// also a CPU profile. Each side of the plugin protocol reports itself,
// because a parent's rusage of a child includes the child's own children.
package procprof

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// EnvDir names the directory reports are written to; EnvKind, when "cpu",
// adds a CPU profile.
const (
	EnvDir  = "BERTH_PROFILE_DIR"
	EnvKind = "BERTH_PROFILE"
)

// Start begins measuring this process under name (e.g. "berth",
// "provider-test") and returns what ends it; the caller defers it. Without
// $BERTH_PROFILE_DIR it does nothing. Errors are ignored: a benchmark
// without its report fails loudly in the harness, a user's run must not.
func Start(name string) (stop func()) {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		return func() {}
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%d", name, os.Getpid()))
	var prof *os.File
	if os.Getenv(EnvKind) == "cpu" {
		if f, err := os.Create(base + ".cpu"); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				prof = f
			} else {
				f.Close()
			}
		}
	}
	return func() {
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
		}
		if line, ok := usage(); ok {
			_ = os.WriteFile(base+".rusage", []byte(line), 0o644)
		}
	}
}
