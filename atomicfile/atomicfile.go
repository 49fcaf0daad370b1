// Package atomicfile writes files so that a reader, or a crash, sees the
// old content or the new, never a part of it: berth's plan files, lock
// files and formatted configuration are written this way. (The state has
// its own writer, the local state backend, which also keeps a backup and
// honours cancellation up to the rename.)
package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data, with permissions perm: a temporary file
// in the same directory is written, synced to disk and renamed over path,
// and the directory is synced so that the rename is durable.
func Write(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// Failing to sync the directory (some filesystems refuse) does not undo
	// the write.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
