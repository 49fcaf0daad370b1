package statemgr

import "github.com/berth-sh/berth/state/encryption"

// Option configures a Manager (New).
type Option func(*Manager)

// WithEncryption encrypts what the manager stores with t: the state, its
// backups, the intent journal and the errored state (Encode). A stored
// state is read with any of t's methods, and one read otherwise than t
// writes (a fallback key, plaintext) is written again at the next write,
// changed or not. A state t cannot read is refused, and never written
// over. A nil t stores plaintext and refuses an encrypted state.
func WithEncryption(t *encryption.Target) Option {
	return func(m *Manager) { m.keys = t }
}
