//go:build crash

package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-sh/berth/state/statefile"
)

// The crash harness (make crash; docs/crash-safety.md): berth applies and
// destroys with the test provider, and is killed with SIGKILL at a random
// moment, or its provider is; then reality (the test provider's store) is
// compared with the state and the intent journal, and the next plan and
// apply must recover: 0 orphans and 0 duplicates. Run briefly by make test,
// at length by hand:
//
//	go test -tags crash -run Crash -count=1 -timeout=2h ./cmd/berth/ \
//	    -crash.create=120 -crash.destroy=120 -crash.provider=40
var (
	crashCreate   = flag.Int("crash.create", 8, "trials killing berth during an apply that creates")
	crashDestroy  = flag.Int("crash.destroy", 8, "trials killing berth during a destroy")
	crashProvider = flag.Int("crash.provider", 4, "trials killing the provider plugin during an apply that creates")
	crashObjects  = flag.Int("crash.objects", 60, "objects per trial")
)

const crashConfig = `
variable "n" {
  type = number
}

resource "test_object" "o" {
  count = var.n
  name  = "o${count.index}"
  value = "v"
}
`

// crashFigures are the harness's counts over all trials of one kind.
type crashFigures struct {
	trials, kills int
	// unknown: objects that existed after the kill and that neither the
	// state nor the journal knew of (must be 0).
	unknown int
	// journaled: objects only the journal knew of after the kill, which
	// the next plan recovered; recoveryTrials: trials with such objects
	// or with recorded objects gone (a destroy cut short), recoveredTold:
	// those whose plan said what it recovered.
	journaled, recoveredTold, recoveryTrials int
	// orphans and duplicates after the next apply (must be 0).
	orphans, duplicates int
	// stale: recorded objects that were gone after a kill (harmless: the
	// next refresh forgets them).
	stale int
}

func (f crashFigures) String() string {
	return fmt.Sprintf("%d trials, %d kills: unknown after kill %d, known only to the journal %d (recovery told in %d of %d plans), stale records %d; after the next apply: orphans %d, duplicates %d",
		f.trials, f.kills, f.unknown, f.journaled, f.recoveredTold, f.recoveryTrials, f.stale, f.orphans, f.duplicates)
}

func TestCrashCreate(t *testing.T) {
	f := runCrashTrials(t, *crashCreate, crashKillBerth, false)
	t.Logf("SIGKILL of berth during create: %s", f)
	checkFigures(t, f)
}

func TestCrashProvider(t *testing.T) {
	f := runCrashTrials(t, *crashProvider, crashKillProvider, false)
	t.Logf("SIGKILL of the provider during create: %s", f)
	checkFigures(t, f)
}

func TestCrashDestroy(t *testing.T) {
	f := runCrashTrials(t, *crashDestroy, crashKillBerth, true)
	t.Logf("SIGKILL of berth during destroy: %s", f)
	checkFigures(t, f)
}

func checkFigures(t *testing.T, f crashFigures) {
	t.Helper()
	if f.unknown != 0 || f.orphans != 0 || f.duplicates != 0 {
		t.Errorf("crash safety broken: %s", f)
	}
	if f.recoveredTold != f.recoveryTrials {
		t.Errorf("%d plans after a kill with objects known only to the journal did not say what they recovered", f.recoveryTrials-f.recoveredTold)
	}
	if f.kills < f.trials*3/4 {
		t.Errorf("only %d of %d trials killed during the operation: the harness is not testing anything", f.kills, f.trials)
	}
}

type crashVictim int

const (
	crashKillBerth crashVictim = iota
	crashKillProvider
)

// runCrashTrials runs trials of one kind in one working directory.
func runCrashTrials(t *testing.T, trials int, victim crashVictim, destroy bool) crashFigures {
	if trials <= 0 {
		t.Skip("no trials asked for")
	}
	n := *crashObjects
	e := newE2E(t, crashConfig)
	nvar := fmt.Sprintf("n=%d", n)
	var f crashFigures
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	// The kill comes at a random moment of what the operation takes from
	// its first change to its end, measured once here on this machine.
	window := crashWindow(e, nvar, destroy)
	t.Logf("a full run takes %s from its first change", window)
	for i := range trials {
		f.trials++
		// Each trial starts from nothing (create) or from n objects
		// (destroy), with an empty journal.
		for _, p := range []string{e.storePath(), e.statePath(), e.statePath() + ".backup", e.statePath() + ".journal"} {
			_ = os.Remove(p)
		}
		if destroy {
			e.ok("apply", "-auto-approve", "-parallelism=10", "-var", nvar)
		}
		b := e.start(crashArgs(nvar, destroy)...)
		waitFirstChange(b)
		time.Sleep(time.Duration(rng.Int64N(int64(window))))
		killed := false
		switch victim {
		case crashKillBerth:
			killed = b.cmd.Process.Signal(syscall.SIGKILL) == nil
		case crashKillProvider:
			out, _ := exec.Command("pgrep", "-f", filepath.Join(e.root, "plugins")).Output()
			for _, p := range strings.Fields(string(out)) {
				var pid int
				fmt.Sscan(p, &pid)
				killed = syscall.Kill(pid, syscall.SIGKILL) == nil || killed
			}
		}
		code := b.wait()
		if killed && code != 0 {
			f.kills++
		} else {
			// The run ended before the kill: runs are faster now than
			// when the window was measured (a busy machine calmed down).
			window = max(window*2/3, 10*time.Millisecond)
		}
		// A killed berth leaves its lock file, but not its file lock: the
		// next command takes the lock over by itself (no force-unlock).

		// What exists against what berth knows.
		st := e.state()
		recorded := map[string]bool{}
		if st != nil {
			for _, obj := range st.AllInstances() {
				v, _ := obj.Value.UnmarkDeep()
				recorded[v.GetAttr("id").AsString()] = true
			}
		}
		journal := map[string]bool{}
		if data, err := os.ReadFile(e.statePath() + ".journal"); err == nil {
			intents, err := statefile.DecodeJournal(data)
			if err != nil {
				t.Fatalf("trial %d: journal: %v", i, err)
			}
			for _, in := range intents {
				journal[in.Key] = true
			}
		}
		store := e.store()
		onlyJournal := 0
		for id, o := range store.Objects {
			switch {
			case recorded[id]:
			case o.IdempotencyKey != "" && journal[o.IdempotencyKey]:
				onlyJournal++
			default:
				f.unknown++
				t.Errorf("trial %d: object %s (%s) exists, and neither the state nor the journal knows of it", i, id, o.Name)
			}
		}
		trialStale := 0
		for id := range recorded {
			if store.Objects[id] == nil {
				trialStale++
			}
		}
		f.stale += trialStale
		f.journaled += onlyJournal

		// The next run recovers and converges.
		planArgs := []string{"plan", "-no-color", "-var", nvar}
		if destroy {
			planArgs = []string{"plan", "-destroy", "-no-color", "-var", nvar}
		}
		r := e.ok(planArgs...)
		// Objects known only to the journal (a create cut short) or
		// recorded but gone (a destroy cut short): the plan tells what
		// it recovered.
		if onlyJournal > 0 || destroy && trialStale > 0 {
			f.recoveryTrials++
			if strings.Contains(r.stdout, "Recovered from an interrupted apply") {
				f.recoveredTold++
			} else {
				t.Logf("trial %d: plan after the kill:\n%s", i, r.stdout)
			}
		}
		want := n
		if destroy {
			e.ok("destroy", "-auto-approve", "-parallelism=10", "-var", nvar)
			want = 0
		} else {
			e.ok("apply", "-auto-approve", "-parallelism=10", "-var", nvar)
		}
		store = e.store()
		names := map[string]int{}
		for _, o := range store.Objects {
			names[o.Name]++
		}
		for name, c := range names {
			if c > 1 {
				f.duplicates += c - 1
				t.Errorf("trial %d: %d objects named %s", i, c, name)
			}
		}
		ids := e.stateIDs()
		for id, o := range store.Objects {
			if _, ok := ids[id]; !ok {
				f.orphans++
				t.Errorf("trial %d: after the next run, %s (%s) exists unrecorded", i, id, o.Name)
			}
		}
		if len(store.Objects) != want {
			t.Errorf("trial %d: %d objects after the next run, want %d", i, len(store.Objects), want)
		}
	}
	return f
}

// crashArgs is the command a trial kills: an apply creating with 100 ms
// per object, 10 at a time, or a destroy (immediate in the test
// provider), 2 at a time.
func crashArgs(nvar string, destroy bool) []string {
	if destroy {
		return []string{"destroy", "-auto-approve", "-parallelism=2", "-var", nvar}
	}
	return []string{"apply", "-auto-approve", "-parallelism=10", "-var", nvar, "-var", "delay_ms=100"}
}

// waitFirstChange waits until b starts its first change.
func waitFirstChange(b *background) {
	for l := range b.lines {
		if strings.Contains(l, "Creating...") || strings.Contains(l, "Destroying...") {
			return
		}
	}
}

// crashWindow runs the trials' operation once to its end and returns how
// long it took from its first change, leaving nothing behind.
func crashWindow(e *e2e, nvar string, destroy bool) time.Duration {
	e.t.Helper()
	// The shortest of three runs: on a busy machine one run can take
	// several times what the next does, and a kill planned after the end
	// of a run tests nothing.
	d := crashRun(e, nvar, destroy)
	for range 2 {
		d = min(d, crashRun(e, nvar, destroy))
	}
	return d
}

// crashRun is how long one full run takes from its first change.
func crashRun(e *e2e, nvar string, destroy bool) time.Duration {
	e.t.Helper()
	if destroy {
		e.ok("apply", "-auto-approve", "-parallelism=10", "-var", nvar)
	}
	b := e.start(crashArgs(nvar, destroy)...)
	waitFirstChange(b)
	start := time.Now()
	if code := b.wait(); code != 0 {
		e.t.Fatalf("%v: exit %d\n%s\n%s", crashArgs(nvar, destroy), code, &b.out, &b.errb)
	}
	d := time.Since(start)
	if !destroy {
		e.ok("destroy", "-auto-approve", "-parallelism=10", "-var", nvar)
	}
	return max(d, 10*time.Millisecond)
}
