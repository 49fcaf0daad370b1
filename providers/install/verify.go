package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	version "github.com/hashicorp/go-version"
)

// HashFile returns the sha256 of the file at path. It stops early when ctx
// is cancelled, since plugin binaries can be large.
func HashFile(ctx context.Context, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return hashOpen(ctx, f)
}

// hashOpen returns the sha256 of the open file f, read from its start.
func hashOpen(ctx context.Context, f *os.File) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, io.NewSectionReader(f, 0, math.MaxInt64)}); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// FormatHash renders a sha256 sum the way the lock file records it:
// "sha256:<hex>".
func FormatHash(sum []byte) string { return "sha256:" + hex.EncodeToString(sum) }

// ChecksumError says that a provider binary is not the one the lock file
// recorded. Its message tells the user how to re-lock on purpose.
type ChecksumError struct {
	Source  Source
	Version *version.Version
	Path    string
	// Got is the binary's hash; Locked are the hashes in the lock file.
	Got    string
	Locked []string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("provider %s %s at %s does not match the checksum in %s (got %s, locked %s); if you upgraded it on purpose, run \"berth init -upgrade\"",
		e.Source, e.Version, e.Path, LockFileName, e.Got, strings.Join(e.Locked, ", "))
}

// Verify checks that the binary at path has one of the checksums locked for
// it and returns its sha256. A mismatch is a *ChecksumError.
func Verify(ctx context.Context, path string, locked *LockedProvider) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("provider %s %s: %w", locked.Source, locked.Version, err)
	}
	defer f.Close()
	return verifyOpen(ctx, f, path, locked)
}

// verifyOpen is Verify of the binary open as f, found at path.
func verifyOpen(ctx context.Context, f *os.File, path string, locked *LockedProvider) ([]byte, error) {
	sum, err := hashOpen(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("provider %s %s: %w", locked.Source, locked.Version, err)
	}
	if got := FormatHash(sum); !slices.Contains(locked.Hashes, got) {
		return nil, &ChecksumError{Source: locked.Source, Version: locked.Version, Path: path, Got: got, Locked: locked.Hashes}
	}
	return sum, nil
}

// Launch says how to start a provider.
type Launch struct {
	Source Source
	// Builtin providers are started by re-executing berth itself; the
	// other fields are then empty.
	Builtin bool
	// File is the plugin executable, open: the one file that was checked
	// and hashed, and the one to run (plugin.Spec.File), since Path may
	// name another file by the time the provider starts. Close it once the
	// provider has started.
	File *os.File
	// Path is where File was found, Version its locked version and SHA256
	// its checksum, one of those locked.
	Path    string
	Version *version.Version
	SHA256  []byte
}

// Close closes the executable; it does nothing for a built-in provider.
func (l Launch) Close() error {
	if l.File == nil {
		return nil
	}
	return l.File.Close()
}

// Resolve finds the binary to launch for src: the locked version, in the
// first of dirs that has it, opened and verified against the lock. The
// engine calls it before every launch, and launches the open file it
// returns, so that the bytes checked are the bytes that run. A provider
// missing from the lock, a locked version that is no longer installed, a
// binary that is not executable and a checksum mismatch are errors with a
// message saying what to do. The caller must Close the result.
func Resolve(ctx context.Context, dirs []string, locks *Lock, src Source) (Launch, error) {
	if src.IsBuiltin() {
		return Launch{Source: src, Builtin: true}, nil
	}
	locked := locks.Provider(src)
	if locked == nil {
		return Launch{}, fmt.Errorf("provider %s is not locked in %s; run \"berth init\" to install and lock it", src, LockFileName)
	}
	path, err := findLocked(dirs, locked)
	if err != nil {
		return Launch{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Launch{}, fmt.Errorf("provider %s %s: %w", locked.Source, locked.Version, err)
	}
	sum, err := verifyExecutable(ctx, f, path, locked)
	if err != nil {
		f.Close()
		return Launch{}, err
	}
	return Launch{Source: src, File: f, Path: path, Version: locked.Version, SHA256: sum}, nil
}

// verifyExecutable checks the open binary f, found at path: a file that
// can run, with a locked checksum. The file opened may not be the one
// findLocked looked at, so it is checked again.
func verifyExecutable(ctx context.Context, f *os.File, path string, locked *LockedProvider) ([]byte, error) {
	st, err := f.Stat()
	if err == nil {
		err = checkExecutable(st, path)
	}
	if err != nil {
		return nil, fmt.Errorf("provider %s %s: %w", locked.Source, locked.Version, err)
	}
	return verifyOpen(ctx, f, path, locked)
}

// findLocked returns the binary of the locked version in the first plugin
// directory that has one.
func findLocked(dirs []string, locked *LockedProvider) (string, error) {
	for _, dir := range dirs {
		path := BinaryPath(dir, locked.Source, locked.Version)
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
			continue
		}
		if err == nil {
			err = checkExecutable(st, path)
		}
		if err != nil {
			return "", fmt.Errorf("provider %s %s: %w", locked.Source, locked.Version, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("provider %s %s (locked in %s) is not installed: looked for %s in %s; install that version there, or run \"berth init -upgrade\" to lock one that is installed",
		locked.Source, locked.Version, LockFileName, layoutPath(locked.Source, locked.Version), dirList(dirs))
}

// checkExecutable says why the file at path, described by st, cannot be
// run as a plugin, if it cannot.
func checkExecutable(st fs.FileInfo, path string) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable (chmod +x it)", path)
	}
	return nil
}

// layoutPath is the path of a provider binary relative to a plugin
// directory, for messages that say where berth looked.
func layoutPath(src Source, v *version.Version) string {
	vs := "<version>"
	if v != nil {
		vs = v.String()
	}
	return filepath.Join(src.Namespace, src.Name, vs, Platform, src.BinaryName())
}

func dirList(dirs []string) string {
	if len(dirs) == 0 {
		return "no plugin directories (set $HOME, $" + EnvPluginDir + " or -plugin-dir)"
	}
	return strings.Join(dirs, ", ")
}
