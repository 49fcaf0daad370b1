package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/berth-sh/berth/atomicfile"
	"github.com/berth-sh/berth/state/backend"
)

// Lock creates the lock file, or returns a *backend.LockError naming the
// holder.
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
	tmp, err := atomicfile.TempFile(l.LockPath())
	if err != nil {
		return fmt.Errorf("locking the state: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("locking the state: %w", err)
	}
	// Link fails if the lock exists, and publishes a complete file. The
	// holder may release the lock between our attempt and our reading who
	// holds it: then try again.
	for attempt := 0; ; attempt++ {
		err = os.Link(tmpName, l.LockPath())
		if err != nil && !errors.Is(err, fs.ErrExist) {
			err = l.lockExclusive(data)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("locking the state: %w", err)
		}
		lerr := l.lockError()
		if lerr.Info == nil && errors.Is(lerr.Err, fs.ErrNotExist) && attempt < 3 {
			continue
		}
		return lerr
	}
	// Under the lock, no other berth is writing this state: what a killed
	// one left can go.
	l.removeStale()
	return nil
}

// lockExclusive is the fallback for filesystems without hard links.
func (l *Local) lockExclusive(data []byte) error {
	f, err := os.OpenFile(l.LockPath(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(l.LockPath())
	}
	return err
}

// lockError describes the current holder of the lock.
func (l *Local) lockError() *backend.LockError {
	info, err := l.readLock()
	if err != nil {
		return &backend.LockError{Err: fmt.Errorf("the lock file %s exists but cannot be read: %w", l.LockPath(), err)}
	}
	return &backend.LockError{Info: info, HolderDead: holderDead(info)}
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

// Unlock removes the lock file if its ID is lockID.
func (l *Local) Unlock(ctx context.Context, lockID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	info, err := l.readLock()
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the state %s is not locked", l.path)
	}
	if err != nil {
		// An unreadable lock file can only be removed by hand: say where.
		return fmt.Errorf("reading the lock file %s: %w (remove it by hand if no berth is running)", l.LockPath(), err)
	}
	if info.ID != lockID {
		return fmt.Errorf("the state %s is locked with ID %s, not %s: nothing was unlocked", l.path, info.ID, lockID)
	}
	if err := os.Remove(l.LockPath()); err != nil {
		return fmt.Errorf("unlocking the state: %w", err)
	}
	return nil
}
