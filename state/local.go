package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// DefaultPath is the local backend's state file, relative to the working
// directory.
const DefaultPath = "berth.state"

// Local is the default backend: a file on the local disk.
//
//   - Writes are atomic: the new state is written to a temporary file in
//     the same directory, fsynced and renamed over the old one, and the
//     directory is fsynced, so a crash leaves either the old or the new
//     state, never a mix.
//   - The first write through a Local keeps the state as it was before it
//     in PATH.backup (like Terraform: the backup is the state before this
//     run, not one object ago, which would be useless during an apply that
//     persists after every object).
//   - A state file that cannot be read is refused, and nothing is written
//     over it or its backup: the user decides what to restore.
//   - The lock is PATH.lock, created atomically (a complete file is linked
//     into place, so no reader sees it half-written), holding the LockInfo
//     as JSON.
type Local struct {
	path string

	mu       sync.Mutex
	known    bool      // last describes the file on disk
	last     *lastFile // nil: no state file
	backedUp bool
	lockID   string
	// frags caches the encodings of the objects of the last snapshot
	// written (see fragmentCache): a Persister rewrites the state many
	// times during an apply, and each write then re-encodes only what
	// changed.
	frags fragmentCache

	// writeData writes the encoded state to the temporary file; tests
	// replace it to simulate a failure half-way.
	writeData func(f *os.File, data []byte) error
}

type lastFile struct {
	lineage string
	serial  uint64
	body    []byte // the encoding from "resources" on (see assemble)
}

// NewLocal returns a local backend for the state file at path
// (DefaultPath when empty).
func NewLocal(path string) *Local {
	if path == "" {
		path = DefaultPath
	}
	return &Local{path: path, writeData: func(f *os.File, data []byte) error {
		_, err := f.Write(data)
		return err
	}}
}

// Path returns the state file's path.
func (l *Local) Path() string { return l.path }

// BackupPath returns the path of the backup of the previous state.
func (l *Local) BackupPath() string { return l.path + ".backup" }

// LockPath returns the path of the lock file.
func (l *Local) LockPath() string { return l.path + ".lock" }

// CorruptError is returned for a state file that cannot be used.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("the state file %s cannot be used: %v (berth has not changed it or its backup %s.backup)", e.Path, e.Err, e.Path)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Read reads and decodes the state file; nil when there is none.
func (l *Local) Read(ctx context.Context) (*State, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.read(ctx)
}

func (l *Local) read(ctx context.Context) (*State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		l.known, l.last = true, nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &CorruptError{Path: l.path, Err: errors.New("the file is empty")}
	}
	s, err := Decode(data)
	if err != nil {
		return nil, &CorruptError{Path: l.path, Err: err}
	}
	l.known = true
	l.last = &lastFile{lineage: s.Lineage, serial: s.Serial}
	// The body of a file this encoder wrote compares equal to a fresh
	// encoding of the same content; anything else (an older berth, a
	// hand edit) merely costs one serial bump.
	if i := bytes.Index(data, []byte("\n  \"resources\": [")); i >= 0 {
		l.last.body = data[i+1:]
	}
	return s, nil
}

// Write stores s atomically. When its content differs from the state
// last read or written, the serial becomes one more than that state's
// (or s.Serial, if higher); otherwise nothing is written. s.Serial is
// updated to the serial stored. Writing a state of another lineage than
// the stored one is refused.
//
// Writes of a Persister's snapshots re-encode only the objects that are
// not in the previous snapshot written (by pointer), so that rewriting a
// state of N objects after each of a few changes costs a copy of the
// bytes, not an encoding of every value.
func (l *Local) Write(ctx context.Context, s *State) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if !l.known {
		if _, err := l.read(ctx); err != nil {
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
	if l.last != nil && l.last.lineage != s.Lineage {
		return fmt.Errorf("refusing to write the state: %s holds lineage %s, this state is lineage %s (a different history)", l.path, l.last.lineage, s.Lineage)
	}
	var e encoder
	if hasImmutableObjects(ctx) {
		// Only a Persister's snapshots: the objects of any other state
		// may be modified in place between writes by their owner.
		e.frags = &l.frags
	}
	if l.last != nil {
		e.sizeHint = len(l.last.body)
	}
	body, err := e.body(s)
	if err != nil {
		return fmt.Errorf("encoding the state: %w", err)
	}
	serial := s.Serial
	if l.last != nil {
		if bytes.Equal(body, l.last.body) {
			s.Serial = max(s.Serial, l.last.serial)
			return nil
		}
		serial = max(serial, l.last.serial+1)
	} else {
		serial = max(serial, 1)
	}
	data := assemble(serial, s.Lineage, body)
	if !l.backedUp && l.last != nil {
		if err := l.backup(); err != nil {
			return err
		}
		l.backedUp = true
	}
	if err := l.writeAtomic(ctx, data); err != nil {
		return err
	}
	l.last = &lastFile{lineage: s.Lineage, serial: serial, body: body}
	s.Serial = serial
	return nil
}

// backup keeps the current state file as PATH.backup. A hard link costs no
// copy and leaves the state file in place; the link is made under a
// temporary name and renamed so that an old backup is replaced atomically.
func (l *Local) backup() error {
	dir := filepath.Dir(l.path)
	tmp, err := os.CreateTemp(dir, ".berth.backup.tmp-*")
	if err != nil {
		return fmt.Errorf("backing up the state: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	os.Remove(tmpName)
	if err := os.Link(l.path, tmpName); err != nil {
		// No hard links on this filesystem: copy.
		if err := copyFile(l.path, tmpName); err != nil {
			os.Remove(tmpName)
			return fmt.Errorf("backing up the state: %w", err)
		}
	}
	if err := os.Rename(tmpName, l.BackupPath()); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("backing up the state: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (l *Local) writeAtomic(ctx context.Context, data []byte) error {
	dir := filepath.Dir(l.path)
	f, err := os.CreateTemp(dir, ".berth.state.tmp-*")
	if err != nil {
		return fmt.Errorf("writing the state: %w", err)
	}
	tmpName := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmpName)
		return fmt.Errorf("writing the state to %s: %w", l.path, err)
	}
	// State holds secrets: only the owner may read it.
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if err := l.writeData(f, data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("writing the state to %s: %w", l.path, err)
	}
	if err := ctx.Err(); err != nil {
		os.Remove(tmpName)
		return err
	}
	if err := os.Rename(tmpName, l.path); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("writing the state to %s: %w", l.path, err)
	}
	// The rename is durable only once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("writing the state to %s: syncing the directory: %w", l.path, err)
		}
	}
	return nil
}

// Lock creates the lock file, or returns a *LockError naming the holder.
// info.ID is generated when empty.
func (l *Local) Lock(ctx context.Context, info LockInfo) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if info.ID == "" {
		info.ID = NewLineage()
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return "", err
	}
	data = append(data, '\n')
	dir := filepath.Dir(l.path)
	tmp, err := os.CreateTemp(dir, ".berth.lock.tmp-*")
	if err != nil {
		return "", fmt.Errorf("locking the state: %w", err)
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
		return "", fmt.Errorf("locking the state: %w", err)
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
			return "", fmt.Errorf("locking the state: %w", err)
		}
		lerr := l.lockError()
		if lerr.Info == nil && errors.Is(lerr.Err, fs.ErrNotExist) && attempt < 3 {
			continue
		}
		return "", lerr
	}
	l.mu.Lock()
	l.lockID = info.ID
	l.mu.Unlock()
	return info.ID, nil
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
func (l *Local) lockError() *LockError {
	info, err := l.readLock()
	if err != nil {
		return &LockError{Err: fmt.Errorf("the lock file %s exists but cannot be read: %w", l.LockPath(), err)}
	}
	return &LockError{Info: info, HolderDead: holderDead(info)}
}

func (l *Local) readLock() (*LockInfo, error) {
	data, err := os.ReadFile(l.LockPath())
	if err != nil {
		return nil, err
	}
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Unlock releases the lock taken through this Local.
func (l *Local) Unlock(ctx context.Context, lockID string) error {
	l.mu.Lock()
	held := l.lockID
	l.mu.Unlock()
	if held == "" || held != lockID {
		return fmt.Errorf("cannot unlock %s: lock %s was not taken here", l.path, lockID)
	}
	if err := l.ForceUnlock(ctx, lockID); err != nil {
		return err
	}
	l.mu.Lock()
	l.lockID = ""
	l.mu.Unlock()
	return nil
}

// ForceUnlock removes the lock file if its ID is lockID.
func (l *Local) ForceUnlock(ctx context.Context, lockID string) error {
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
