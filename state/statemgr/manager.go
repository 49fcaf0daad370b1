// Package statemgr is the state manager: it reads and writes one state in
// a backend, and everything that makes that safe is here, written once for
// every backend (which only stores bytes and a lock, see package backend).
//
// # Serial and lineage
//
// Write refuses a state of another lineage than the stored one (another
// history), and assigns the serial: one more than the stored state's when,
// and only when, the content differs from what the manager last read or
// wrote; an unchanged state is not written at all. So a no-op apply
// leaves the serial alone, and a saved plan bound to a serial is refused
// as soon as anything was written since. A stored state that cannot be
// decoded is refused, and nothing is written over it.
//
// # Backups
//
// A backend that keeps backups (backend.Backups) gets, at the first write
// of a run, the state as the run's first read found it: the backup is the
// state before the run, written once however often the run persists, and
// a run that found no state writes none.
//
// A backup is never written over a backup of another lineage or one that
// cannot be read: it may be the only copy of a state that was lost. When
// the state's backup place holds one, the run backs up beside it, under a
// name made from the state's lineage (berth.state.backup.8a0c1f0e), and
// ForeignBackup reports the stranger for the user to restore or delete.
//
// # Encryption
//
// With WithEncryption, everything the manager stores goes through an
// encryption.Target: the state (whose serial and lineage stay readable),
// the backup, each line of the intent journal, and the errored state
// (Encode). What it reads is decrypted with any of the target's methods;
// a state read otherwise than the target writes now (a fallback key, or
// plaintext while migrating) counts as changed, so the next write stores
// it again, and Rekey does so at once. A state that cannot be decrypted
// is a *CorruptError: refused, and never written over.
//
// # Locking
//
// Lock waits for the backend's lock with a timeout (-lock-timeout); a
// *backend.LockError names the holder and says when it is a dead process.
// Unlock releases only a lock this manager took; ForceUnlock releases the
// lock with a given ID, whoever took it.
//
// # Persisting during apply
//
// The engine records every changed object into a SyncState and calls
// Persister.Changed; the Persister writes snapshots in the background,
// one at a time, coalescing the changes made meanwhile. Writes are paced
// so that persisting costs a bounded share of an apply whatever the
// state's size: after a write that took d, the next one starts no sooner
// than max(3·d, 10ms) after it ended. Persister.Flush writes at once and
// waits until everything reported is written (at the end of an apply and
// on interrupt).
//
// The guarantee: every change reported is in a write that starts after
// it, no later than max(3·d, 10ms) after the end of the write in flight
// when it was made (d that write's duration, or the last one's); the
// change is therefore stored within about 4·d plus the duration of its
// own write, about 5·d, of being made (10ms + 2·d for a small state), and
// always once Flush has returned without error.
//
// A failed write closes Persister.Failed at once, and the engine stops
// starting changes (what it would do could not be recorded). When the
// final write fails too, Persister.WriteErrored keeps the state in
// ErroredStateFile in the working directory, to be put back. Before an
// apply changes anything, Persister.Check writes the state even though it
// is unchanged, so that a backend that cannot store it (a full disk)
// refuses the apply before the first change.
//
// A write of a snapshot re-encodes only the objects that changed since
// the previous one (statefile.Encoder.SnapshotBody), which is sound
// because objects in a SyncState are never modified in place (a change
// replaces the *Object). So the cost of a write is a copy of the other
// objects' bytes and the backend's Put, not an encoding of every value;
// with the pacing, persisting an apply of N objects costs O(N) encoding
// and at most a quarter of the apply's wall time, instead of O(N²).
package statemgr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statefile"
)

// Manager reads, writes and locks one state stored in a backend. Use one
// Manager per run: what it last read or wrote is what Write compares with.
type Manager struct {
	backend backend.Backend
	// keys encrypts what the manager stores (WithEncryption); nil
	// stores plaintext.
	keys *encryption.Target

	mu     sync.Mutex
	known  bool    // last describes what the backend stores
	last   *stored // nil: nothing stored
	lockID string  // the lock this manager holds, if any
	// renewal renews lockID when it is a lease (backend.Leases).
	renewal *renewal
	enc     statefile.Encoder
	start   *runStart // what the first read found, for the backup; nil before it

	journal *Journal // the intent journal, made on first use
}

// stored is what the manager knows of the stored state.
type stored struct {
	lineage string
	serial  uint64
	body    []byte // statefile.BodyOf the stored plaintext
	raw     []byte // the stored bytes (encrypted, when they are)
	// current is set when the bytes are stored as the manager would
	// store them now (encryption.Opened.Current): otherwise the next
	// write rewrites them even if nothing else changed.
	current bool
}

// New returns a manager of the state stored in b.
func New(b backend.Backend, opts ...Option) *Manager {
	m := &Manager{backend: b}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Backend returns the backend the state is stored in.
func (m *Manager) Backend() backend.Backend { return m.backend }

// Location names the stored state in messages (backend.Backend.Location).
func (m *Manager) Location() string { return m.backend.Location() }

// CorruptError is returned for a stored state that cannot be used.
type CorruptError struct {
	// Location names the stored state; Backup its backup, "" when the
	// backend keeps none (backend.Backups).
	Location, Backup string
	Err              error
}

func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("the state file %s cannot be used: %v (berth has not changed it", e.Location, e.Err)
	if e.Backup != "" {
		msg += " or its backup " + e.Backup
	}
	return msg + ")"
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Read reads and decodes the stored state; nil when none is stored.
func (m *Manager) Read(ctx context.Context) (*state.State, error) {
	_, s, err := m.Pull(ctx)
	return s, err
}

// Pull returns the stored state file, decrypted, and the state it
// decodes to, from one read, so that what a caller prints is what was
// checked; nil and nil when none is stored.
func (m *Manager) Pull(ctx context.Context) ([]byte, *state.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.read(ctx)
}

func (m *Manager) read(ctx context.Context) ([]byte, *state.State, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	data, found, err := m.backend.Get(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the state: %w", err)
	}
	if !found {
		if m.start == nil {
			if err := m.begin(ctx, nil, ""); err != nil {
				return nil, nil, err
			}
		}
		m.known, m.last = true, nil
		return nil, nil, nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, m.corrupt(errors.New("the file is empty"))
	}
	opened, err := m.open(ctx, data)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, m.corrupt(err)
	}
	plain := opened.Plain
	s, err := statefile.Decode(plain)
	if err != nil {
		return nil, nil, m.corrupt(err)
	}
	if h := opened.Header; h.Kind != "" && (h.Serial != s.Serial || h.Lineage != s.Lineage) {
		return nil, nil, m.corrupt(fmt.Errorf("its readable header (serial %d, lineage %s) differs from its encrypted content (serial %d, lineage %s)", h.Serial, h.Lineage, s.Serial, s.Lineage))
	}
	if m.start == nil {
		if err := m.begin(ctx, data, s.Lineage); err != nil {
			return nil, nil, err
		}
		if !opened.Current && !m.start.backedUp {
			// Its backup is written as the manager writes now.
			m.start.plain, m.start.serial, m.start.lineage = plain, s.Serial, s.Lineage
		}
	}
	m.known = true
	m.last = &stored{lineage: s.Lineage, serial: s.Serial, body: statefile.BodyOf(plain), raw: data, current: opened.Current}
	return plain, s, nil
}

func (m *Manager) corrupt(err error) *CorruptError {
	ce := &CorruptError{Location: m.backend.Location(), Err: err}
	if b, ok := m.backend.(backend.Backups); ok {
		ce.Backup = b.BackupLocation("")
	}
	return ce
}

// Write stores s. When its content differs from the state last read or
// written, the serial becomes one more than that state's (or s.Serial, if
// higher), and the run's backup is written first if it was not yet (see
// the package doc); otherwise nothing is written. s.Serial is updated to the
// serial stored. Writing a state of another lineage than the stored one,
// or over a stored state that cannot be decoded, is refused.
func (m *Manager) Write(ctx context.Context, s *state.State) error {
	return m.write(ctx, s, false, false)
}

// Encode returns s as Write would store it now (encrypted, when it
// encrypts), with the serial Write would give it, without storing
// anything: for a state the backend could not store, kept elsewhere
// (ErroredStateFile) until it is put back.
func (m *Manager) Encode(ctx context.Context, s *state.State) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.Lineage == "" {
		return nil, errors.New("the state has no lineage")
	}
	body, err := m.enc.Body(s, 0)
	if err != nil {
		return nil, fmt.Errorf("encoding the state: %w", err)
	}
	serial := max(s.Serial, 1)
	if m.last != nil && m.last.lineage == s.Lineage {
		serial = max(s.Serial, m.last.serial+1)
	}
	return m.seal(ctx, statefile.Assemble(serial, s.Lineage, body), serial, s.Lineage)
}

// write is Write; snapshot says s's objects are never modified in place
// (a SyncState snapshot, written by a Persister), so that their encodings
// can be reused from one write to the next. force writes an unchanged
// state too, as it is stored (the same bytes): to find out whether the
// backend can store it.
//
// A state stored otherwise than the manager stores it now (encrypted
// with a fallback key, or in plaintext while encryption is configured:
// stored.current) counts as changed: it is written again, with the next
// serial (a backend guarding writes by the serial refuses other bytes
// under the same one), and its backup is written as the manager writes.
func (m *Manager) write(ctx context.Context, s *state.State, snapshot, force bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if !m.known {
		if _, _, err := m.read(ctx); err != nil {
			var ce *CorruptError
			if errors.As(err, &ce) {
				return fmt.Errorf("refusing to overwrite it: %w", err)
			}
			return err
		}
	}
	if s.Lineage == "" {
		return errors.New("the state to write has no lineage")
	}
	if err := m.lockLost(); err != nil {
		// Another berth may be writing: do not write over it.
		return fmt.Errorf("refusing to write the state to %s: %w", m.backend.Location(), err)
	}
	if m.last != nil && m.last.lineage != s.Lineage {
		return fmt.Errorf("refusing to write the state: %s holds lineage %s, this state is lineage %s (a different history)", m.backend.Location(), m.last.lineage, s.Lineage)
	}
	sizeHint := 0
	if m.last != nil {
		sizeHint = len(m.last.body)
	}
	encode := m.enc.Body
	if snapshot {
		encode = m.enc.SnapshotBody
	}
	body, err := encode(s, sizeHint)
	if err != nil {
		return fmt.Errorf("encoding the state: %w", err)
	}
	serial := max(s.Serial, 1)
	if m.last != nil {
		if bytes.Equal(body, m.last.body) && m.last.current {
			if force {
				if err := m.backend.Put(ctx, m.last.raw); err != nil {
					return err
				}
			}
			s.Serial = max(s.Serial, m.last.serial)
			return nil
		}
		serial = max(s.Serial, m.last.serial+1)
	}
	plain := statefile.Assemble(serial, s.Lineage, body)
	data, err := m.seal(ctx, plain, serial, s.Lineage)
	if err != nil {
		return err
	}
	if err := m.backUp(ctx); err != nil {
		return err
	}
	if err := m.backend.Put(ctx, data); err != nil {
		return err
	}
	if b := statefile.BodyOf(plain); b != nil {
		body = b // shares plain's bytes, kept anyway when stored in plaintext
	}
	m.last = &stored{lineage: s.Lineage, serial: serial, body: body, raw: data, current: true}
	s.Serial = serial
	return nil
}
