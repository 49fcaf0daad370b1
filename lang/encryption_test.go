package lang

import (
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/state/encryption"
)

// encryptionVars declares the variables the encryption tests use, on the
// six lines before each test's berth block: berth { on line 7,
// encryption { on line 8.
const encryptionVars = `variable "pass" {
  type      = string
  sensitive = true
}
variable "plain_pass" { type = string }
variable "unused" { sensitive = true }
`

// evalEncryption loads src (after encryptionVars) and evaluates its
// encryption with environ.
func evalEncryption(t *testing.T, src string, environ ...string) (*encryption.Config, hcl.Diagnostics) {
	t.Helper()
	cfg, diags := LoadDir(writeDir(t, map[string]string{"main.berth.hcl": encryptionVars + src}))
	if diags.HasErrors() {
		return nil, diags
	}
	enc, d := EncryptionConfig(cfg, nil, environ)
	return enc, append(diags, d...)
}

const passEnv = "BERTH_VAR_pass=correct horse battery staple"

func TestEncryptionDiagnostics(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		env     []string
		summary string // of the first error
		detail  string // a part of its detail
		line    int    // of its subject; 0: not checked
	}{
		{name: "unknown key provider type", src: `berth {
encryption {
  key_provider "pbkdf3" "k" {}
}
}`, summary: "Unknown key provider type", detail: `Did you mean "pbkdf2"?`, line: 9},
		{name: "unknown method type", src: `berth {
encryption {
  method "aes-gcm" "m" {}
}
}`, summary: "Unknown encryption method type", detail: `Did you mean "aes_gcm"?`, line: 9},
		{name: "unknown key provider", src: `berth {
encryption {
  key_provider "pbkdf2" "main" { passphrase = var.pass }
  method "aes_gcm" "m" { keys = key_provider.pbkdf2.mian }
  state { method = method.aes_gcm.m }
}
}`, env: []string{passEnv}, summary: "Reference to an undeclared key provider", detail: `Did you mean "pbkdf2.main"?`, line: 10},
		{name: "unknown method", src: `berth {
encryption {
  key_provider "pbkdf2" "main" { passphrase = var.pass }
  method "aes_gcm" "m" { keys = key_provider.pbkdf2.main }
  state {
    method = method.aes_gcm.m
    fallback { method = method.aes_gcm.old }
  }
}
}`, env: []string{passEnv}, summary: "Reference to an undeclared method", detail: `No method "aes_gcm" "old"`, line: 13},
		{name: "a method where a key provider goes", src: `berth {
encryption {
  method "aes_gcm" "m" { keys = method.aes_gcm.m }
}
}`, summary: "Invalid reference", detail: "key_provider.TYPE.NAME", line: 9},
		{name: "a string for a reference", src: `berth {
encryption {
  method "unencrypted" "p" {}
  state { method = "method.unencrypted.p" }
}
}`, summary: "Invalid reference", line: 10},
		{name: "enforced plaintext", src: `berth {
encryption {
  method "unencrypted" "p" {}
  state {
    method   = method.unencrypted.p
    enforced = true
  }
}
}`, summary: "Unencrypted method with enforced encryption", line: 11},
		{name: "a reference to something other than a variable", src: `berth {
encryption {
  key_provider "pbkdf2" "k" { passphrase = local.p }
  method "aes_gcm" "m" { keys = key_provider.pbkdf2.k }
  state { method = method.aes_gcm.m }
}
}`, summary: "Invalid reference in a key provider", detail: "not to local.p", line: 9},
		{name: "a passphrase from a variable that is not sensitive", src: `berth {
encryption {
  key_provider "pbkdf2" "k" { passphrase = var.plain_pass }
  method "aes_gcm" "m" { keys = key_provider.pbkdf2.k }
  state { method = method.aes_gcm.m }
}
}`, summary: "Key material from a variable that is not sensitive", detail: "declare it with sensitive = true", line: 9},
		{name: "an unknown attribute", src: `berth {
encryption {
  key_provider "pbkdf2" "k" {
    passphrase = var.pass
    passphrse  = var.pass
  }
}
}`, summary: "Unsupported argument", detail: `"passphrse"`, line: 11},
		{name: "no passphrase given", src: `berth {
encryption {
  key_provider "pbkdf2" "k" { passphrase = var.pass }
  method "aes_gcm" "m" { keys = key_provider.pbkdf2.k }
  state { method = method.aes_gcm.m }
}
}`, summary: "No value for required variable", detail: `"pass"`},
		{name: "a short passphrase", src: `berth {
encryption {
  key_provider "pbkdf2" "k" { passphrase = var.pass }
  method "aes_gcm" "m" { keys = key_provider.pbkdf2.k }
  state { method = method.aes_gcm.m }
}
}`, env: []string{"BERTH_VAR_pass=tooshort"}, summary: `Invalid key_provider "pbkdf2" "k"`, detail: "it must have at least 16", line: 9},
		{name: "too few iterations", src: `berth {
encryption {
  key_provider "pbkdf2" "k" {
    passphrase = var.pass
    iterations = 1000
  }
  method "aes_gcm" "m" { keys = key_provider.pbkdf2.k }
  state { method = method.aes_gcm.m }
}
}`, env: []string{passEnv}, summary: `Invalid value for "iterations"`, line: 11},
		{name: "an age secret key as a recipient", src: `berth {
encryption {
  key_provider "age" "a" { recipients = ["AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"] }
  method "aes_gcm" "m" { keys = key_provider.age.a }
  plan { method = method.aes_gcm.m }
}
}`, summary: `Invalid key_provider "age" "a"`, detail: "is a secret key, not a recipient", line: 9},
		{name: "two state blocks", src: `berth {
encryption {
  method "unencrypted" "p" {}
  state { method = method.unencrypted.p }
  state { method = method.unencrypted.p }
}
}`, summary: `Duplicate state block`, line: 11},
		{name: "a bad BERTH_ENCRYPTION", src: ``, env: []string{`BERTH_ENCRYPTION=state { method = method.aes_gcm.nope }`},
			summary: "Reference to an undeclared method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := evalEncryption(t, tt.src, tt.env...)
			var first *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					first = d
					break
				}
			}
			if first == nil {
				t.Fatalf("no error; diagnostics: %v", diags)
			}
			if first.Summary != tt.summary || !strings.Contains(first.Detail, tt.detail) {
				t.Fatalf("first error %q: %q; want %q with %q", first.Summary, first.Detail, tt.summary, tt.detail)
			}
			if tt.line != 0 && (first.Subject == nil || first.Subject.Start.Line != tt.line) {
				t.Errorf("subject %v, want line %d", first.Subject, tt.line)
			}
			if strings.Contains(diags.Error(), "tooshort") {
				t.Errorf("a diagnostic shows the passphrase: %v", diags)
			}
		})
	}
}

func TestEncryptionConfig(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	tests := []struct {
		name string
		src  string
		env  []string
		// want: the state's and the plan's methods, primary first; nil
		// for no target.
		wantState, wantPlan []string
	}{
		{name: "no encryption", src: ``},
		{name: "the whole block", src: `berth {
encryption {
  key_provider "pbkdf2" "main" { passphrase = var.pass }
  key_provider "age" "ops" {
    recipients    = ["` + id.Recipient().String() + `"]
    identity_file = "~/.config/berth/age.key"
  }
  key_provider "pbkdf2" "elsewhere" { passphrase = var.unused } # not used: not evaluated
  method "aes_gcm" "new" { keys = key_provider.pbkdf2.main }
  method "aes_gcm" "ops" { keys = key_provider.age.ops }
  method "aes_gcm" "other" { keys = key_provider.pbkdf2.elsewhere }
  method "unencrypted" "plain" {}
  state {
    method = method.aes_gcm.new
    fallback { method = method.aes_gcm.ops }
    fallback { method = method.unencrypted.plain }
    enforced = true
  }
  plan { method = method.aes_gcm.ops }
}
}`, env: []string{passEnv},
			wantState: []string{"method.aes_gcm.new", "method.aes_gcm.ops", "method.unencrypted.plain"}, wantPlan: []string{"method.aes_gcm.ops"}},
		{name: "all from BERTH_ENCRYPTION, with a variable", src: ``, env: []string{passEnv, `BERTH_ENCRYPTION=
key_provider "pbkdf2" "ci" { passphrase = var.pass }
method "aes_gcm" "ci" { keys = key_provider.pbkdf2.ci }
state { method = method.aes_gcm.ci }
plan { method = method.aes_gcm.ci }`},
			wantState: []string{"method.aes_gcm.ci"}, wantPlan: []string{"method.aes_gcm.ci"}},
		{name: "BERTH_ENCRYPTION replaces a key provider and the state block", src: `berth {
encryption {
  key_provider "pbkdf2" "main" { passphrase = var.unused }
  method "aes_gcm" "m" { keys = key_provider.pbkdf2.main }
  method "unencrypted" "plain" {}
  state { method = method.unencrypted.plain }
  plan { method = method.aes_gcm.m }
}
}`, env: []string{`BERTH_ENCRYPTION=key_provider "pbkdf2" "main" { passphrase = "a passphrase from CI secrets" }
state {
  method = method.aes_gcm.m
  fallback { method = method.unencrypted.plain }
}`},
			wantState: []string{"method.aes_gcm.m", "method.unencrypted.plain"}, wantPlan: []string{"method.aes_gcm.m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, diags := evalEncryption(t, tt.src, tt.env...)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			for _, c := range []struct {
				what string
				tg   *encryption.Target
				want []string
			}{{"state", enc.StateTarget(), tt.wantState}, {"plan", enc.PlanTarget(), tt.wantPlan}} {
				if got := targetMethods(c.tg); strings.Join(got, " ") != strings.Join(c.want, " ") {
					t.Errorf("%s: methods %v, want %v", c.what, got, c.want)
				}
			}
		})
	}
}

// targetMethods lists the addresses of a target's methods, primary
// first.
func targetMethods(tg *encryption.Target) []string {
	var out []string
	for _, m := range tg.Methods() {
		out = append(out, m.Addr().String())
	}
	return out
}
