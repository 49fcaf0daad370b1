// Package testenv holds the tests of the test environment scripts'
// settings (lib/settings.sh); the scripts themselves are bash.
package testenv

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// settings sources lib/settings.sh in bash with env and returns the
// variables it sets, by name.
func settings(t *testing.T, env ...string) map[string]string {
	t.Helper()
	lib, err := filepath.Abs("lib/settings.sh")
	if err != nil {
		t.Fatal(err)
	}
	script := `. "$1" && for v in BERTH_TESTENV_SLOT TESTENV_DOCKER_DIR TESTENV_REGISTRY_PORT TESTENV_PG_DIR TESTENV_PG_PORT TESTENV_KUBE_DIR TESTENV_S3_DIR TESTENV_ELBV2_DIR QUICKSTART_DIR QUICKSTART_REGISTRY_PORT QUICKSTART_BRIDGE QUICKSTART_BRIDGE_CIDR; do echo "$v=${!v}"; done; echo "HOSTS=${TESTENV_DOCKER_HOSTS[*]}"`
	cmd := exec.Command("bash", "-c", script, "bash", lib)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "TMPDIR=/tmp"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sourcing settings.sh with %v: %v\n%s", env, err, out)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		vars[k] = v
	}
	return vars
}

// TestSettingsDifferPerCheckout: two checkouts on one machine share no
// directory, port, bridge or subnet.
func TestSettingsDifferPerCheckout(t *testing.T) {
	a := settings(t, "BERTH_CHECKOUT=/work/one/berth")
	b := settings(t, "BERTH_CHECKOUT=/work/two/berth")
	if a["BERTH_TESTENV_SLOT"] == b["BERTH_TESTENV_SLOT"] {
		t.Fatalf("both checkouts got slot %s", a["BERTH_TESTENV_SLOT"])
	}
	for k, v := range a {
		if k == "HOSTS" {
			for _, field := range strings.Fields(v) {
				if len(field) > 1 && strings.Contains(b[k], field) {
					t.Errorf("both checkouts' test hosts have %q (%q, %q)", field, v, b[k])
				}
			}
			continue
		}
		if b[k] == v {
			t.Errorf("%s is %q for both checkouts", k, v)
		}
	}
	// The same checkout gets the same settings each time (start, env and
	// stop must agree).
	again := settings(t, "BERTH_CHECKOUT=/work/one/berth")
	for k, v := range a {
		if again[k] != v {
			t.Errorf("%s changed between two runs: %q, then %q", k, v, again[k])
		}
	}
}

// TestSettingsFromTheEnvironment: a slot or a single value set in the
// environment wins; a slot out of range is refused.
func TestSettingsFromTheEnvironment(t *testing.T) {
	s := settings(t, "BERTH_CHECKOUT=/work/one/berth", "BERTH_TESTENV_SLOT=7", "BERTH_TESTENV_PG_PORT=6543")
	want := map[string]string{
		"BERTH_TESTENV_SLOT":     "7",
		"TESTENV_DOCKER_DIR":     "/tmp/berth-te-7",
		"TESTENV_REGISTRY_PORT":  "20056",
		"TESTENV_PG_PORT":        "6543",
		"QUICKSTART_BRIDGE_CIDR": "10.27.3.1/24",
		"HOSTS":                  "a bte7a 10.27.1.1/24 b bte7b 10.27.2.1/24",
	}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("%s = %q, want %q", k, s[k], v)
		}
	}
	for _, slot := range []string{"180", "x1", "-1"} {
		cmd := exec.Command("bash", "-c", `. lib/settings.sh`)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "BERTH_TESTENV_SLOT=" + slot}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "BERTH_TESTENV_SLOT must be a number from 0 to 179") {
			t.Errorf("slot %s: err %v, output %q; want a refusal", slot, err, out)
		}
	}
}
