//go:build integration

package postgres

import (
	"bytes"
	"context"
	"testing"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statefile"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/state/statetest"
)

// TestEncryptedState: an encrypted state in postgres keeps its header
// readable, so the serial guard works; the check write of an unchanged
// state stores the very bytes stored (the guard lets the same serial
// through only for those), and rotating the key writes the next serial.
func TestEncryptedState(t *testing.T) {
	ctx := context.Background()
	schema := testSchema(t, "")
	target := func(primary *encryption.AESGCM, fallbacks ...encryption.Method) *encryption.Target {
		tg, err := encryption.NewTarget(primary, fallbacks, true)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	kp := func(name, pass string) *encryption.PBKDF2 {
		p, err := encryption.NewPBKDF2(encryption.PBKDF2Config{Name: name, Passphrase: pass, Iterations: encryption.MinIterations})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	oldM := encryption.NewAESGCM("old", kp("old", "the old passphrase of the test"))
	newM := encryption.NewAESGCM("new", kp("new", "the new passphrase of the test"))

	s := statetest.Big(20)
	if err := statemgr.New(openTest(t, schema, DefaultWorkspace), statemgr.WithEncryption(target(oldM))).Write(ctx, s); err != nil {
		t.Fatal(err)
	}
	stored, _, err := openTest(t, schema, DefaultWorkspace).Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte("hunter2")) || bytes.Contains(stored, []byte("password")) {
		t.Fatal("the stored state holds the secret or its attribute's name")
	}
	if h, err := statefile.DecodeHeader(stored); err != nil || h.Serial != 1 || h.Lineage != s.Lineage {
		t.Fatalf("the header of the stored state: %+v, %v", h, err)
	}

	// An apply's check write of the unchanged state.
	m := statemgr.New(openTest(t, schema, DefaultWorkspace), statemgr.WithEncryption(target(oldM)))
	read, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := statemgr.NewPersister(ctx, m, state.NewSyncState(read)).Check(ctx); err != nil {
		t.Fatalf("the check write of an unchanged encrypted state: %v", err)
	}

	// Rotation: the unchanged state is written with the new key, under
	// the next serial.
	m = statemgr.New(openTest(t, schema, DefaultWorkspace), statemgr.WithEncryption(target(newM, oldM)))
	if read, err = m.Read(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(ctx, read); err != nil {
		t.Fatalf("rewriting the state with the new key: %v", err)
	}
	if read.Serial != 2 {
		t.Errorf("serial %d after the rotation, want 2", read.Serial)
	}
	if _, err := statemgr.New(openTest(t, schema, DefaultWorkspace), statemgr.WithEncryption(target(newM))).Read(ctx); err != nil {
		t.Fatalf("the new key alone: %v", err)
	}
	if _, err := statemgr.New(openTest(t, schema, DefaultWorkspace), statemgr.WithEncryption(target(oldM))).Read(ctx); err == nil {
		t.Fatal("the old key alone still reads the rotated state")
	}
}
