// Package backend is where berth stores states: the storage contract a
// backend implements and the registry of the backends compiled into
// berth.
//
// A backend is dumb storage. It keeps one state's bytes and a lock, and
// knows nothing of the state format: lineage checks, serials, no-op
// detection, persisting during an apply and waiting for a lock are the
// state manager's (package statemgr), written once for every backend.
//
// Backends register themselves from an init function in their own package
// (the Caddy module pattern, as providers/builtin), with their name, the
// schema of their configuration block and a constructor; the berth binary
// imports them all through state/backend/all. The language asks the
// registry which backends exist, and the CLI opens the one the
// configuration names through it.
package backend

import (
	"context"
	"fmt"
	"time"
)

// Backend stores one state and guards it with a lock.
type Backend interface {
	// Location names the stored state in messages: a file's path, a URL.
	Location() string
	// Get returns the stored bytes; found is false (and data nil) when
	// nothing is stored yet.
	Get(ctx context.Context) (data []byte, found bool, err error)
	// Put replaces the stored bytes. A Put that fails leaves the
	// previous bytes stored, whole.
	Put(ctx context.Context, data []byte) error
	// Lock takes the lock described by info (whose ID is set) once,
	// without waiting: when it is held, it returns a *LockError
	// describing the holder. The state manager waits (statemgr).
	Lock(ctx context.Context, info LockInfo) error
	// Unlock releases the lock whose ID is id, whoever took it: an error
	// when the state is not locked or is locked with another ID, so that
	// a lock taken after the caller looked is never broken.
	Unlock(ctx context.Context, id string) error

	// The intent journal, kept beside the state (see state.Intent): the
	// core records each operation it is about to ask a provider for, and
	// calls the provider only once the record is stored.

	// JournalLocation names the journal in messages.
	JournalLocation() string
	// AppendJournal appends data to the journal, creating it if needed,
	// and returns once data is stored durably (synced). An append cut
	// short by a kill may leave its last record torn, never an earlier one.
	AppendJournal(ctx context.Context, data []byte) error
	// GetJournal returns the journal's bytes; found is false (and data
	// nil) when there is none.
	GetJournal(ctx context.Context) (data []byte, found bool, err error)
	// PutJournal replaces the journal whole; empty data removes it.
	PutJournal(ctx context.Context, data []byte) error
}

// Backups is a Backend that keeps, beside the state, a copy of the state
// as it was before the last run that changed it, for the user to restore.
// What goes in a backup and when is the state manager's decision (once a
// run, never over a backup of another lineage: statemgr); the backend
// only stores bytes under names.
//
// The name "" is the backup; another name (letters, digits and dashes)
// is a backup kept beside it, for a state whose backup place is taken by
// another lineage's.
type Backups interface {
	Backend
	// BackupLocation names the backup called name in messages (for the
	// local backend, its path).
	BackupLocation(name string) string
	// GetBackup returns the bytes of the backup called name; found is
	// false (and data nil) when there is none.
	GetBackup(ctx context.Context, name string) (data []byte, found bool, err error)
	// PutBackup replaces the backup called name. A PutBackup that fails
	// leaves the previous bytes stored, whole.
	PutBackup(ctx context.Context, name string, data []byte) error
}

// LockInfo says who holds a lock, for the error others get.
type LockInfo struct {
	ID        string    `json:"id"`
	Operation string    `json:"operation"` // "apply", "plan", "state mv", ...
	Who       string    `json:"who"`       // user@host
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Version   string    `json:"version"` // berth's version
	Created   time.Time `json:"created"`
	// Expires is when a lease lock (Leases) ends unless renewed; zero
	// for a lock that lasts until released.
	Expires time.Time `json:"expires,omitzero"`
}

// LockError is returned when the state is locked by someone else.
type LockError struct {
	// Info describes the holder; nil when the lock exists but could not
	// be read.
	Info *LockInfo
	// Err is the underlying problem, if any (e.g. an unreadable lock file).
	Err error
}

func (e *LockError) Error() string {
	if e.Info == nil {
		msg := "state is locked"
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		return msg
	}
	i := e.Info
	msg := fmt.Sprintf("state is locked by %s (pid %d) for %s since %s, lock ID %s",
		i.Who, i.PID, i.Operation, i.Created.Format(time.RFC3339), i.ID)
	return msg
}

func (e *LockError) Unwrap() error { return e.Err }
