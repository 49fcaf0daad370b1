package main

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/state/encryption"
)

// berth state rekey: the state written again at once with the primary
// method of the state encryption, rather than at the next apply (which
// rewrites a state read with a fallback key or in plaintext anyway).

func init() {
	register(&Command{Name: "state rekey", Synopsis: "Write the state again with the current encryption key", Run: runStateRekey})
}

func runStateRekey(ctx context.Context, m *Meta, args []string) int {
	fs, sf := newStateFlagSet(m, "state rekey", "Usage: berth [-chdir=DIR] state rekey [-state=PATH] [-lock-timeout=D]\n\n"+
		"Writes the state again, under the lock, with the primary method of the\n"+
		"encryption block's state target (or in plaintext, when that is the\n"+
		"unencrypted method): after a key rotation, or a migration to or from\n"+
		"encryption, so that the old key, or plaintext, is no longer needed to read\n"+
		"it. Its backup (the same state) and the intents of an interrupted apply are\n"+
		"written again too. The serial moves on by one.", true)
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		m.Errorf("state rekey takes no arguments.")
		return 1
	}
	b, ok := m.stateBackend(ctx, sf)
	if !ok {
		return 1
	}
	return m.withLock(ctx, b, sf, "state rekey", func() int {
		st, err := b.Rekey(ctx)
		if err != nil {
			m.Errorf("%s", err)
			return 1
		}
		if st == nil {
			m.Errorf("no state is recorded in %s: nothing to rekey.", b.Location())
			return 1
		}
		how := "in plaintext"
		if p := b.Encryption().Primary(); p != nil {
			if _, plain := p.(encryption.Unencrypted); !plain {
				how = "encrypted with " + p.Addr().String()
			}
		}
		fmt.Fprintf(m.Stdout, "Wrote the state in %s %s (serial %d).\n", b.Location(), how, st.Serial)
		return 0
	})
}
