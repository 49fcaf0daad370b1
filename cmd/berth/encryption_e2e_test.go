package main

// End-to-end tests of state and plan encryption: nothing berth stores
// (the state, its backup, the intent journal, an errored state, a saved
// plan) holds a secret or the name of a sensitive attribute; rotation,
// a wrong passphrase, and migration to and from plaintext.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statemgr"
)

// encVars are the variables of the encryption tests: the secret the
// objects hold, and the passphrases (given in enc.auto.vars.hcl).
const encVars = `
variable "token" {
  type      = string
  sensitive = true
  default   = "` + e2eToken + `"
}

variable "pass_a" {
  type      = string
  sensitive = true
}

variable "pass_b" {
  type      = string
  sensitive = true
  default   = "unused-passphrase-b-000"
}
`

// encObjects are objects with a secret in their sensitive attribute
// "secret"; version changes their value, for an apply that changes them.
func encObjects(version string) string {
	return encVars + `
resource "test_object" "o" {
  count  = 2
  name   = "o${count.index}"
  value  = "` + version + `"
  secret = var.token
}
`
}

// The encryption blocks of the tests. The iteration count is the least
// allowed, to keep the tests quick.
const (
	keyA = `    key_provider "pbkdf2" "a" {
      passphrase = var.pass_a
      iterations = 200000
    }
    method "aes_gcm" "a" { keys = key_provider.pbkdf2.a }
`
	keyB = `    key_provider "pbkdf2" "b" {
      passphrase = var.pass_b
      iterations = 200000
    }
    method "aes_gcm" "b" { keys = key_provider.pbkdf2.b }
`
	encA = "  encryption {\n" + keyA + `    state { method = method.aes_gcm.a }
    plan { method = method.aes_gcm.a }
  }
`
	// encBA: b new, a the fallback (rotation).
	encBA = "  encryption {\n" + keyA + keyB + `    state {
      method = method.aes_gcm.b
      fallback { method = method.aes_gcm.a }
    }
    plan { method = method.aes_gcm.b }
  }
`
	encB = "  encryption {\n" + keyB + `    state { method = method.aes_gcm.b }
  }
`
	passA = "pass_a = \"the passphrase of key a, 1\"\n"
)

// writeEncrypted writes the configuration with extra in its berth block
// (an encryption block, a backend block) and the passphrases in
// enc.auto.vars.hcl.
func (e *e2e) writeEncrypted(extra, config, vars string) {
	e.t.Helper()
	src := strings.Replace(e2eHeader, "berth {\n", "berth {\n"+extra, 1) + config
	if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "enc.auto.vars.hcl"), []byte(vars), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// readFile returns the bytes of a file of the working directory.
func (e *e2e) readFile(name string) []byte {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	return data
}

// noLeak fails the test when data holds the secret, the name of the
// sensitive attribute, or is not encrypted.
func noLeak(t *testing.T, what string, data []byte) {
	t.Helper()
	for _, s := range []string{e2eToken, `"secret"`, "sensitive_paths", "test_object"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("%s holds %q:\n%s", what, s, data)
		}
	}
	if !encryption.IsEncrypted(data) {
		t.Errorf("%s is not encrypted:\n%s", what, data)
	}
}

// TestE2EEncryptionNothingInClear: the state, its backup, the journal an
// interrupted apply leaves, a saved plan: all encrypted, with no secret
// and no sensitive attribute's name in them; berth itself reads them.
func TestE2EEncryptionNothingInClear(t *testing.T) {
	e := newE2E(t, "")
	e.writeEncrypted(encA, encObjects("v1"), passA)
	e.ok("apply", "-auto-approve")
	noLeak(t, "the state", e.readFile("berth.state"))

	e.writeEncrypted(encA, encObjects("v2"), passA)
	e.ok("apply", "-auto-approve")
	noLeak(t, "the state", e.readFile("berth.state"))
	noLeak(t, "the backup", e.readFile("berth.state.backup"))

	// state pull prints the plaintext; state list reads it.
	pulled := e.ok("state", "pull").stdout
	mustContain(t, "state pull", pulled, e2eToken, `"lineage"`)
	mustContain(t, "state list", e.ok("state", "list").stdout, "test_object.o[0]", "test_object.o[1]")

	// A saved plan.
	e.writeEncrypted(encA, encObjects("v3"), passA)
	e.ok("plan", "-out=p.plan")
	noLeak(t, "the saved plan", e.readFile("p.plan"))
	mustContain(t, "show of the saved plan", e.ok("show", "p.plan").stdout, "test_object.o[0] will be updated in place", `~ value = "v2" -> "v3"`)
	e.ok("apply", "p.plan")

	// The journal an interrupted apply leaves: a create whose provider
	// crashes stays in it, with its planned secret.
	e.writeEncrypted(encA, encObjects("v3")+`
resource "test_object" "crash" {
  name   = "crash"
  secret = var.token
}
`, passA)
	r := e.run("apply", "-auto-approve", "-var", "panic_on=crash")
	if r.code != 1 {
		t.Fatalf("apply with a crashing provider: %s", r)
	}
	journal := e.readFile("berth.state.journal")
	if n := bytes.Count(journal, []byte("\n")); n != 1 {
		t.Fatalf("the journal has %d lines, want 1 (the crashed create):\n%s", n, journal)
	}
	noLeak(t, "the journal", journal)
	// The next run reads the journal and recovers the object.
	r = e.ok("apply", "-auto-approve")
	mustContain(t, "recovery", r.stdout, "Recovered from an interrupted apply", "test_object.crash: created")
	noLeak(t, "the state", e.readFile("berth.state"))
	e.expect(0, "plan", "-detailed-exitcode")
}

// TestE2EEncryptionErroredState: the state an apply could not store (its
// directory gone mid-apply) is written to errored.berth.state encrypted,
// and state push puts it back.
func TestE2EEncryptionErroredState(t *testing.T) {
	e := newE2E(t, "")
	backend := "  backend \"local\" { path = \"st/berth.state\" }\n"
	e.stateAt = filepath.Join(e.dir, "st", "berth.state")
	objects := encVars + `
resource "test_object" "o" {
  count  = 6
  name   = "o${count.index}"
  secret = var.token
}
`
	e.writeEncrypted(backend+encA, objects, passA)
	e.ok("init") // the backend changed since newE2E's init
	st := filepath.Join(e.dir, "st")
	if err := os.Mkdir(st, 0o755); err != nil {
		t.Fatal(err)
	}
	b := e.start("apply", "-auto-approve", "-parallelism=1", "-var", "delay_ms=300")
	moved := false
	for l := range b.lines {
		if !moved && strings.Contains(l, "Creation complete") {
			// The state's directory becomes a file: every later write of
			// the state fails.
			if err := os.Rename(st, st+".moved"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(st, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			moved = true
		}
	}
	if code := b.wait(); !moved || code != 1 {
		t.Fatalf("moved=%v, apply: exit %d\n%s\n%s", moved, code, &b.out, &b.errb)
	}
	mustContain(t, "apply", b.errb.String(), statemgr.ErroredStateFile)
	errored := e.readFile(statemgr.ErroredStateFile)
	noLeak(t, "the errored state", errored)

	if err := os.Remove(st); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(st+".moved", st); err != nil {
		t.Fatal(err)
	}
	e.ok("state", "push", statemgr.ErroredStateFile)
	if err := os.Remove(filepath.Join(e.dir, statemgr.ErroredStateFile)); err != nil {
		t.Fatal(err)
	}
	noLeak(t, "the state pushed", e.readFile("st/berth.state"))
	// The state records every object made: the apply finishes them.
	e.ok("apply", "-auto-approve")
	if n := len(e.store().Objects); n != 6 {
		t.Errorf("%d objects in the store, want 6 (none made twice)", n)
	}
	e.expect(0, "plan", "-detailed-exitcode")
}

// TestE2EEncryptionRotation: with a new primary key and the old one as
// the fallback, an apply that changes nothing writes the state again
// with the new key; the old key alone then reads neither it nor its
// backup, and state rekey rewrites it at once.
func TestE2EEncryptionRotation(t *testing.T) {
	e := newE2E(t, "")
	e.writeEncrypted(encA, encObjects("v1"), passA)
	e.ok("apply", "-auto-approve")
	before := e.readFile("berth.state")

	vars := passA + "pass_b = \"the passphrase of key b, 2\"\n"
	e.writeEncrypted(encBA, encObjects("v1"), vars)
	r := e.ok("apply", "-auto-approve")
	mustContain(t, "no-op apply", r.stdout, "0 added, 0 changed, 0 destroyed")
	after := e.readFile("berth.state")
	if bytes.Equal(before, after) {
		t.Fatal("a no-op apply with a new key did not write the state again")
	}
	noLeak(t, "the rotated state", after)
	mustContain(t, "the rotated state", string(after), `"method_name":"b"`)

	// The new key alone reads it (pass_a is not even given).
	e.writeEncrypted(encB, encObjects("v1"), "pass_a = \"whatever it is now, 123\"\n"+vars[len(passA):])
	e.ok("state", "list")
	e.expect(0, "plan", "-detailed-exitcode")
	// The old key alone does not, nor the backup.
	e.writeEncrypted(encA, encObjects("v1"), passA)
	r = e.expect(1, "state", "list")
	mustContain(t, "state list with the old key", r.stderr, "no configured method")
	r = e.expect(1, "state", "list", "-state=berth.state.backup")
	mustContain(t, "the backup with the old key", r.stderr, "no configured method")

	// Rekey back to a: with a as the primary and b as the fallback.
	e.writeEncrypted("  encryption {\n"+keyA+keyB+`    state {
      method = method.aes_gcm.a
      fallback { method = method.aes_gcm.b }
    }
  }
`, encObjects("v1"), vars)
	r = e.ok("state", "rekey")
	mustContain(t, "state rekey", r.stdout, "encrypted with method.aes_gcm.a")
	e.writeEncrypted(encA, encObjects("v1"), passA)
	e.ok("state", "list")
	e.expect(0, "plan", "-detailed-exitcode")
}

// TestE2EEncryptionWrongKey: a wrong passphrase is refused with the
// state's location and what is missing, and the state is left as it was.
func TestE2EEncryptionWrongKey(t *testing.T) {
	e := newE2E(t, "")
	e.writeEncrypted(encA, encObjects("v1"), passA)
	e.ok("apply", "-auto-approve")
	before := e.readFile("berth.state")

	e.writeEncrypted(encA, encObjects("v2"), "pass_a = \"not the passphrase it was made with\"\n")
	for _, args := range [][]string{{"apply", "-auto-approve"}, {"plan"}, {"state", "list"}, {"state", "rm", "test_object.o[0]"}} {
		r := e.expect(1, args...)
		text := strings.Join(strings.Fields(r.stderr), " ")
		mustContain(t, strings.Join(args, " "), text, "the state file berth.state cannot be used", `it is encrypted (method aes_gcm "a", key provider pbkdf2 "a")`, "wrong key")
	}
	// No encryption configured at all.
	e.write(encObjects("v2"))
	r := e.expect(1, "apply", "-auto-approve")
	mustContain(t, "without encryption", strings.Join(strings.Fields(r.stderr), " "), "the configuration sets no encryption for it")
	if !bytes.Equal(before, e.readFile("berth.state")) {
		t.Fatal("the state was changed")
	}
	if n := len(e.store().Objects); n != 2 {
		t.Errorf("%d objects in the store, want the 2 of the first apply", n)
	}
}

// TestE2EEncryptionMigration: plaintext to encrypted (the unencrypted
// method as a fallback) and back (the unencrypted method primary), each
// by an apply that changes nothing; a plaintext state where encryption
// is required without that fallback is refused.
func TestE2EEncryptionMigration(t *testing.T) {
	e := newE2E(t, encObjects("v1"))
	if err := os.WriteFile(filepath.Join(e.dir, "enc.auto.vars.hcl"), []byte(passA), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("apply", "-auto-approve")
	plain := e.readFile("berth.state")
	if encryption.IsEncrypted(plain) {
		t.Fatal("the state is encrypted without encryption configured")
	}

	// Encryption without the unencrypted fallback: refused.
	e.writeEncrypted("  encryption {\n"+keyA+`    state {
      method   = method.aes_gcm.a
      enforced = true
    }
  }
`, encObjects("v1"), passA)
	r := e.expect(1, "plan")
	mustContain(t, "plaintext refused", strings.Join(strings.Fields(r.stderr), " "), "it is not encrypted", "(enforced)", `method "unencrypted"`)
	if !bytes.Equal(plain, e.readFile("berth.state")) {
		t.Fatal("the refused state was changed")
	}

	plainMethod := "    method \"unencrypted\" \"plain\" {}\n"
	e.writeEncrypted("  encryption {\n"+keyA+plainMethod+`    state {
      method   = method.aes_gcm.a
      fallback { method = method.unencrypted.plain }
      enforced = true
    }
  }
`, encObjects("v1"), passA)
	e.ok("apply", "-auto-approve")
	noLeak(t, "the migrated state", e.readFile("berth.state"))
	noLeak(t, "its backup", e.readFile("berth.state.backup"))

	e.writeEncrypted("  encryption {\n"+keyA+plainMethod+`    state {
      method = method.unencrypted.plain
      fallback { method = method.aes_gcm.a }
    }
  }
`, encObjects("v1"), passA)
	e.ok("apply", "-auto-approve")
	if data := e.readFile("berth.state"); encryption.IsEncrypted(data) || !bytes.Contains(data, []byte(e2eToken)) {
		t.Fatalf("the state is not back in plaintext:\n%s", data)
	}
	e.write(encObjects("v1"))
	e.expect(0, "plan", "-detailed-exitcode")
}

// TestE2EEncryptionFromEnvironment: BERTH_ENCRYPTION configures it all,
// for CI to inject; without it the state cannot be read.
func TestE2EEncryptionFromEnvironment(t *testing.T) {
	e := newE2E(t, encObjects("v1"))
	if err := os.WriteFile(filepath.Join(e.dir, "enc.auto.vars.hcl"), []byte(passA), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{`BERTH_ENCRYPTION=
key_provider "pbkdf2" "ci" {
  passphrase = var.pass_a
  iterations = 200000
}
method "aes_gcm" "ci" { keys = key_provider.pbkdf2.ci }
state { method = method.aes_gcm.ci }
plan { method = method.aes_gcm.ci }
`}
	if r := e.runEnv(env, "apply", "-auto-approve"); r.code != 0 {
		t.Fatal(r)
	}
	noLeak(t, "the state", e.readFile("berth.state"))
	if r := e.runEnv(env, "plan", "-out=p.plan"); r.code != 0 {
		t.Fatal(r)
	}
	noLeak(t, "the saved plan", e.readFile("p.plan"))
	r := e.expect(1, "state", "list")
	mustContain(t, "without BERTH_ENCRYPTION", strings.Join(strings.Fields(r.stderr), " "), "BERTH_ENCRYPTION")
	r = e.expect(1, "show", "p.plan")
	mustContain(t, "a saved plan without BERTH_ENCRYPTION", strings.Join(strings.Fields(r.stderr), " "), "it is encrypted")
	if r := e.runEnv(env, "state", "pull"); r.code != 0 || !strings.Contains(r.stdout, e2eToken) {
		t.Fatalf("state pull with BERTH_ENCRYPTION: %s", r)
	}
}
