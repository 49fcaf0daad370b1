package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	version "github.com/hashicorp/go-version"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/providers/install"
	"github.com/berth-sh/berth/providers/testprovider"
)

// swapFixture is a working directory whose lock file locks acme/dns 1.0.0
// to the test provider's binary, installed in a private plugin directory,
// and an impostor beside it that appends a line to a marker file each time
// it runs. Both are kept under other names in the plugin's own directory,
// so that either can be hard-linked and renamed over the plugin's path
// atomically, as an attacker with write access to that directory could.
type swapFixture struct {
	path, genuine, impostor, marker string
	// launcher is the engine's, as plan and apply use it.
	launcher core.Launcher
}

func newSwapFixture(t *testing.T) *swapFixture {
	t.Helper()
	root := t.TempDir()
	work, plugins := filepath.Join(root, "work"), filepath.Join(root, "plugins")
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv(install.EnvPluginDir, plugins)
	src, err := install.ParseSource("acme/dns")
	if err != nil {
		t.Fatal(err)
	}
	v := version.Must(version.NewSemver("1.0.0"))
	f := &swapFixture{path: install.BinaryPath(plugins, src, v), marker: filepath.Join(root, "impostor-ran")}
	dir := filepath.Dir(f.path)
	f.genuine, f.impostor = filepath.Join(dir, ".genuine"), filepath.Join(dir, ".impostor")
	for _, d := range []string{work, dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := os.ReadFile(testprovider.Build(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.genuine, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// The impostor is padded to 1 MiB, so that checking it takes longer
	// than a swap: a tiny one would be refused over and over while one
	// swap is under way, and the launches would find the impostor at the
	// path far more often than the genuine binary.
	script := "#!/bin/sh\necho ran >> '" + f.marker + "'\nexit 0\n"
	pad := bytes.Repeat([]byte("#"), 1<<20)
	if err := os.WriteFile(f.impostor, append(append([]byte(script), pad...), '\n'), 0o755); err != nil {
		t.Fatal(err)
	}
	f.install(t, f.genuine)
	lock := install.NewLock()
	lock.SetProvider(&install.LockedProvider{Source: src, Version: v, Hashes: []string{fileHash(t, f.genuine)}})
	if err := install.WriteLockFile(filepath.Join(work, install.LockFileName), lock); err != nil {
		t.Fatal(err)
	}
	f.launcher = (&Meta{Dir: work}).launcher(nil)
	return f
}

// swapIn puts the file from at the plugin's path by renaming a new hard
// link of it over the path: the path always names a complete binary.
func (f *swapFixture) swapIn(from string) error {
	tmp := f.path + ".swap"
	if err := os.Link(from, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}

func (f *swapFixture) install(t *testing.T, from string) {
	t.Helper()
	if err := f.swapIn(from); err != nil {
		t.Fatal(err)
	}
}

// impostorRuns counts the times the impostor ran.
func (f *swapFixture) impostorRuns(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(f.marker)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// TestLaunchRefusesUnlockedBytes: a binary whose bytes are not the locked
// ones, however it got there, is refused before it runs, and the message
// names the provider, the path and both checksums.
func TestLaunchRefusesUnlockedBytes(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, f *swapFixture)
	}{
		{"renamed over the path", func(t *testing.T, f *swapFixture) { f.install(t, f.impostor) }},
		{"rewritten in place", func(t *testing.T, f *swapFixture) {
			b, err := os.ReadFile(f.impostor)
			if err != nil {
				t.Fatal(err)
			}
			// The genuine binary is a hard link of the path: write a copy.
			if err := os.Remove(f.path); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f.path, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSwapFixture(t)
			locked := fileHash(t, f.genuine)
			tt.change(t, f)
			p, err := f.launcher.Launch(context.Background(), "dns", "acme/dns")
			if err == nil {
				p.Close()
				t.Fatal("Launch of a binary that is not the locked one succeeded")
			}
			want := "provider acme/dns 1.0.0 at " + f.path + " does not match the checksum in berth.lock.hcl (got " +
				fileHash(t, f.impostor) + ", locked " + locked + `); if you upgraded it on purpose, run "berth init -upgrade"`
			if err.Error() != want {
				t.Errorf("error:\n got %v\nwant %s", err, want)
			}
			if n := f.impostorRuns(t); n != 0 {
				t.Errorf("the impostor ran %d times", n)
			}
		})
	}
}

// TestLaunchSwapRace launches the provider over and over while another
// goroutine swaps the genuine binary and an impostor at its path as fast
// as it can. Each launch must either run the genuine binary or refuse; the
// impostor must never run. (When berth hashed the path and then executed
// the path again, 16 launches in 500 ran the impostor here.)
func TestLaunchSwapRace(t *testing.T) {
	const runs = 500
	f := newSwapFixture(t)
	ctx := context.Background()

	start := time.Now()
	stop := make(chan struct{})
	var swaps atomic.Int64
	var swapErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, from := range []string{f.impostor, f.genuine} {
				if swapErr = f.swapIn(from); swapErr != nil {
					return
				}
				swaps.Add(1)
			}
		}
	}()

	var launched, refused int
	var others []string
	for range runs {
		p, err := f.launcher.Launch(ctx, "dns", "acme/dns")
		var ce *install.ChecksumError
		switch {
		case err == nil:
			launched++
			p.Close()
		case errors.As(err, &ce):
			refused++
		default:
			others = append(others, err.Error())
		}
	}
	close(stop)
	wg.Wait()
	if swapErr != nil {
		t.Fatalf("swapping: %v", swapErr)
	}

	impostor := f.impostorRuns(t)
	t.Logf("%d launches in %s during %d swaps: %d ran the genuine binary, %d refused a changed binary, %d failed otherwise; the impostor ran %d times",
		runs, time.Since(start).Round(time.Millisecond), swaps.Load(), launched, refused, len(others), impostor)
	if impostor != 0 {
		t.Errorf("the impostor ran %d times in %d launches", impostor, runs)
	}
	if len(others) > 0 {
		t.Errorf("%d launches failed other than by a checksum mismatch, the first with: %s", len(others), others[0])
	}
	// Both outcomes must occur, or the swaps did not race the launches.
	if launched == 0 || refused == 0 {
		t.Errorf("%d launched, %d refused: the swaps did not race the launches", launched, refused)
	}
}
