// Package local is the default state backend: a file on the local disk.
package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/berth-sh/berth/atomicfile"
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
func open(config cty.Value, dir string) (backend.Workspaces, error) {
	path := DefaultPath
	if config.Type().IsObjectType() && config.Type().HasAttribute("path") {
		if p := config.GetAttr("path"); !p.IsNull() && p.IsKnown() {
			path = p.AsString()
		}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return NewWorkspaces(path), nil
}

// Local stores the state in a file.
//
//   - Writes are atomic: the new state is written to a temporary file in
//     the same directory, fsynced and renamed over the old one, and the
//     directory is fsynced, so a crash leaves either the old or the new
//     state, never a mix.
//   - Backups (backend.Backups) are PATH.backup, and PATH.backup.NAME for
//     a backup kept beside it; they are written the same way. The state
//     manager decides what goes in them (the state as the run found it,
//     once a run, never over another lineage's backup).
//   - The intent journal is PATH.journal: appended and synced record by
//     record, replaced or removed atomically.
//   - The lock is PATH.lock, held with an OS file lock (flock) while
//     berth holds the state lock, and holding the LockInfo as JSON (see
//     lock.go): a killed berth leaves no lock that blocks the next run.
//   - Temporary files are named as package atomicfile names them
//     (.BASE.tmp-DIGITS). Those that a killed berth left beside the state,
//     its backups or its lock are removed once a run, when the lock is
//     taken (or at the first write with -lock=false): under the lock no
//     other berth writes them.
//
// (A state file that cannot be read is refused by the state manager, which
// then writes nothing over it or its backup.)
type Local struct {
	path string

	mu      sync.Mutex
	cleaned bool // stale temporary files were looked for
	// held are the open lock files of the locks this process holds, by
	// lock ID: their file locks last until they are closed.
	held map[string]*os.File

	// jmu guards journal, the intent journal's file kept open between
	// appends.
	jmu     sync.Mutex
	journal *os.File

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

// BackupLocation is the path of the backup called name: PATH.backup, or
// PATH.backup.NAME.
func (l *Local) BackupLocation(name string) string {
	if name == "" {
		return l.BackupPath()
	}
	return l.BackupPath() + "." + name
}

// backupFile is BackupLocation for a name that must not reach outside
// PATH.backup.*.
func (l *Local) backupFile(name string) (string, error) {
	if !validBackupName(name) {
		return "", fmt.Errorf("%q is not a backup name (letters, digits and dashes)", name)
	}
	return l.BackupLocation(name), nil
}

func validBackupName(name string) bool {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Get reads the state file.
func (l *Local) Get(ctx context.Context) ([]byte, bool, error) {
	return readFile(ctx, l.path)
}

// GetBackup reads the backup called name.
func (l *Local) GetBackup(ctx context.Context, name string) ([]byte, bool, error) {
	path, err := l.backupFile(name)
	if err != nil {
		return nil, false, err
	}
	return readFile(ctx, path)
}

func readFile(ctx context.Context, path string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// Put replaces the state file atomically.
func (l *Local) Put(ctx context.Context, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	l.removeStaleLocked()
	if err := l.makeDir(); err != nil {
		return fmt.Errorf("writing the state to %s: %w", l.path, err)
	}
	return l.writeAtomic(ctx, l.path, data, "writing the state to "+l.path)
}

// makeDir creates the state file's directory when missing: a workspace's
// (PATH.d/NAME) or a configured path's, before the first file in it.
func (l *Local) makeDir() error {
	return os.MkdirAll(filepath.Dir(l.path), 0o755)
}

// PutBackup replaces the backup called name atomically.
func (l *Local) PutBackup(ctx context.Context, name string, data []byte) error {
	path, err := l.backupFile(name)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	l.removeStaleLocked()
	return l.writeAtomic(ctx, path, data, "backing up the state to "+path)
}

// removeStale removes, once, the temporary files that a berth killed
// while writing this state, its backups or its lock left behind.
func (l *Local) removeStale() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.removeStaleLocked()
}

func (l *Local) removeStaleLocked() {
	if l.cleaned {
		return
	}
	l.cleaned = true
	base := filepath.Base(l.path)
	backup := base + ".backup"
	// A leftover that cannot be removed now is tried again next run.
	_, _ = atomicfile.RemoveStale(filepath.Dir(l.path), func(target string) bool {
		name, beside := strings.CutPrefix(target, backup+".")
		return target == base || target == base+".lock" || target == base+".journal" || target == backup ||
			beside && name != "" && validBackupName(name)
	})
}

// writeAtomic replaces path with data: the temporary file is written,
// synced and renamed over path, and the directory synced. Errors start
// with what; a cancellation before the rename is returned as it is.
func (l *Local) writeAtomic(ctx context.Context, path string, data []byte, what string) error {
	f, err := atomicfile.TempFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	tmpName := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmpName)
		return fmt.Errorf("%s: %w", what, err)
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
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := ctx.Err(); err != nil {
		os.Remove(tmpName)
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("%s: %w", what, err)
	}
	// The rename is durable only once the directory is synced.
	if err := syncDir(filepath.Dir(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: syncing the directory: %w", what, err)
	}
	return nil
}
