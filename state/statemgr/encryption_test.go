package statemgr

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statetest"
	"github.com/zclconf/go-cty/cty"
)

// The key providers of the tests, made once: a derivation costs a good
// part of a second.
var (
	testKeysOnce sync.Once
	testKeys     struct{ old, new, wrong *encryption.PBKDF2 }
)

func keyProviders(t *testing.T) (old, new, wrong *encryption.PBKDF2) {
	t.Helper()
	testKeysOnce.Do(func() {
		mk := func(name, pass string) *encryption.PBKDF2 {
			p, err := encryption.NewPBKDF2(encryption.PBKDF2Config{Name: name, Passphrase: pass, Iterations: encryption.MinIterations})
			if err != nil {
				panic(err)
			}
			return p
		}
		testKeys.old = mk("old", "the old passphrase, rotated out")
		testKeys.new = mk("new", "the new passphrase, rotated in")
		testKeys.wrong = mk("old", "someone else's passphrase entirely")
	})
	return testKeys.old, testKeys.new, testKeys.wrong
}

// encTarget makes a target: primary first, then the fallbacks.
func encTarget(t *testing.T, methods ...encryption.Method) *encryption.Target {
	t.Helper()
	tg, err := encryption.NewTarget(methods[0], methods[1:], false)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// secretState is a state with a sensitive attribute whose name and value
// must appear nowhere in what is stored encrypted.
func secretState(t *testing.T) *state.State {
	t.Helper()
	s := state.New()
	s.SetInstance(statetest.Instance(t, "test_object.db"), "test", &state.Object{Value: cty.ObjectVal(map[string]cty.Value{
		"id":                 cty.StringVal("db-1"),
		"admin_password_xyz": cty.StringVal("s3cr3t-value-42").Mark(state.SensitiveMark),
	})})
	return s
}

var leaks = []string{"s3cr3t-value-42", "admin_password_xyz", "sensitive_paths"}

func checkNoLeak(t *testing.T, what string, data []byte) {
	t.Helper()
	for _, l := range leaks {
		if bytes.Contains(data, []byte(l)) {
			t.Errorf("%s holds %q:\n%s", what, l, data)
		}
	}
	if !encryption.IsEncrypted(data) {
		t.Errorf("%s is not encrypted:\n%s", what, data)
	}
}

// opens checks that data, stored state bytes, opens with tg, and whether
// it is current there.
func opens(t *testing.T, what string, tg *encryption.Target, data []byte, wantCurrent bool) {
	t.Helper()
	o, err := tg.Open(context.Background(), data, encryption.KindState)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if o.Current != wantCurrent {
		t.Errorf("%s: current %v, want %v", what, o.Current, wantCurrent)
	}
}

// Everything the manager stores is encrypted: the state (whose header
// stays readable), its backup, the journal, the errored state.
func TestEncryptedNothingInClear(t *testing.T) {
	ctx := context.Background()
	old, _, _ := keyProviders(t)
	tg := encTarget(t, encryption.NewAESGCM("m", old))
	b := &backupBackend{}
	s := secretState(t)
	if err := New(b, WithEncryption(tg)).Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, "the state", b.data)
	h, err := statefile.DecodeHeader(b.data)
	if err != nil || h.Lineage != s.Lineage || h.Serial != 1 {
		t.Fatalf("header %+v, %v; want lineage %s serial 1", h, err, s.Lineage)
	}
	if _, err := statefile.Decode(b.data); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("statefile.Decode of an encrypted state: %v, want a refusal", err)
	}

	// A second run changes it: the backup is the first state, encrypted.
	m := New(b, WithEncryption(tg))
	read, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := read.Instance(statetest.Instance(t, "test_object.db")).Value.UnmarkDeep(); v.GetAttr("admin_password_xyz").AsString() != "s3cr3t-value-42" {
		t.Fatalf("read back %#v", v)
	}
	setID(t, read, "app.other", "2")
	if err := m.Write(ctx, read); err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, "the backup", b.backups[""])
	in := testIntent(t, 1, state.IntentCreate)
	in.Planned = cty.ObjectVal(map[string]cty.Value{"admin_password_xyz": cty.StringVal("s3cr3t-value-42")})
	if err := m.Journal().Record(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := m.Journal().Record(ctx, testIntent(t, 2, state.IntentCreate)); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b.journal, []byte("\n")); n != 2 {
		t.Errorf("the journal has %d lines, want 2:\n%s", n, b.journal)
	}
	for i, line := range bytes.SplitAfter(b.journal, []byte("\n"))[:2] {
		checkNoLeak(t, "journal line "+string(rune('1'+i)), line)
	}
	got, err := m.Journal().Open(ctx)
	if err != nil || len(got) != 2 || got[0].Key != in.Key {
		t.Fatalf("journal read back: %v, %v", got, err)
	}
	// A torn last line (a kill during an append) is still ignored.
	b.journal = append(b.journal, b.journal[:40]...)
	if got, err := m.Journal().Open(ctx); err != nil || len(got) != 2 {
		t.Fatalf("journal with a torn line: %d intents, %v", len(got), err)
	}
	errored, err := m.Encode(ctx, read)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, "the errored state", errored)
}

// Rotation: a state read with a fallback key is written with the primary
// at the next write, even when nothing changed; the old key alone then
// reads neither the state nor its backup.
func TestEncryptedRotation(t *testing.T) {
	ctx := context.Background()
	old, new, _ := keyProviders(t)
	oldM, newM := encryption.NewAESGCM("old", old), encryption.NewAESGCM("new", new)
	b := &backupBackend{}
	s := secretState(t)
	if err := New(b, WithEncryption(encTarget(t, oldM))).Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	rotated := encTarget(t, newM, oldM)
	m := New(b, WithEncryption(rotated))
	read, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	puts := b.putCount()
	if err := m.Write(ctx, read); err != nil {
		t.Fatal(err)
	}
	if b.putCount() != puts+1 || read.Serial != 2 {
		t.Fatalf("an unchanged state read with the fallback: %d puts, serial %d; want it written again, serial 2", b.putCount()-puts, read.Serial)
	}
	opens(t, "the rotated state", encTarget(t, newM), b.data, true)
	opens(t, "its backup", encTarget(t, newM), b.backups[""], true)
	for what, data := range map[string][]byte{"the state": b.data, "the backup": b.backups[""]} {
		if _, err := encTarget(t, oldM).Open(ctx, data, encryption.KindState); err == nil {
			t.Errorf("%s still opens with the old key alone", what)
		}
	}
	// Now current: an unchanged state is not written again.
	if err := m.Write(ctx, read); err != nil || b.putCount() != puts+1 {
		t.Fatalf("unchanged and current: %d puts, %v", b.putCount()-puts, err)
	}
	m2 := New(b, WithEncryption(rotated))
	again, err := m2.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Write(ctx, again); err != nil || b.putCount() != puts+1 {
		t.Fatalf("unchanged and current, a new run: %d puts, %v", b.putCount()-puts, err)
	}
	// A check of the backend (force) writes the very bytes stored.
	stored := bytes.Clone(b.data)
	if err := m2.write(ctx, again, false, true); err != nil || !bytes.Equal(b.data, stored) {
		t.Fatalf("a forced write changed the stored bytes (%v)", err)
	}
}

// A state the configured keys cannot read, or a plaintext state where
// only encrypted ones are read, is refused with a message naming it and
// what is missing, and never written over.
func TestEncryptedRefusals(t *testing.T) {
	ctx := context.Background()
	old, _, wrong := keyProviders(t)
	oldM := encryption.NewAESGCM("m", old)
	encrypted := func(t *testing.T) *backupBackend {
		b := &backupBackend{}
		if err := New(b, WithEncryption(encTarget(t, oldM))).Write(ctx, secretState(t)); err != nil {
			t.Fatal(err)
		}
		return b
	}
	plaintext := func(t *testing.T) *backupBackend {
		b := &backupBackend{}
		if err := New(b).Write(ctx, secretState(t)); err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		stored func(*testing.T) *backupBackend
		keys   *encryption.Target
		want   string
	}{
		{"wrong passphrase", encrypted, encTarget(t, encryption.NewAESGCM("m", wrong)),
			`the state file mem://state cannot be used: it is encrypted (method aes_gcm "m", key provider pbkdf2 "old"), and no configured method can decrypt it: method.aes_gcm.m with key_provider.pbkdf2.old: wrong key`},
		{"no encryption configured", encrypted, nil,
			"the configuration sets no encryption for it"},
		{"plaintext, encryption without the unencrypted fallback", plaintext, encTarget(t, oldM),
			"it is not encrypted, and the configuration encrypts it with method.aes_gcm.m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.stored(t)
			before, puts := bytes.Clone(b.data), b.putCount()
			m := New(b, WithEncryption(tc.keys))
			_, err := m.Read(ctx)
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("read: %v, want a *CorruptError with %q", err, tc.want)
			}
			s := secretState(t)
			s.Lineage = ce.Err.Error() // whatever: the write must not get that far
			if err := New(b, WithEncryption(tc.keys)).Write(ctx, s); err == nil || !strings.Contains(err.Error(), "refusing to overwrite it") {
				t.Fatalf("write over it: %v", err)
			}
			if !bytes.Equal(b.data, before) || b.putCount() != puts || len(b.backups) != 0 {
				t.Fatal("the stored state or its backup was written")
			}
		})
	}
}

// Migration, declared: plaintext to encrypted (the unencrypted method as
// a fallback), then back to plaintext (the unencrypted method primary,
// the encrypting one a fallback), each at a write that changes nothing.
func TestEncryptedMigration(t *testing.T) {
	ctx := context.Background()
	old, _, _ := keyProviders(t)
	gcm, plain := encryption.NewAESGCM("m", old), encryption.Unencrypted{Name: "plain"}
	b := &backupBackend{}
	if err := New(b).Write(ctx, secretState(t)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name          string
		keys          *encryption.Target
		wantEncrypted bool
	}{
		{"plaintext to encrypted", encTarget(t, gcm, plain), true},
		{"encrypted to plaintext", encTarget(t, plain, gcm), false},
	}
	for i, st := range steps {
		m := New(b, WithEncryption(st.keys))
		s, err := m.Read(ctx)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if err := m.Write(ctx, s); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if s.Serial != uint64(i+2) {
			t.Errorf("%s: serial %d, want %d", st.name, s.Serial, i+2)
		}
		for what, data := range map[string][]byte{"state": b.data, "backup": b.backups[""]} {
			if encryption.IsEncrypted(data) != st.wantEncrypted {
				t.Errorf("%s: the %s is encrypted: %v, want %v", st.name, what, !st.wantEncrypted, st.wantEncrypted)
			}
		}
	}
	if s := b.stored(t); len(s.Resources) != 1 {
		t.Errorf("the plaintext state at the end has %d resources", len(s.Resources))
	}
}

// Rekey writes the state again with the primary method now, and the
// journal's intents.
func TestRekey(t *testing.T) {
	ctx := context.Background()
	old, new, _ := keyProviders(t)
	oldM, newM := encryption.NewAESGCM("old", old), encryption.NewAESGCM("new", new)
	b := &backupBackend{}
	m := New(b, WithEncryption(encTarget(t, oldM)))
	if err := m.Write(ctx, secretState(t)); err != nil {
		t.Fatal(err)
	}
	in := testIntent(t, 1, state.IntentCreate)
	if err := m.Journal().Record(ctx, in); err != nil {
		t.Fatal(err)
	}
	s, err := New(b, WithEncryption(encTarget(t, newM, oldM))).Rekey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Serial != 2 {
		t.Errorf("serial %d after rekey, want 2", s.Serial)
	}
	newOnly := encTarget(t, newM)
	opens(t, "the state", newOnly, b.data, true)
	opens(t, "the backup", newOnly, b.backups[""], true)
	got, err := New(b, WithEncryption(newOnly)).Journal().Open(ctx)
	if err != nil || len(got) != 1 || got[0].Key != in.Key {
		t.Fatalf("the journal with the new key alone: %v, %v", got, err)
	}
	// Rekey of a current state still writes it (a new serial).
	if s, err = New(b, WithEncryption(newOnly)).Rekey(ctx); err != nil || s.Serial != 3 {
		t.Fatalf("rekey again: serial %v, %v", s, err)
	}
	if s, err := New(&backupBackend{}, WithEncryption(newOnly)).Rekey(ctx); s != nil || err != nil {
		t.Fatalf("rekey without a state: %v, %v", s, err)
	}
}
