package main

// End-to-end tests of secrets: what berth prints (show, state show, a
// saved plan) and what it logs never holds a sensitive value, however deep
// it sits in an attribute, and however a provider echoes it.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The secrets of the tests: a long one (replaced wherever it appears) and
// a short one (replaced as a word).
const (
	e2eToken = "tok-9f8e7d6c5b4a39281706"
	e2eShort = "pw42x"
)

const nestedSecretsConfig = `
variable "token" {
  type      = string
  sensitive = true
  default   = "` + e2eToken + `"
}

variable "short" {
  type      = string
  sensitive = true
  default   = "` + e2eShort + `"
}

# echo returns its input as output: an attribute whose secrets sit two and
# three levels down, in objects, a list, a map.
data "test_echo" "e" {
  input = {
    plain = "visible"
    lvl1 = {
      lvl2 = {
        list = ["a", var.token, "c"]
        m    = { k = var.short, j = "shown" }
      }
    }
  }
}

resource "test_fleet" "f" {
  name     = "f"
  version  = "v1"
  replicas = 1
  fail     = ["zz", var.short]
}

resource "test_object" "o" {
  name   = "o"
  value  = data.test_echo.e.output.plain
  secret = var.token
}

output "nested" {
  value     = { a = { b = [var.token] } }
  sensitive = true
}
`

// TestE2ENestedSecretsNotShown: every command that shows recorded or
// planned values hides the nested secrets where they stand, shows their
// neighbours, and flags them in -json.
func TestE2ENestedSecretsNotShown(t *testing.T) {
	e := newE2E(t, nestedSecretsConfig)
	e.ok("apply", "-auto-approve")
	// A plan that changes both secrets, saved.
	e.ok("plan", "-out=p.plan", "-var", "token=tok-0000111122223333aaaa", "-var", "short=pw43y")

	noSecret := func(what, out string, secrets ...string) {
		t.Helper()
		for _, s := range append([]string{e2eToken, e2eShort}, secrets...) {
			if strings.Contains(out, s) {
				t.Errorf("%s shows the secret %q:\n%s", what, s, out)
			}
		}
	}

	show := e.ok("show").stdout
	noSecret("show", show)
	// Each secret is hidden in place: the list keeps its other elements,
	// the map its other key.
	list := regexp.MustCompile(`list = \[\s+"a",\s+\(sensitive value\),\s+"c",\s+\]`)
	m := regexp.MustCompile(`m\s+= \{\s+j = "shown"\s+k = \(sensitive value\)\s+\}`)
	fail := regexp.MustCompile(`fail\s+= \[\s+"zz",\s+\(sensitive value\),\s+\]`)
	for _, re := range []*regexp.Regexp{list, m, fail} {
		if !re.MatchString(show) {
			t.Errorf("show does not match %s:\n%s", re, show)
		}
	}
	mustContain(t, "show", show, `secret = (sensitive value)`, `nested = <sensitive>`)

	for _, addr := range []string{"data.test_echo.e", "test_fleet.f", "test_object.o"} {
		out := e.ok("state", "show", addr).stdout
		noSecret("state show "+addr, out)
		mustContain(t, "state show "+addr, out, "(sensitive value)")
	}

	showJSON := e.ok("show", "-json").stdout
	noSecret("show -json", showJSON)
	var doc struct {
		Resources []struct {
			Address         string          `json:"address"`
			SensitiveValues json.RawMessage `json:"sensitive_values"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(showJSON), &doc); err != nil {
		t.Fatalf("show -json: %v\n%s", err, showJSON)
	}
	masks := map[string]string{}
	for _, r := range doc.Resources {
		var compact bytes.Buffer
		if err := json.Compact(&compact, r.SensitiveValues); err != nil {
			t.Fatal(err)
		}
		masks[r.Address] = compact.String()
	}
	lvl := `{"lvl1":{"lvl2":{"list":[false,true,false],"m":{"k":true}}}}`
	for addr, want := range map[string]string{
		"data.test_echo.e": `{"input":` + lvl + `,"output":` + lvl + `}`,
		"test_fleet.f":     `{"fail":[false,true]}`,
		"test_object.o":    `{"secret":true}`,
	} {
		if masks[addr] != want {
			t.Errorf("sensitive_values of %s = %s, want %s", addr, masks[addr], want)
		}
	}

	for _, args := range [][]string{{"show", "p.plan"}, {"show", "-json", "p.plan"}, {"output"}} {
		r := e.ok(args...)
		noSecret(strings.Join(args, " "), r.stdout+r.stderr, "tok-0000111122223333aaaa", "pw43y")
	}
	plan, err := os.ReadFile(filepath.Join(e.dir, "p.plan"))
	if err != nil {
		t.Fatal(err)
	}
	noSecret("the plan file", string(plan), "tok-0000111122223333aaaa", "pw43y")
}

// panicConfig declares an object whose apply panics (see the test
// provider's panic_on_apply) with a message quoting its secret, SECRET,
// and three objects beside it.
const panicConfig = `
variable "token" {
  type      = string
  sensitive = true
  default   = "` + e2eToken + `"
}

resource "test_object" "boom" {
  name   = "boom"
  secret = SECRET
}

resource "test_object" "o" {
  count = 3
  name  = "o${count.index}"
}
`

// TestE2EProviderPanicRedacted: a provider that panics with a secret in
// its message has its panic reported, in the log and on the terminal,
// with the secret replaced, whichever call reports it.
func TestE2EProviderPanicRedacted(t *testing.T) {
	const literal = "literal-s3cret-0123456789"
	tests := []struct {
		name   string
		secret string // the expression of the object's secret
		shown  string // the secret's value
		// log: BERTH_LOG_PATH ("" logs to stderr), or no log at all.
		log, logPath bool
		// delayMS slows every call, so that the other objects' calls are
		// in flight when the provider dies and report the crash too.
		delayMS string
	}{
		{"log to a file", "var.token", e2eToken, true, true, "0"},
		{"log to stderr", "var.token", e2eToken, true, false, "0"},
		// The literal is known as a secret only from the schema of the
		// crashing object; the other calls must redact it too.
		{"reported by other calls", `"` + literal + `"`, literal, false, false, "1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, strings.Replace(panicConfig, "SECRET", tt.secret, 1))
			logFile := filepath.Join(e.root, "berth.log")
			var env []string
			if tt.log {
				env = append(env, "BERTH_LOG=trace")
			}
			if tt.logPath {
				env = append(env, "BERTH_LOG_PATH="+logFile)
			}
			r := e.runEnv(env, "apply", "-auto-approve", "-var", "panic_on=boom", "-var", "delay_ms="+tt.delayMS)
			if r.code != 1 {
				t.Fatalf("apply with a panicking provider: %s", r)
			}
			var logText string
			if tt.logPath {
				b, err := os.ReadFile(logFile)
				if err != nil {
					t.Fatal(err)
				}
				logText = string(b)
			}
			for what, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "the log": logText} {
				if strings.Contains(out, tt.shown) {
					t.Errorf("%s shows the secret:\n%s", what, out)
				}
			}
			// Still reported, the secret replaced (the terminal wraps the
			// detail: compare with spaces collapsed).
			const panicMsg = "panic: testprovider: panic requested while applying boom with secret (sensitive value)"
			stderr := strings.Join(strings.Fields(r.stderr), " ")
			mustContain(t, "stderr", stderr, "Provider berth-test/test crashed", "test_object.boom", panicMsg)
			if tt.logPath {
				mustContain(t, "the log", logText, panicMsg)
			}
			if tt.delayMS != "0" {
				if n := strings.Count(stderr, "Error: Provider berth-test/test crashed"); n < 2 {
					t.Errorf("the crash was reported %d times: the other calls were not in flight, the test proves nothing", n)
				}
			}
		})
	}
}

// runEnv runs berth with extra environment variables.
func (e *e2e) runEnv(env []string, args ...string) result {
	e.t.Helper()
	cmd := e.command("", args...)
	cmd.Env = append(cmd.Env, env...)
	return e.runCmd(cmd, args)
}
