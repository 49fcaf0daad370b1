package statemgr

import (
	"bytes"
	"context"
	"fmt"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/encryption"
)

// The manager's side of encryption (WithEncryption): what it stores is
// sealed with its target, and what it reads is opened with it.

// seal returns plain, a state file of serial and lineage, as the manager
// stores it.
func (m *Manager) seal(ctx context.Context, plain []byte, serial uint64, lineage string) ([]byte, error) {
	data, err := m.keys.Seal(ctx, plain, encryption.Header{Kind: encryption.KindState, FormatVersion: state.FormatVersion, Serial: serial, Lineage: lineage})
	if err != nil {
		return nil, fmt.Errorf("encrypting the state: %w", err)
	}
	return data, nil
}

// open returns the plaintext of data, stored state bytes.
func (m *Manager) open(ctx context.Context, data []byte) (encryption.Opened, error) {
	return m.keys.Open(ctx, data, encryption.KindState)
}

// Encryption returns the target the manager encrypts with; nil when it
// stores plaintext.
func (m *Manager) Encryption() *encryption.Target { return m.keys }

// sealLine returns a journal line (newline included) as the journal
// stores it: an encrypted line is one JSON envelope, on one line.
func (j *Journal) sealLine(ctx context.Context, line []byte) ([]byte, error) {
	out, err := j.keys.Seal(ctx, line, encryption.Header{Kind: encryption.KindJournal})
	if err != nil {
		return nil, fmt.Errorf("encrypting the intent journal: %w", err)
	}
	return out, nil
}

// openLines returns the plaintext of a stored journal: each complete line
// opened; a last line without its newline (torn by a kill) is kept as
// it is, for statefile.DecodeJournal to ignore.
func (j *Journal) openLines(ctx context.Context, data []byte) ([]byte, error) {
	var out []byte
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return append(out, data...), nil
		}
		line := data[:i+1]
		data = data[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			out = append(out, line...)
			continue
		}
		opened, err := j.keys.Open(ctx, line, encryption.KindJournal)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, opened.Plain...)
	}
	return out, nil
}
