// Package atomicfile writes files so that a reader, or a crash, sees the
// old content or the new, never a part of it: berth's plan files, lock
// files and formatted configuration are written this way, and the local
// state backend names its temporary files the same way (it has its own
// writer, which honours cancellation up to the rename).
//
// The temporary file of PATH is .BASE.tmp-DIGITS in PATH's directory
// (BASE its base name; DIGITS chosen by os.CreateTemp). A process killed
// between creating it and renaming it leaves it behind: the next write of
// PATH removes it (RemoveStale), and so does the local state backend for
// the state's files.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// processStart is when this process started (near enough: when this
// package was initialised). A temporary file last modified before it
// cannot be one this process is writing.
var processStart = time.Now()

// tempInfix separates the target's base name from the random digits.
const tempInfix = ".tmp-"

// TempFile creates the temporary file for path, in path's directory, for
// a write that renames it over path.
func TempFile(path string) (*os.File, error) {
	return os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+tempInfix+"*")
}

// TempTarget returns the base name of the file whose temporary file
// (TempFile) is called name, and whether name is such a temporary file:
// exactly "." + target + ".tmp-" + one or more digits.
func TempTarget(name string) (string, bool) {
	i := strings.LastIndex(name, tempInfix)
	if i < 2 || name[0] != '.' {
		return "", false
	}
	digits := name[i+len(tempInfix):]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	return name[1:i], true
}

// RemoveStale removes from dir the temporary files left by writes that
// never finished (a process killed half-way): regular files named as
// TempFile names them, for a target (a base name) that ours accepts,
// last modified before this process started, so that no write of this
// process is disturbed. A write by another process that started earlier
// and is still going would be: callers make sure none can be (the local
// state backend removes only under the state lock), or accept it (a plan
// file written twice at once). It returns the paths removed; the error
// is the first removal that failed, the others being tried anyway.
func RemoveStale(dir string, ours func(target string) bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var first error
	for _, e := range entries {
		target, ok := TempTarget(e.Name())
		if !ok || !e.Type().IsRegular() || !ours(target) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(processStart) {
			continue // gone meanwhile, or possibly being written
		}
		path := filepath.Join(dir, e.Name())
		if err := os.Remove(path); err != nil {
			if first == nil && !errors.Is(err, fs.ErrNotExist) {
				first = err
			}
			continue
		}
		removed = append(removed, path)
	}
	return removed, first
}

// Write replaces path with data, with permissions perm: a temporary file
// in the same directory is written, synced to disk and renamed over path,
// and the directory is synced so that the rename is durable. Temporary
// files of earlier writes of path that were killed half-way are removed
// first.
func Write(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	base := filepath.Base(path)
	// Failing to clean up is no reason to fail the write.
	_, _ = RemoveStale(dir, func(target string) bool { return target == base })
	f, err := TempFile(path)
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
