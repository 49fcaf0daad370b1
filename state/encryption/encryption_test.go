package encryption

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

const (
	passOld   = "correct horse battery staple"
	passNew   = "a new passphrase, rotated in"
	passWrong = "not the passphrase it was made with"
)

// keys are the key providers of the tests, made once: each derivation
// costs a good part of a second.
type keys struct {
	old, new, wrong, oldMoreIter *PBKDF2
	// ageBoth wraps for ops and glass and decrypts with ops;
	// ageGlass wraps for the same and decrypts with glass (break-glass);
	// ageNoID has no identity; ageOps wraps for ops only.
	ageBoth, ageGlass, ageNoID, ageOps *Age
}

func newKeys(t *testing.T) *keys {
	t.Helper()
	pb := func(name, pass string, iter int) *PBKDF2 {
		p, err := NewPBKDF2(PBKDF2Config{Name: name, Passphrase: pass, Iterations: iter})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ops, _ := age.GenerateX25519Identity()
	glass, _ := age.GenerateX25519Identity()
	glassFile := filepath.Join(t.TempDir(), "glass.key")
	if err := os.WriteFile(glassFile, []byte("# break glass\n"+glass.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ag := func(c AgeConfig) *Age {
		a, err := NewAge(c)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	both := []string{ops.Recipient().String(), glass.Recipient().String()}
	return &keys{
		old: pb("old", passOld, MinIterations), new: pb("new", passNew, MinIterations),
		wrong: pb("old", passWrong, MinIterations), oldMoreIter: pb("old", passOld, MinIterations+1),
		ageBoth:  ag(AgeConfig{Name: "ops", Recipients: both, Identity: ops.String()}),
		ageGlass: ag(AgeConfig{Name: "ops", Recipients: both, IdentityFile: glassFile}),
		ageNoID:  ag(AgeConfig{Name: "ops", Recipients: both}),
		ageOps:   ag(AgeConfig{Name: "ops", Recipients: both[:1], Identity: ops.String()}),
	}
}

func target(t *testing.T, primary Method, fallbacks ...Method) *Target {
	t.Helper()
	tg, err := NewTarget(primary, fallbacks, false)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

const plainState = `{"format_version": 1, "serial": 3, "lineage": "l-1", "resources": [{"attributes": {"password": "hunter2-s3cret"}}]}`

var stateHeader = Header{Kind: KindState, FormatVersion: 1, Serial: 3, Lineage: "l-1"}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	gcm := func(name string, kp KeyProvider) *AESGCM { return NewAESGCM(name, kp) }
	plain := Unencrypted{Name: "plain"}

	tests := []struct {
		name string
		// write stores the file (nil: plainState as it is); read reads it.
		write, read *Target
		kind        string // the kind read as; KindState when ""
		alter       func([]byte) []byte
		wantCurrent bool
		wantBy      string
		wantErr     string // a part of the error; "" for none
	}{
		{name: "pbkdf2", write: target(t, gcm("new", k.old)), read: target(t, gcm("new", k.old)),
			wantCurrent: true, wantBy: "method.aes_gcm.new"},
		{name: "age, the first recipient's identity", write: target(t, gcm("a", k.ageBoth)), read: target(t, gcm("a", k.ageBoth)),
			wantCurrent: true, wantBy: "method.aes_gcm.a"},
		{name: "age, break-glass: the second recipient's identity, from a file", write: target(t, gcm("a", k.ageBoth)), read: target(t, gcm("a", k.ageGlass)),
			wantCurrent: true, wantBy: "method.aes_gcm.a"},
		{name: "age without an identity", write: target(t, gcm("a", k.ageBoth)), read: target(t, gcm("a", k.ageNoID)),
			wantErr: "key_provider.age.ops: it has no identity to decrypt with"},
		{name: "age, recipients changed since: read, to be written again", write: target(t, gcm("a", k.ageBoth)), read: target(t, gcm("a", k.ageOps)),
			wantCurrent: false, wantBy: "method.aes_gcm.a"},
		{name: "rotation: read with the fallback, to be written again", write: target(t, gcm("old", k.old)), read: target(t, gcm("new", k.new), gcm("old", k.old)),
			wantCurrent: false, wantBy: "method.aes_gcm.old"},
		{name: "rotation done: the primary reads it", write: target(t, gcm("new", k.new)), read: target(t, gcm("new", k.new), gcm("old", k.old)),
			wantCurrent: true, wantBy: "method.aes_gcm.new"},
		{name: "iterations raised: read, to be written again", write: target(t, gcm("m", k.old)), read: target(t, gcm("m", k.oldMoreIter)),
			wantCurrent: false, wantBy: "method.aes_gcm.m"},
		{name: "a renamed method and key provider keep their keys", write: target(t, gcm("old", k.old)), read: target(t, gcm("renamed", k.old)),
			wantCurrent: true, wantBy: "method.aes_gcm.renamed"},
		{name: "wrong passphrase", write: target(t, gcm("m", k.old)), read: target(t, gcm("m", k.wrong)),
			wantErr: `it is encrypted (method aes_gcm "m", key provider pbkdf2 "old"), and no configured method can decrypt it: method.aes_gcm.m with key_provider.pbkdf2.old: wrong key`},
		{name: "old key alone after rotation", write: target(t, gcm("new", k.new)), read: target(t, gcm("old", k.old)),
			wantErr: "wrong key"},
		{name: "no key provider of its type", write: target(t, gcm("m", k.old)), read: target(t, gcm("m", k.ageBoth)),
			wantErr: "no configured method is a aes_gcm method with a pbkdf2 key provider"},
		{name: "no encryption configured", write: target(t, gcm("m", k.old)), read: nil,
			wantErr: "the configuration sets no encryption for it"},
		{name: "tampered ciphertext", write: target(t, gcm("m", k.old)), read: target(t, gcm("m", k.old)),
			alter: func(b []byte) []byte { return flipCiphertext(t, b) }, wantErr: "or the file was altered"},
		{name: "tampered serial", write: target(t, gcm("m", k.old)), read: target(t, gcm("m", k.old)),
			alter: func(b []byte) []byte { return bytes.Replace(b, []byte(`"serial":3`), []byte(`"serial":4`), 1) }, wantErr: "or the file was altered"},
		{name: "a state's ciphertext read as a plan", write: target(t, gcm("m", k.old)), read: target(t, gcm("m", k.old)), kind: KindPlan,
			wantErr: "or the file was altered"},
		{name: "plaintext, no encryption configured", write: nil, read: nil, wantCurrent: true},
		{name: "plaintext refused by an encrypting target", write: nil, read: target(t, gcm("m", k.old)),
			wantErr: `it is not encrypted, and the configuration encrypts it with method.aes_gcm.m; to encrypt a plaintext file, declare method "unencrypted"`},
		{name: "migration to encryption: plaintext read through the unencrypted fallback", write: nil, read: target(t, gcm("m", k.old), plain),
			wantCurrent: false, wantBy: "method.unencrypted.plain"},
		{name: "migration to plaintext: read with the fallback, to be written in plaintext", write: target(t, gcm("m", k.old)), read: target(t, plain, gcm("m", k.old)),
			wantCurrent: false, wantBy: "method.aes_gcm.m"},
		{name: "migration to plaintext done", write: target(t, plain), read: target(t, plain, gcm("m", k.old)),
			wantCurrent: true, wantBy: "method.unencrypted.plain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.write.Seal(ctx, []byte(plainState), stateHeader)
			if err != nil {
				t.Fatal(err)
			}
			if _, enc := tc.write.Primary().(*AESGCM); enc {
				for _, leak := range []string{"hunter2-s3cret", "password", "resources"} {
					if bytes.Contains(data, []byte(leak)) {
						t.Fatalf("the encrypted file holds %q:\n%s", leak, data)
					}
				}
				if !IsEncrypted(data) {
					t.Fatalf("IsEncrypted is false for\n%s", data)
				}
			} else if !bytes.Equal(data, []byte(plainState)) {
				t.Fatalf("plaintext written as\n%s", data)
			}
			if tc.alter != nil {
				data = tc.alter(data)
			}
			kind := tc.kind
			if kind == "" {
				kind = KindState
			}
			got, err := tc.read.Open(ctx, data, kind)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Plain) != plainState || got.Current != tc.wantCurrent || got.By.String() != tc.wantBy && tc.wantBy != "" {
				t.Fatalf("got plain %q current %v by %s; want current %v by %s", got.Plain, got.Current, got.By, tc.wantCurrent, tc.wantBy)
			}
		})
	}
}

// flipCiphertext changes one bit of an envelope's ciphertext.
func flipCiphertext(t *testing.T, data []byte) []byte {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	var ct []byte
	if err := json.Unmarshal(env["encrypted_data"], &ct); err != nil {
		t.Fatal(err)
	}
	ct[len(ct)/2] ^= 1
	env["encrypted_data"], _ = json.Marshal(ct)
	out, _ := json.Marshal(env)
	return out
}

func TestEnforced(t *testing.T) {
	if _, err := NewTarget(Unencrypted{Name: "p"}, nil, true); err == nil || !strings.Contains(err.Error(), "enforced = true refuses that") {
		t.Fatalf("an enforced target writing plaintext: %v", err)
	}
	k := newKeys(t)
	tg, err := NewTarget(NewAESGCM("m", k.old), []Method{Unencrypted{Name: "p"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	// Enforced still reads plaintext through the fallback, to migrate.
	if _, err := tg.Open(context.Background(), []byte(plainState), KindState); err != nil {
		t.Fatal(err)
	}
	tg, _ = NewTarget(NewAESGCM("m", k.old), nil, true)
	var pe *PlaintextError
	if _, err := tg.Open(context.Background(), []byte(plainState), KindState); !errors.As(err, &pe) || !strings.Contains(err.Error(), "(enforced)") {
		t.Fatalf("plaintext with enforced and no unencrypted fallback: %v", err)
	}
}

func TestNewPBKDF2Refuses(t *testing.T) {
	for _, c := range []PBKDF2Config{
		{Passphrase: "short-secret"},
		{Passphrase: passOld, Iterations: 1000},
	} {
		_, err := NewPBKDF2(c)
		if err == nil {
			t.Errorf("%+v accepted", c)
			continue
		}
		if strings.Contains(err.Error(), c.Passphrase) {
			t.Errorf("the error shows the passphrase: %v", err)
		}
	}
}

func TestNewAgeRefuses(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	for _, c := range []AgeConfig{{}, {Recipients: []string{"age1notakey"}}, {Recipients: []string{id.String()}}} {
		_, err := NewAge(c)
		if err == nil {
			t.Errorf("%+v accepted", c)
			continue
		}
		if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
			t.Errorf("the error shows a secret key: %v", err)
		}
	}
}

func TestIsEncrypted(t *testing.T) {
	for _, tc := range []struct {
		data string
		want bool
	}{
		{`{"format_version":1,"serial":2,"lineage":"x","encryption":{},"encrypted_data":"AA=="}`, true},
		{`{"encryption":{"version":1},"encrypted_data":"AA=="}`, true},
		{plainState, false},
		// "encryption" as a resource's attribute is no envelope.
		{`{"format_version":1,"resources":[{"encryption":{}}]}`, false},
		{`{"format_version":3,"checksum":"sha256:…","encryption":{}}`, false},
		{`not json`, false},
		{``, false},
	} {
		if got := IsEncrypted([]byte(tc.data)); got != tc.want {
			t.Errorf("IsEncrypted(%s) = %v, want %v", tc.data, got, tc.want)
		}
	}
}
