// Command berth is the CLI of berth: it parses flags, wires the engine
// together and renders what the engine returns. It holds no engine logic.
package main

import (
	"os"
	"runtime/pprof"

	"github.com/berth-sh/berth/internal/procprof"

	// Every built-in provider registers itself (providers/builtin), and
	// every built-in state backend (state/backend).
	_ "github.com/berth-sh/berth/providers/builtin/all"
	_ "github.com/berth-sh/berth/state/backend/all"
)

func main() {
	stop := procprof.Start("berth")
	code := profiled(func() int { return run(os.Args[1:], os.Stdout, os.Stderr) })
	stop()
	os.Exit(code)
}

// profiled runs f with a CPU profile written to $BERTH_CPUPROFILE when it
// is set: how berth's own performance is measured (docs/benchmarks.md).
func profiled(f func() int) int {
	path := os.Getenv("BERTH_CPUPROFILE")
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err != nil {
		return f()
	}
	defer out.Close()
	if err := pprof.StartCPUProfile(out); err != nil {
		return f()
	}
	defer pprof.StopCPUProfile()
	return f()
}
