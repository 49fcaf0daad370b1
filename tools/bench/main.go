// Command bench measures berth as a user runs it (`make bench`,
// docs/benchmarks.md): the real berth binary and the real test provider
// plugin, on generated configurations of N objects, reporting for each
// command its wall time, the CPU time of berth and of the provider
// process, and the peak resident set size of each.
//
// Each process reports itself through internal/procprof
// ($BERTH_PROFILE_DIR): a parent's rusage of berth would include the
// provider's.
//
// Environment:
//
//	BERTH_BENCH_SIZES   object counts, comma-separated (default 1000,10000)
//	BERTH_BENCH_SHAPES  count, chains10 (default both)
//	BERTH_BENCH_RUNS    runs of each plan, the median reported (default 3)
//	BERTH_BENCH_BERTH   a berth binary to measure instead of building one
//	BERTH_BENCH_PROFILE a directory for CPU profiles of both processes
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-sh/berth/internal/benchconfig"
	"github.com/berth-sh/berth/internal/procprof"
	"github.com/berth-sh/berth/providers/install"
)

// header declares the test provider with its in-memory store, so that a
// provider call costs the call and not a parse of the whole store file.
const header = `berth {
  required_providers {
    test = { source = "berth-test/test", version = "1.0.0" }
  }
}
provider "test" {
  store       = "${path.module}/store.json"
  cache_store = true
}
variable "gen" {
  type    = string
  default = "0"
}
`

// shapes generate n objects of which exactly 1% follow var.gen (those of
// internal/benchconfig, as core/bench_test.go).
var shapes = map[string]func(n int) string{
	"count":    benchconfig.Count,
	"chains10": benchconfig.Chains10,
}

// step is one berth command of a workload and the exit code it must end
// with.
type step struct {
	name string
	args []string
	code int
	runs int // 0: once
}

func steps(runs int) []step {
	return []step{
		{"create", []string{"apply", "-auto-approve", "-var", "gen=0"}, 0, 0},
		{"no-op plan", []string{"plan", "-detailed-exitcode", "-var", "gen=0"}, 0, runs},
		{"no-op plan -refresh=false", []string{"plan", "-detailed-exitcode", "-refresh=false", "-var", "gen=0"}, 0, runs},
		{"plan 1%", []string{"plan", "-detailed-exitcode", "-var", "gen=1"}, 2, runs},
		{"apply 1%", []string{"apply", "-auto-approve", "-var", "gen=1"}, 0, 0},
		{"destroy", []string{"destroy", "-auto-approve", "-var", "gen=1"}, 0, 0},
	}
}

// measure is what one command cost.
type measure struct {
	wall                   time.Duration
	berthCPU, providerCPU  time.Duration
	berthRSS, providerRSS  int64 // KiB
	providers, berthReport int
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	sizes, err := intList(envOr("BERTH_BENCH_SIZES", "1000,10000"))
	if err != nil {
		return fmt.Errorf("BERTH_BENCH_SIZES: %v", err)
	}
	runs, err := strconv.Atoi(envOr("BERTH_BENCH_RUNS", "3"))
	if err != nil || runs < 1 {
		return fmt.Errorf("BERTH_BENCH_RUNS=%q: want a positive number", os.Getenv("BERTH_BENCH_RUNS"))
	}
	shapeNames := strings.Split(envOr("BERTH_BENCH_SHAPES", "count,chains10"), ",")
	for _, s := range shapeNames {
		if shapes[s] == nil {
			return fmt.Errorf("BERTH_BENCH_SHAPES: unknown shape %q (count, chains10)", s)
		}
	}
	root, err := os.MkdirTemp("", "berth-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	bin := os.Getenv("BERTH_BENCH_BERTH")
	if bin == "" {
		bin = filepath.Join(root, "berth")
		if err := goBuild(bin, "./cmd/berth"); err != nil {
			return err
		}
	}
	plugins := filepath.Join(root, "plugins")
	provider := filepath.Join(plugins, "berth-test", "test", "1.0.0", install.Platform, "berth-provider-test")
	if err := goBuild(provider, "./providers/testprovider/cmd/berth-provider-test"); err != nil {
		return err
	}
	fmt.Printf("berth %s, %d CPUs, GOMAXPROCS %d; plans: median of %d runs\n\n", bin, runtime.NumCPU(), runtime.GOMAXPROCS(0), runs)
	fmt.Println("| workload | command | wall s | berth CPU s | provider CPU s | berth peak MiB | provider peak MiB |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, shape := range shapeNames {
		for _, n := range sizes {
			w := &workload{root: root, bin: bin, plugins: plugins, name: fmt.Sprintf("%s-%d", shape, n)}
			if err := w.setup(header + shapes[shape](n)); err != nil {
				return fmt.Errorf("%s: %v", w.name, err)
			}
			for _, st := range steps(runs) {
				m, err := w.measure(st)
				if err != nil {
					return fmt.Errorf("%s: %s: %v", w.name, st.name, err)
				}
				fmt.Printf("| %s | %s | %.3f | %.3f | %.3f | %.0f | %.0f |\n", w.name, st.name,
					m.wall.Seconds(), m.berthCPU.Seconds(), m.providerCPU.Seconds(),
					float64(m.berthRSS)/1024, float64(m.providerRSS)/1024)
			}
			os.RemoveAll(w.dir)
		}
	}
	return nil
}

// workload is one working directory.
type workload struct {
	root, bin, plugins, name string
	dir, home, prof          string
}

func (w *workload) setup(config string) error {
	w.dir = filepath.Join(w.root, w.name)
	w.home = filepath.Join(w.dir, ".home")
	w.prof = filepath.Join(w.dir, ".prof")
	for _, d := range []string{w.home, w.prof} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(w.dir, "main.berth.hcl"), []byte(config), 0o644); err != nil {
		return err
	}
	_, err := w.once(step{name: "init", args: []string{"init"}})
	return err
}

// measure runs st (st.runs times, or once) and returns the run of median
// wall time.
func (w *workload) measure(st step) (measure, error) {
	var ms []measure
	for range max(st.runs, 1) {
		m, err := w.once(st)
		if err != nil {
			return measure{}, err
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b measure) int { return int(a.wall - b.wall) })
	return ms[len(ms)/2], nil
}

// once runs one berth command and collects the reports of its processes.
func (w *workload) once(st step) (measure, error) {
	if err := os.RemoveAll(w.prof); err != nil {
		return measure{}, err
	}
	if err := os.MkdirAll(w.prof, 0o755); err != nil {
		return measure{}, err
	}
	cmd := exec.Command(w.bin, append(st.args, "-no-color")...)
	if st.name == "init" {
		cmd.Args = cmd.Args[:len(cmd.Args)-1]
	}
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(),
		"HOME="+w.home,
		"BERTH_PLUGIN_DIR="+w.plugins,
		"NO_COLOR=1",
		procprof.EnvDir+"="+w.prof)
	profDir := os.Getenv("BERTH_BENCH_PROFILE")
	if profDir != "" {
		cmd.Env = append(cmd.Env, procprof.EnvKind+"=cpu")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return measure{}, err
	}
	if code != st.code {
		tail := out.String()
		if len(tail) > 4000 {
			tail = "..." + tail[len(tail)-4000:]
		}
		return measure{}, fmt.Errorf("berth %s: exit %d, want %d\n%s", strings.Join(st.args, " "), code, st.code, tail)
	}
	m := measure{wall: wall}
	if err := w.collect(&m, cmd.Process.Pid); err != nil {
		return measure{}, err
	}
	if m.berthReport == 0 {
		// A berth without internal/procprof: its rusage as its parent
		// sees it, which includes the provider's.
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		m.berthCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.berthRSS = ru.Maxrss
	}
	if profDir != "" && st.name != "init" {
		dst := filepath.Join(profDir, w.name+"-"+strings.NewReplacer(" ", "-", "%", "pct", "=", "-").Replace(st.name))
		os.RemoveAll(dst)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return measure{}, err
		}
		if err := os.Rename(w.prof, dst); err != nil {
			return measure{}, err
		}
	}
	return m, nil
}

// collect reads the processes' reports: berth's (by its pid) and every
// provider's.
func (w *workload) collect(m *measure, berthPID int) error {
	files, err := filepath.Glob(filepath.Join(w.prof, "*.rusage"))
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var user, sys, rss int64
		if _, err := fmt.Sscanf(string(data), "%d %d %d", &user, &sys, &rss); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		cpu := time.Duration(user + sys)
		base := filepath.Base(f)
		switch {
		case base == fmt.Sprintf("berth-%d.rusage", berthPID):
			m.berthCPU, m.berthRSS = cpu, rss
			m.berthReport++
		case strings.HasPrefix(base, "provider-"):
			m.providerCPU += cpu
			m.providerRSS = max(m.providerRSS, rss)
			m.providers++
		}
	}
	return nil
}

func goBuild(out, pkg string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func intList(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 10 {
			return nil, fmt.Errorf("%q: want numbers of at least 10", f)
		}
		out = append(out, n)
	}
	return out, nil
}
