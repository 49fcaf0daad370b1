package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/berth-sh/berth/state/backend"
)

// The lock is PATH.lock, held with an OS file lock (flock) on the open
// file for as long as berth holds it, and holding the LockInfo as JSON
// for others to read. The kernel releases a file lock when its process
// dies, so a berth killed with the lock (kill -9, a cancelled CI job)
// leaves only a lock file that nobody holds: the next Lock takes it over,
// with no force-unlock. Unlock removes the file.

// Lock takes the file lock of PATH.lock and writes info into it, or
// returns a *backend.LockError naming the live holder.
func (l *Local) Lock(ctx context.Context, info backend.LockInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if info.ID == "" {
		return errors.New("locking the state: the lock has no ID")
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	f, err := l.lockFile()
	if err != nil {
		return err
	}
	// Held: what the file says is who holds it.
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(data, 0)
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("locking the state: writing %s: %w", l.LockPath(), err)
		}
	} else {
		f.Close()
		return fmt.Errorf("locking the state: %w", err)
	}
	l.mu.Lock()
	if l.held == nil {
		l.held = map[string]*os.File{}
	}
	l.held[info.ID] = f
	l.mu.Unlock()
	// Under the lock, no other berth is writing this state: what a killed
	// one left can go.
	l.removeStale()
	return nil
}

// lockFile opens PATH.lock and takes its file lock without waiting. The
// file may be removed (Unlock) between the open and the lock: a lock on a
// file no longer at PATH.lock would lock nothing, so that is tried again.
func (l *Local) lockFile() (*os.File, error) {
	if err := l.makeDir(); err != nil {
		return nil, fmt.Errorf("locking the state: %w", err)
	}
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(l.LockPath(), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("locking the state: %w", err)
		}
		if err := tryFlock(f); err != nil {
			f.Close()
			if errors.Is(err, errHeld) {
				return nil, l.lockError()
			}
			return nil, fmt.Errorf("locking the state: %s: %w", l.LockPath(), err)
		}
		same, err := samePath(f, l.LockPath())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.Close()
			return nil, fmt.Errorf("locking the state: %w", err)
		}
		if same {
			return f, nil
		}
		f.Close()
		if attempt == 10 {
			return nil, fmt.Errorf("locking the state: %s keeps being replaced", l.LockPath())
		}
	}
}

// samePath reports whether f is the file at path.
func samePath(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, pi), nil
}

// lockError describes the current holder of the lock.
func (l *Local) lockError() *backend.LockError {
	info, err := l.readLock()
	if err != nil {
		return &backend.LockError{Err: fmt.Errorf("the lock file %s is held but cannot be read: %w", l.LockPath(), err)}
	}
	return &backend.LockError{Info: info}
}

func (l *Local) readLock() (*backend.LockInfo, error) {
	data, err := os.ReadFile(l.LockPath())
	if err != nil {
		return nil, err
	}
	var info backend.LockInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Unlock removes the lock file if its ID is lockID, and releases the file
// lock when this process holds it. Another process's lock (force-unlock)
// is broken by removing the file: the next Lock makes a new one.
func (l *Local) Unlock(ctx context.Context, lockID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	f := l.held[lockID]
	delete(l.held, lockID)
	l.mu.Unlock()
	if f != nil {
		defer f.Close() // releases the file lock, after the file is gone
	}
	info, err := l.readLock()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the state %s is not locked", l.path)
	case err != nil:
		// An unreadable lock record: force-unlock must still be able to
		// break it, whatever the ID given.
	case info.ID != lockID:
		return fmt.Errorf("the state %s is locked with ID %s, not %s: nothing was unlocked", l.path, info.ID, lockID)
	}
	if err := os.Remove(l.LockPath()); err != nil {
		return fmt.Errorf("unlocking the state: %w", err)
	}
	return nil
}
