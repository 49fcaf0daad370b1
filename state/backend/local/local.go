// Package local is the default state backend: a file on the local disk.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state/backend"
	"github.com/zclconf/go-cty/cty"
)

// Name is the backend's label: backend "local" { path = "..." }.
const Name = "local"

// DefaultPath is the state file when the configuration names none,
// relative to the configuration's directory.
const DefaultPath = "berth.state"

func init() {
	backend.Register(backend.Spec{Name: Name, Schema: schema(), Default: true, New: open})
}

func schema() *providers.Block {
	return &providers.Block{Attributes: map[string]*providers.Attribute{
		"path": {Type: cty.String, Optional: true, Default: cty.StringVal(DefaultPath),
			Description: "the state file, relative to the configuration's directory"},
	}}
}

// open is the registry's constructor: config is the decoded block.
func open(config cty.Value, dir string) (backend.Backend, error) {
	path := DefaultPath
	if config.Type().IsObjectType() && config.Type().HasAttribute("path") {
		if p := config.GetAttr("path"); !p.IsNull() && p.IsKnown() {
			path = p.AsString()
		}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return New(path), nil
}

// Local stores the state in a file.
//
//   - Writes are atomic: the new state is written to a temporary file in
//     the same directory, fsynced and renamed over the old one, and the
//     directory is fsynced, so a crash leaves either the old or the new
//     state, never a mix.
//   - The first write through a Local keeps the state as it was before it
//     in PATH.backup (like Terraform: the backup is the state before this
//     run, not one object ago, which would be useless during an apply that
//     persists after every object).
//   - The lock is PATH.lock, created atomically (a complete file is linked
//     into place, so no reader sees it half-written), holding the LockInfo
//     as JSON.
//
// (A state file that cannot be read is refused by the state manager, which
// then writes nothing over it or its backup.)
type Local struct {
	path string

	mu       sync.Mutex
	backedUp bool

	// writeData writes the encoded state to the temporary file; tests
	// replace it to simulate a failure half-way.
	writeData func(f *os.File, data []byte) error
}

// New returns a local backend for the state file at path (DefaultPath
// when empty).
func New(path string) *Local {
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

// Location is the state file's path.
func (l *Local) Location() string { return l.path }

// BackupLocation is the backup's path.
func (l *Local) BackupLocation() string { return l.BackupPath() }

// Get reads the state file.
func (l *Local) Get(ctx context.Context) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	data, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// Put replaces the state file atomically, keeping the file it replaces as
// the backup the first time.
func (l *Local) Put(ctx context.Context, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if !l.backedUp {
		_, err := os.Lstat(l.path)
		switch {
		case err == nil:
			if err := l.backup(); err != nil {
				return err
			}
			l.backedUp = true
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("backing up the state: %w", err)
		}
	}
	return l.writeAtomic(ctx, data)
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
