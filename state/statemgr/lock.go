package statemgr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/version"
)

// NewLockInfo describes a lock for operation taken by this process.
func NewLockInfo(operation string) backend.LockInfo {
	host, _ := os.Hostname()
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = "unknown" // e.g. a container without a passwd entry
	}
	return backend.LockInfo{
		ID:        state.NewLineage(),
		Operation: operation,
		Who:       name + "@" + host,
		Host:      host,
		PID:       os.Getpid(),
		Version:   version.String(),
		Created:   time.Now().UTC().Truncate(time.Second),
	}
}

// Lock takes the backend's lock, retrying until it is free, timeout has
// passed or ctx is done, and returns the lock's ID (info.ID, generated
// when empty). A zero timeout tries once. When it gives up it returns the
// last *backend.LockError, wrapped with how long it waited.
func (m *Manager) Lock(ctx context.Context, info backend.LockInfo, timeout time.Duration) (string, error) {
	if info.ID == "" {
		info.ID = state.NewLineage()
	}
	deadline := time.Now().Add(timeout)
	delay := 50 * time.Millisecond
	var last error // the last *backend.LockError
	for {
		err := m.backend.Lock(ctx, info)
		if err == nil {
			m.mu.Lock()
			m.lockID = info.ID
			if l, ok := m.backend.(backend.Leases); ok {
				m.renewal = startRenewal(ctx, l, info.ID)
			}
			m.mu.Unlock()
			return info.ID, nil
		}
		var le *backend.LockError
		if !errors.As(err, &le) {
			if last != nil && ctx.Err() != nil {
				// Cancelled between two tries: say what it waited for.
				return "", fmt.Errorf("stopped waiting for the lock (%v): %w", context.Cause(ctx), last)
			}
			return "", err
		}
		last = err
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

// Unlock releases the lock this manager took. When it was a lease that
// was lost meanwhile, it says so (a *backend.LostLockError).
func (m *Manager) Unlock(ctx context.Context, lockID string) error {
	m.mu.Lock()
	held, r := m.lockID, m.renewal
	m.mu.Unlock()
	if held == "" || held != lockID {
		return fmt.Errorf("cannot unlock %s: lock %s was not taken here", m.backend.Location(), lockID)
	}
	if r != nil {
		if lost := r.end(); lost != nil {
			m.mu.Lock()
			m.lockID, m.renewal = "", nil
			m.mu.Unlock()
			return lost
		}
	}
	if err := m.backend.Unlock(ctx, lockID); err != nil {
		return err
	}
	m.mu.Lock()
	m.lockID, m.renewal = "", nil
	m.mu.Unlock()
	return nil
}

// lockLost is the lost-lock error of a lease this manager held, or nil.
// Called with m.mu held.
func (m *Manager) lockLost() error {
	if m.renewal == nil {
		return nil
	}
	return m.renewal.err()
}

// ForceUnlock releases the lock whoever holds it, provided lockID is the
// lock's ID (so a user cannot break a lock taken after they looked).
func (m *Manager) ForceUnlock(ctx context.Context, lockID string) error {
	return m.backend.Unlock(ctx, lockID)
}

// Holder says who holds the lock: nil when nobody does. It asks the
// backend for the lock, which every backend can answer, and releases it
// at once when it was free; a lock record that cannot be read comes back
// as the *backend.LockError's Err.
func (m *Manager) Holder(ctx context.Context) (*backend.LockInfo, error) {
	info := NewLockInfo("state lock show")
	err := m.backend.Lock(ctx, info)
	if err == nil {
		return nil, m.backend.Unlock(context.WithoutCancel(ctx), info.ID)
	}
	var le *backend.LockError
	if !errors.As(err, &le) {
		return nil, err
	}
	if le.Info == nil {
		return nil, le
	}
	return le.Info, nil
}
