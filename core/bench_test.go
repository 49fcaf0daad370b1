package core

// Engine benchmarks (`make bench`, results in docs/benchmarks.md): plan
// and apply of many small objects through the REAL plugin process of
// providers/testprovider and the local state backend, exactly as
// engine_test.go drives the engine. Each timed operation includes what a
// berth command pays: loading the configuration, launching and
// configuring the provider, reading and writing the state file.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/internal/benchconfig"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers/testprovider"
)

// benchScenario is one shape of configuration.
type benchScenario struct {
	name string
	n    int // objects
	// config returns the resource blocks. Objects it marks with var.gen
	// in their value are the 1% that the "change" benchmarks alter.
	config func(n int) string
}

var benchScenarios = []benchScenario{
	{"independent-1000", 1000, benchconfig.Count},
	{"independent-5000", 5000, benchconfig.Count},
	{"independent-10000", 10000, benchconfig.Count},
	{"chains10-1000", 1000, benchconfig.Chains10},
	{"blocks-1000", 1000, benchconfig.Blocks},
}

// benchHeader configures the test provider with its store cache, so that
// a call costs the call, not the parsing of the store file.
const benchHeader = `
berth {
  required_providers {
    test = { source = "berth-test/test" }
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

// benchDir is a working directory: configuration, store and state.
type benchDir struct {
	tb  testing.TB
	dir string
}

// newBenchDir writes the scenario's configuration into a new directory
// under parent, whose owner removes it at its end (a sub-benchmark's own
// TempDir would vanish before the next sub-benchmark uses it).
func newBenchDir(tb testing.TB, parent string, sc benchScenario) *benchDir {
	tb.Helper()
	dir, err := os.MkdirTemp(parent, sc.name+"-")
	if err != nil {
		tb.Fatal(err)
	}
	d := &benchDir{tb: tb, dir: dir}
	if err := os.WriteFile(filepath.Join(d.dir, "main.berth.hcl"), []byte(benchHeader+sc.config(sc.n)), 0o644); err != nil {
		tb.Fatal(err)
	}
	return d
}

// operation loads the configuration with var.gen = gen.
func (d *benchDir) operation(gen string) *Operation {
	d.tb.Helper()
	return testOperation(d.tb, d.dir, []lang.VarArg{{Kind: "var", Value: "gen=" + gen}})
}

func (d *benchDir) plan(gen string, mode plans.Mode) *plans.Plan {
	d.tb.Helper()
	p, _, diags := d.operation(gen).Plan(context.Background(), PlanOptions{Mode: mode, Refresh: true})
	if diags.HasErrors() {
		d.tb.Fatalf("plan: %v", diags)
	}
	return p
}

func (d *benchDir) apply(gen string, p *plans.Plan) {
	d.tb.Helper()
	if _, diags := d.operation(gen).Apply(context.Background(), p, ApplyOptions{}); diags.HasErrors() {
		d.tb.Fatalf("apply: %v", diags)
	}
}

// copyTo copies the working directory (configuration, store, state) into
// a fresh one, so that a benchmark that changes it starts from the same
// point every iteration.
func (d *benchDir) copyTo(tb testing.TB, parent string) *benchDir {
	tb.Helper()
	dir, err := os.MkdirTemp(parent, "copy-")
	if err != nil {
		tb.Fatal(err)
	}
	c := &benchDir{tb: tb, dir: dir}
	for _, name := range []string{"main.berth.hcl", "store.json", "berth.state"} {
		data, err := os.ReadFile(filepath.Join(d.dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(c.dir, name), data, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

// countChanges checks the plan's actions: want objects changing with
// action, the rest no-ops.
func countChanges(tb testing.TB, p *plans.Plan, action plans.Action, want int) {
	tb.Helper()
	got := 0
	for _, c := range p.Changes {
		switch c.Action {
		case action:
			got++
		case plans.NoOp:
		default:
			tb.Fatalf("%s: unexpected action %s", c.Addr, c.Action)
		}
	}
	if got != want {
		tb.Fatalf("plan has %d changes of action %s, want %d", got, action, want)
	}
}

// applied holds, per scenario, a directory where all objects exist (made
// by the create benchmark, or on demand when that one was filtered out).
var (
	appliedMu sync.Mutex
	applied   = map[string]*benchDir{}
)

func appliedDir(b *testing.B, parent string, sc benchScenario) *benchDir {
	appliedMu.Lock()
	defer appliedMu.Unlock()
	key := parent + "|" + sc.name
	if d := applied[key]; d != nil {
		return d
	}
	b.StopTimer()
	defer b.StartTimer()
	d := newBenchDir(b, parent, sc)
	d.apply("0", d.plan("0", plans.NormalMode))
	applied[key] = d
	return d
}

// cpuMeter measures the CPU time of this process (the engine) and of its
// waited-for children (the provider plugin processes, which go-plugin
// waits for when the operation ends) over the timed operations, so that
// the table says which side of the plugin protocol the time goes to.
type cpuMeter struct {
	self, children time.Duration
	startSelf      time.Duration
	startChildren  time.Duration
}

func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *cpuMeter) start() {
	m.startSelf, m.startChildren = cpuTime(syscall.RUSAGE_SELF), cpuTime(syscall.RUSAGE_CHILDREN)
}

func (m *cpuMeter) stop() {
	m.self += cpuTime(syscall.RUSAGE_SELF) - m.startSelf
	m.children += cpuTime(syscall.RUSAGE_CHILDREN) - m.startChildren
}

// report adds a s/op column (the operations take seconds, and reading
// 1e9-scale ns/op is error-prone) and the CPU seconds of each side.
func (m *cpuMeter) report(b *testing.B, elapsed time.Duration) {
	n := float64(b.N)
	b.ReportMetric(elapsed.Seconds()/n, "s/op")
	b.ReportMetric(m.self.Seconds()/n, "engine-cpu-s/op")
	b.ReportMetric(m.children.Seconds()/n, "provider-cpu-s/op")
}

func BenchmarkEngine(b *testing.B) {
	testprovider.Build(b) // not timed: go build of the provider
	parent := b.TempDir()
	for _, sc := range benchScenarios {
		b.Run(sc.name, func(b *testing.B) {
			// (a) Create every object from nothing: plan + apply.
			b.Run("create", func(b *testing.B) {
				var elapsed time.Duration
				var cpu cpuMeter
				for range b.N {
					b.StopTimer()
					d := newBenchDir(b, parent, sc)
					b.StartTimer()
					start := time.Now()
					cpu.start()
					p := d.plan("0", plans.NormalMode)
					d.apply("0", p)
					cpu.stop()
					elapsed += time.Since(start)
					b.StopTimer()
					countChanges(b, p, plans.Create, sc.n)
					appliedMu.Lock()
					applied[parent+"|"+sc.name] = d
					appliedMu.Unlock()
					b.StartTimer()
				}
				cpu.report(b, elapsed)
			})
			// (b) Plan with nothing to do (refresh included).
			b.Run("noop-plan", func(b *testing.B) {
				d := appliedDir(b, parent, sc)
				defer profileTo(b, "noop-plan-"+sc.name)()
				b.ResetTimer()
				var cpu cpuMeter
				cpu.start()
				start := time.Now()
				var p *plans.Plan
				for range b.N {
					p = d.plan("0", plans.NormalMode)
				}
				elapsed := time.Since(start)
				cpu.stop()
				b.StopTimer()
				countChanges(b, p, plans.Update, 0)
				cpu.report(b, elapsed)
			})
			// (c) Plan after a change that alters 1% of the objects.
			b.Run("plan-1pct", func(b *testing.B) {
				d := appliedDir(b, parent, sc)
				b.ResetTimer()
				var cpu cpuMeter
				cpu.start()
				start := time.Now()
				var p *plans.Plan
				for range b.N {
					p = d.plan("1", plans.NormalMode)
				}
				elapsed := time.Since(start)
				cpu.stop()
				b.StopTimer()
				countChanges(b, p, plans.Update, sc.n/100)
				cpu.report(b, elapsed)
			})
			// (d) Apply that plan (the plan itself is not timed).
			b.Run("apply-1pct", func(b *testing.B) {
				base := appliedDir(b, parent, sc)
				var elapsed time.Duration
				var cpu cpuMeter
				for range b.N {
					b.StopTimer()
					d := base.copyTo(b, parent)
					p := d.plan("1", plans.NormalMode)
					b.StartTimer()
					start := time.Now()
					cpu.start()
					d.apply("1", p)
					cpu.stop()
					elapsed += time.Since(start)
				}
				cpu.report(b, elapsed)
			})
			// Peak RSS of the no-op plan of the largest configuration.
			if sc.n >= 10000 {
				b.Run("noop-plan-peak-rss", func(b *testing.B) {
					benchPeakRSS(b, appliedDir(b, parent, sc))
				})
			}
		})
	}
}

// profileEnv names a directory where the no-op plan benchmarks write a
// CPU profile each (NAME.cpu): -cpuprofile would mix in the creates that
// prepare them.
const profileEnv = "BERTH_BENCH_PROFILE_DIR"

// profileTo starts a CPU profile named name when profileEnv is set and
// returns what stops it.
func profileTo(b *testing.B, name string) func() {
	dir := os.Getenv(profileEnv)
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// rssChildEnv names the directory in which a child test process runs one
// no-op plan and reports its peak RSS (see TestMain).
const rssChildEnv = "BERTH_BENCH_RSS_DIR"

// benchPeakRSS runs the no-op plan in d in a fresh process (this test
// binary re-executed), so that the peak resident set size measured is
// that of one plan, as a `berth plan` would have it, and not that of the
// benchmarks run before it in this process.
func benchPeakRSS(b *testing.B, d *benchDir) {
	var maxRSS int64
	var planTime time.Duration
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
		cmd.Env = append(os.Environ(), rssChildEnv+"="+d.dir)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			b.Fatalf("child: %v\n%s%s", err, out.String(), errOut.String())
		}
		// Maxrss is in KiB on Linux: the peak of the child alone, the
		// provider process (its child) not included.
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		maxRSS = max(maxRSS, ru.Maxrss*1024)
		var ns int64
		if _, err := fmt.Sscanf(strings.TrimSpace(out.String()), "plan-ns=%d", &ns); err != nil {
			b.Fatalf("child output %q: %v", out.String(), err)
		}
		planTime += time.Duration(ns)
	}
	b.ReportMetric(float64(maxRSS)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(planTime.Seconds()/float64(b.N), "s/op")
}

// TestMain runs the child of benchPeakRSS when asked to, and
// the tests otherwise.
func TestMain(m *testing.M) {
	if dir := os.Getenv(rssChildEnv); dir != "" {
		os.Exit(rssChild(dir))
	}
	os.Exit(m.Run())
}

// childTB is the testing.TB of the child process: the helpers only call
// Helper and Fatalf/Fatal, and a failure ends the process.
type childTB struct{ testing.TB }

func (childTB) Helper() {}

func (childTB) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func (c childTB) Fatal(args ...any) { c.Fatalf("%s", fmt.Sprint(args...)) }

// rssChild plans in dir and prints how long it took.
func rssChild(dir string) int {
	d := &benchDir{tb: childTB{}, dir: dir}
	start := time.Now()
	p := d.plan("0", plans.NormalMode)
	elapsed := time.Since(start)
	if p.HasChanges() {
		fmt.Fprintln(os.Stderr, "the no-op plan has changes")
		return 1
	}
	fmt.Printf("plan-ns=%d\n", elapsed.Nanoseconds())
	return 0
}
