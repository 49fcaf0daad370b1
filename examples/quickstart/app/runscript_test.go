package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAptGet records its arguments in $CALLS. "update" creates $LISTS;
// "install" fails without $LISTS, and with $STALE until an update ran,
// as a mirror does that no longer has the versions old lists name; with
// $BROKEN, always.
const fakeAptGet = `#!/bin/sh
echo "$*" >>"$CALLS"
case " $* " in
*" update "*) touch "$LISTS" "$LISTS.updated"; exit 0 ;;
*" install "*)
	if [ -z "$BROKEN" ] && [ -e "$LISTS" ] && { [ -z "$STALE" ] || [ -e "$LISTS.updated" ]; }; then exit 0; fi
	echo "E: Unable to locate package $4"; exit 100 ;;
esac
`

// TestRunScriptInstall checks run.sh's install_missing against a fake
// apt-get: it updates the package lists when there are none, or when an
// install fails, and not otherwise.
func TestRunScriptInstall(t *testing.T) {
	tests := []struct {
		name      string
		missing   string // what missing_packages prints
		lists     bool   // package lists present
		stale     bool   // install fails until an update
		broken    bool   // install always fails
		wantCalls string
		wantFail  bool
	}{
		{"nothing missing", "", false, false, false, "", false},
		{"lists present", "docker.io", true, false, false, "-y -q install docker.io", false},
		{"no lists", "docker.io curl", false, false, false, "-y -q update|-y -q install docker.io curl", false},
		{"stale lists", "docker.io", true, true, false, "-y -q install docker.io|-y -q update|-y -q install docker.io", false},
		{"install fails after update", "docker.io", true, false, true, "-y -q install docker.io|-y -q update|-y -q install docker.io", true},
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("run.sh needs bash:", err)
	}
	script, err := filepath.Abs("../run.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			writeExecutable(t, filepath.Join(bin, "apt-get"), fakeAptGet)
			writeExecutable(t, filepath.Join(bin, "id"), "#!/bin/sh\necho 0\n")
			lists := filepath.Join(dir, "lists")
			if tt.lists {
				writeExecutable(t, lists, "")
			}
			calls := filepath.Join(dir, "calls")
			// Sourcing run.sh defines its functions only; the machine's
			// package state is replaced by the test's.
			cmd := exec.CommandContext(t.Context(), bash, "-c", `source "$SCRIPT"
missing_packages() { for p in $MISSING; do echo "$p"; done; }
have_package_lists() { [ -e "$LISTS" ]; }
install_missing`)
			cmd.Env = append(os.Environ(),
				"PATH="+bin+string(filepath.ListSeparator)+os.Getenv("PATH"),
				"SCRIPT="+script, "MISSING="+tt.missing, "LISTS="+lists,
				"CALLS="+calls, "STALE="+flag(tt.stale), "BROKEN="+flag(tt.broken),
				"BERTH_QUICKSTART_DIR="+filepath.Join(dir, "qs"))
			out, err := cmd.CombinedOutput()
			if (err != nil) != tt.wantFail {
				t.Fatalf("install_missing: %v, want failure %v\n%s", err, tt.wantFail, out)
			}
			got, _ := os.ReadFile(calls)
			if g := strings.ReplaceAll(strings.TrimSpace(string(got)), "\n", "|"); g != tt.wantCalls {
				t.Errorf("apt-get calls %q, want %q\n%s", g, tt.wantCalls, out)
			}
		})
	}
}

// flag is a shell flag's value: non-empty when set.
func flag(set bool) string {
	if set {
		return "1"
	}
	return ""
}

func writeExecutable(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}
