package statemgr

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/state"
)

// Rekey writes the stored state again as the manager stores it now
// (WithEncryption: its target's primary method), whether or not it is
// stored so already, with the next serial; its backup, written as at any
// write that changes the state, is the same state, and the intents an
// interrupted apply left in the journal are written again too. The
// caller holds the lock. It returns the state written, nil when none is
// stored.
//
// Other backups (another lineage's, or one no configured key reads) are
// left as they are: berth never writes over them.
func (m *Manager) Rekey(ctx context.Context) (*state.State, error) {
	s, err := m.Read(ctx)
	if err != nil || s == nil {
		return nil, err
	}
	m.mu.Lock()
	m.last.current = false
	m.mu.Unlock()
	if err := m.Write(ctx, s); err != nil {
		return nil, err
	}
	j := m.Journal()
	intents, err := j.Open(ctx)
	if err != nil {
		return s, err
	}
	if len(intents) > 0 {
		if err := j.Rewrite(ctx, func() []state.Intent { return intents }); err != nil {
			return s, fmt.Errorf("the state was written again, but not the journal: %w", err)
		}
	}
	return s, nil
}
