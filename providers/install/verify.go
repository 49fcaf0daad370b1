package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
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
	sum, err := HashFile(ctx, path)
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
	// Path is the plugin executable, Version its locked version and SHA256
	// its verified checksum, which the launcher checks again at exec time
	// (go-plugin's SecureConfig) to close the gap between check and use.
	Path    string
	Version *version.Version
	SHA256  []byte
}

// Resolve finds the binary to launch for src: the locked version, in the
// first of dirs that has it, verified against the lock. The engine calls it
// before every launch. A provider missing from the lock, a locked version
// that is no longer installed, a binary that is not executable and a
// checksum mismatch are errors with a message saying what to do.
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
	sum, err := Verify(ctx, path, locked)
	if err != nil {
		return Launch{}, err
	}
	return Launch{Source: src, Path: path, Version: locked.Version, SHA256: sum}, nil
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
		if err != nil {
			return "", fmt.Errorf("provider %s %s: %w", locked.Source, locked.Version, err)
		}
		if !st.Mode().IsRegular() {
			return "", fmt.Errorf("provider %s %s: %s is not a regular file", locked.Source, locked.Version, path)
		}
		if runtime.GOOS != "windows" && st.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("provider %s %s: %s is not executable (chmod +x it)", locked.Source, locked.Version, path)
		}
		return path, nil
	}
	return "", fmt.Errorf("provider %s %s (locked in %s) is not installed: looked for %s in %s; install that version there, or run \"berth init -upgrade\" to lock one that is installed",
		locked.Source, locked.Version, LockFileName, layoutPath(locked.Source, locked.Version), dirList(dirs))
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
