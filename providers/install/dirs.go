package install

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"

	version "github.com/hashicorp/go-version"
)

// EnvPluginDir is the environment variable holding extra plugin directories,
// separated like PATH (os.PathListSeparator).
const EnvPluginDir = "BERTH_PLUGIN_DIR"

var exeSuffix = func() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}()

// Platform is the <os>_<arch> directory name of the platform berth runs on.
var Platform = runtime.GOOS + "_" + runtime.GOARCH

// DefaultDir returns ~/.berth/plugins, or "" when the home directory is
// unknown.
func DefaultDir() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".berth", "plugins")
}

// SearchDirs returns the plugin directories to search, in order, without
// duplicates: dirs (init's -plugin-dir flags, or those the last init
// recorded: workdir.Dir.PluginDirs), then $BERTH_PLUGIN_DIR, then
// DefaultDir. Relative directories are taken relative to workDir, the way
// Terraform resolves paths after -chdir.
func SearchDirs(workDir string, dirs []string) ([]string, error) {
	all := slices.Clone(dirs)
	all = append(all, filepath.SplitList(os.Getenv(EnvPluginDir))...)
	if d := DefaultDir(); d != "" {
		all = append(all, d)
	}
	var out []string
	for _, d := range all {
		if d == "" {
			continue
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(workDir, d)
		}
		d = filepath.Clean(d)
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// Installed is one installed version of a provider for this platform.
type Installed struct {
	Source  Source
	Version *version.Version
	// Path is the plugin executable.
	Path string
	// Dir is the plugin directory it was found in.
	Dir string
}

// BinaryPath returns where the executable of src at version v lives under
// the plugin directory dir on this platform.
func BinaryPath(dir string, src Source, v *version.Version) string {
	return filepath.Join(dir, src.Namespace, src.Name, v.String(), Platform, src.BinaryName())
}

// Scan returns the versions of src installed for this platform in dirs,
// newest first. A version present in several directories is reported once,
// from the first directory in search order, which is how an earlier
// directory overrides a later one. Entries that do not fit the layout
// (files where directories belong, version directories whose names are not
// canonical versions, missing platform directories or binaries) are
// skipped; only I/O errors other than "not found" are returned.
func Scan(dirs []string, src Source) ([]Installed, error) {
	var found []Installed
	for _, dir := range dirs {
		base := filepath.Join(dir, src.Namespace, src.Name)
		entries, err := os.ReadDir(base)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || isNotDir(err) {
				continue
			}
			return nil, err
		}
		for _, e := range entries {
			v, err := version.NewSemver(e.Name())
			// Only the canonical spelling, so "1.2" and "1.2.0" can never
			// both claim to be version 1.2.0.
			if err != nil || v.String() != e.Name() {
				continue
			}
			if slices.ContainsFunc(found, func(i Installed) bool { return i.Version.Equal(v) }) {
				continue
			}
			path := BinaryPath(dir, src, v)
			st, err := os.Stat(path)
			if err != nil || !st.Mode().IsRegular() {
				continue
			}
			found = append(found, Installed{Source: src, Version: v, Path: path, Dir: dir})
		}
	}
	slices.SortStableFunc(found, func(a, b Installed) int { return b.Version.Compare(a.Version) })
	return found, nil
}

// isNotDir reports whether err says a path component is a file, which in a
// shared plugin directory is junk to skip, not an error.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// Select returns the newest of installed that meets constraints. installed
// need not be sorted. Pre-release versions are chosen only by a constraint
// that names a pre-release, following go-version; with no constraints at
// all, only releases are chosen, since go-version alone would accept any.
func Select(installed []Installed, constraints version.Constraints) (Installed, bool) {
	var best Installed
	ok := false
	for _, in := range installed {
		if !constraints.Check(in.Version) {
			continue
		}
		if len(constraints) == 0 && in.Version.Prerelease() != "" {
			continue
		}
		if !ok || in.Version.GreaterThan(best.Version) {
			best, ok = in, true
		}
	}
	return best, ok
}
