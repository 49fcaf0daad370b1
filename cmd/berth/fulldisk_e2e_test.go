//go:build integration

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
)

// The full-disk test of issue 9: the disk that holds the state fills up
// during an apply of 200 objects with the test provider, whose store is
// on another disk. It needs root, to mount a small tmpfs: make
// integration runs it (as root in CI), and it fails, never skips, when
// it cannot mount.

const fullDiskObjects = 200

// mountTmpfs mounts a tmpfs of the given size on a new directory under
// root, unmounted when the test ends.
func mountTmpfs(t *testing.T, root, size string) string {
	t.Helper()
	dir := filepath.Join(root, "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("the full-disk test needs a small tmpfs, and mounting one failed (it needs root: make integration runs as root in CI): %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file in dir until the disk is full, and returns it:
// removing it frees the space.
func fillDisk(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4096, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if free := st.Bavail * uint64(st.Bsize); free != 0 {
		t.Fatalf("%d bytes still free after filling %s", free, dir)
	}
	return path
}

// fullDiskConfig is the e2e configuration of the 200 objects, with the
// test provider's store at store and the berth block's extra settings.
func fullDiskConfig(store, berth string) string {
	header := strings.Replace(e2eHeader, `"${path.module}/store.json"`, fmt.Sprintf("%q", store), 1)
	header = strings.Replace(header, "berth {\n", "berth {\n"+berth, 1)
	return header + fmt.Sprintf(`
resource "test_object" "o" {
  count = %d
  name  = "o${count.index}"
}
`, fullDiskObjects)
}

// applyUntilFull starts an apply of the 200 objects, fills the disk at
// dir once 30 are created, and returns the apply's result.
func (e *e2e) applyUntilFull(dir string) (r result, filler string, elapsed time.Duration) {
	e.t.Helper()
	start := time.Now()
	b := e.start("apply", "-auto-approve", "-parallelism=10", "-var", "delay_ms=50")
	done := 0
	for l := range b.lines {
		if strings.Contains(l, "Creation complete") {
			if done++; done == 30 {
				filler = fillDisk(e.t, dir)
				break
			}
		}
	}
	code := b.wait()
	return result{stdout: b.out.String(), stderr: b.errb.String(), code: code}, filler, time.Since(start)
}

// idsOfState returns the sorted ids of the objects a state file records.
func idsOfState(t *testing.T, data []byte) []string {
	t.Helper()
	st, err := statefile.Decode(data)
	if err != nil {
		t.Fatalf("the state berth left cannot be read: %v", err)
	}
	var ids []string
	for _, obj := range st.AllInstances() {
		v, _ := obj.Value.UnmarkDeep()
		ids = append(ids, v.GetAttr("id").AsString())
	}
	slices.Sort(ids)
	return ids
}

// pushBackCommand is the command the apply's summary gives to put the
// state back: the line that follows "before running berth again".
func pushBackCommand(t *testing.T, msg string) string {
	t.Helper()
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		if strings.Contains(l, "before running berth again") && i+1 < len(lines) && strings.Contains(lines[i+1], "berth state push ") {
			return strings.TrimSpace(lines[i+1])
		}
	}
	t.Fatalf("no command to put the state back in:\n%s", msg)
	return ""
}

// TestE2EFullDisk fills the disk that holds the state during an apply:
// the apply stops (exit 1) and says where the state that records every
// object is; a rerun on the full disk creates nothing; once space is
// freed and the state put back with the command the message gives, the
// next apply converges with no duplicate.
func TestE2EFullDisk(t *testing.T) {
	tests := []struct {
		name string
		// workOnDisk puts the working directory on the full disk, not
		// only the state: no file can then hold the state, and it is
		// printed (the audit's case).
		workOnDisk bool
		where      string
	}{
		{"working directory", true, "the state printed on standard error"},
		{"state on another disk", false, statemgr.ErroredStateFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, "")
			disk := mountTmpfs(t, e.root, "4m")
			e.storeAt = filepath.Join(e.root, "store.json")
			backend := ""
			if tt.workOnDisk {
				if out, err := exec.Command("cp", "-a", e.dir+"/.", disk).CombinedOutput(); err != nil {
					t.Fatalf("cp: %v\n%s", err, out)
				}
				e.dir = disk
			} else {
				e.stateAt = filepath.Join(disk, "berth.state")
				backend = fmt.Sprintf("  backend \"local\" {\n    path = %q\n  }\n", e.stateAt)
			}
			if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(fullDiskConfig(e.storeAt, backend)), 0o644); err != nil {
				t.Fatal(err)
			}
			e.ok("init")

			r, filler, elapsed := e.applyUntilFull(disk)
			if r.code != 1 {
				t.Fatalf("apply on a full disk: %s", r)
			}
			mustContain(t, "stdout", r.stdout, "Error: the state could not be written", "no space left on device",
				"Apply stopped: the state could not be written.",
				fmt.Sprintf("does NOT record everything that exists: %s does", tt.where))
			if strings.Contains(r.stdout+r.stderr, "The state records what exists") {
				t.Errorf("berth claims the state records what exists:\n%s", r)
			}
			t.Logf("the apply ended with:\n%s", lastLines(r.stdout, 5))
			erroredPath := filepath.Join(e.dir, statemgr.ErroredStateFile)
			var kept []byte
			if tt.workOnDisk {
				begin := strings.Index(r.stderr, core.StateBeginLine+"\n")
				end := strings.Index(r.stderr, "\n"+core.StateEndLine)
				if begin < 0 || end < begin {
					t.Fatalf("the state is not printed:\n%s", r.stderr)
				}
				kept = []byte(r.stderr[begin+len(core.StateBeginLine)+1 : end+1])
			} else {
				var err error
				if kept, err = os.ReadFile(erroredPath); err != nil {
					t.Fatalf("no errored state: %v\n%s", err, r)
				}
			}
			store := sortedIDs(e.store().Objects)
			if got := idsOfState(t, kept); !slices.Equal(got, store) {
				t.Fatalf("%s records %d objects, the store holds %d:\n%v\n%v", tt.where, len(got), len(store), got, store)
			}
			recorded := len(e.stateIDs())
			if recorded >= len(store) || len(store) >= fullDiskObjects {
				t.Fatalf("%d objects created, %d in berth.state: the disk did not fill up during the apply", len(store), recorded)
			}
			t.Logf("disk filled after 30 creations: apply exit %d after %v; %d of %d objects exist, berth.state records %d, %s %d",
				r.code, elapsed.Round(time.Millisecond), len(store), fullDiskObjects, recorded, tt.where, len(store))

			// A rerun on the full disk creates nothing.
			again := e.run("apply", "-auto-approve", "-parallelism=10", "-var", "delay_ms=50")
			if again.code != 1 {
				t.Fatalf("apply again on the full disk: %s", again)
			}
			if n := len(e.store().Objects); n != len(store) {
				t.Fatalf("a rerun on the full disk created %d objects:\n%s", n-len(store), again)
			}
			t.Logf("rerun on the full disk: exit %d, 0 objects created; it said: %s", again.code, firstLine(again.stderr))

			// Space is freed (and the printed state saved as the message
			// says): apply refuses until the state is put back.
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			if tt.workOnDisk {
				if err := os.WriteFile(erroredPath, kept, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			refused := e.expect(1, "apply", "-auto-approve")
			mustContain(t, "apply with an errored state waiting", refused.stderr, "An errored state is waiting to be put back")
			if n := len(e.store().Objects); n != len(store) {
				t.Errorf("the refused apply created %d objects", n-len(store))
			}
			e.pushBack(pushBackCommand(t, r.stdout))
			e.checkConverged(fullDiskObjects)
		})
	}
}

// pushBack runs the command berth's message gives to put the state back,
// in the working directory.
func (e *e2e) pushBack(command string) {
	e.t.Helper()
	// "berth" is the binary under test, run as e.command runs it.
	cmd := e.command("", "")
	cmd.Args = []string{"sh", "-c", strings.Replace(command, "berth ", e.bin+" ", 1)}
	cmd.Path, _ = exec.LookPath("sh")
	if out, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("%s: %v\n%s", command, err, out)
	}
	e.t.Logf("put back with: %s", command)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
