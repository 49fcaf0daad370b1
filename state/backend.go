package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/berth-sh/berth/version"
)

// Backend stores a state and guards it with a lock.
//
// Read returns nil (and no error) when no state was stored yet. Write
// stores s and assigns its serial: see the package doc. Callers hold the
// lock around a Read-modify-Write cycle (plan, apply, state mv, ...).
type Backend interface {
	Read(ctx context.Context) (*State, error)
	Write(ctx context.Context, s *State) error
	// Lock takes the lock once, without waiting: when it is held it
	// returns a *LockError describing the holder. Use state.Lock to wait.
	Lock(ctx context.Context, info LockInfo) (lockID string, err error)
	// Unlock releases a lock this backend value took.
	Unlock(ctx context.Context, lockID string) error
	// ForceUnlock releases a lock whoever holds it, provided lockID is the
	// lock's ID (so a user cannot break a lock taken after they looked).
	ForceUnlock(ctx context.Context, lockID string) error
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
}

// NewLockInfo describes a lock for operation taken by this process.
func NewLockInfo(operation string) LockInfo {
	host, _ := os.Hostname()
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = "unknown" // e.g. a container without a passwd entry
	}
	return LockInfo{
		ID:        NewLineage(),
		Operation: operation,
		Who:       name + "@" + host,
		Host:      host,
		PID:       os.Getpid(),
		Version:   version.String(),
		Created:   time.Now().UTC().Truncate(time.Second),
	}
}

// LockError is returned when the state is locked by someone else.
type LockError struct {
	// Info describes the holder; nil when the lock exists but could not
	// be read.
	Info *LockInfo
	// HolderDead reports that the holder is a process on this host that
	// no longer exists: the lock is stale.
	HolderDead bool
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
	if e.HolderDead {
		msg += fmt.Sprintf("; that process no longer exists on this host, so the lock is stale: if no other berth is running, release it with `berth force-unlock %s`", i.ID)
	}
	return msg
}

func (e *LockError) Unwrap() error { return e.Err }

// Lock takes b's lock, retrying until it is free, timeout has passed or
// ctx is done. A zero timeout tries once. When it gives up it returns the
// last *LockError, wrapped with how long it waited.
func Lock(ctx context.Context, b Backend, info LockInfo, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	delay := 50 * time.Millisecond
	for {
		id, err := b.Lock(ctx, info)
		var le *LockError
		if err == nil || !errors.As(err, &le) {
			return id, err
		}
		if timeout <= 0 {
			return "", err
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return "", fmt.Errorf("gave up after waiting %s: %w", timeout, err)
		}
		wait = min(wait, delay)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("stopped waiting for the lock (%v): %w", context.Cause(ctx), err)
		case <-t.C:
		}
		delay = min(2*delay, time.Second)
	}
}
