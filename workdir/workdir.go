// Package workdir is what berth remembers about a working directory
// between commands, in its .berth directory or $BERTH_DATA_DIR (as
// Terraform's .terraform and TF_DATA_DIR): the selected workspace, and the
// backend settings and plugin directories of the last "berth init". It is
// machine-specific and not meant for version control.
package workdir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-sh/berth/atomicfile"
	"github.com/berth-sh/berth/state/backend"
)

// DataDirName is the directory, inside the working directory, that holds
// what berth remembers, unless EnvDataDir names another.
const DataDirName = ".berth"

// EnvDataDir names the directory that holds what berth remembers about a
// working directory, instead of its .berth (Terraform's TF_DATA_DIR); a
// relative one is taken relative to the working directory.
const EnvDataDir = "BERTH_DATA_DIR"

// EnvWorkspace selects the workspace for one command, overriding the
// selected one (Terraform's TF_WORKSPACE).
const EnvWorkspace = "BERTH_WORKSPACE"

const (
	environmentFile = "environment" // the selected workspace's name
	backendFile     = "backend.json"
	pluginDirsFile  = "plugin-dirs" // the -plugin-dir flags of the last init
)

// DataDir returns the directory that holds what berth remembers about
// workDir: $BERTH_DATA_DIR when set, else workDir/.berth. It is the one
// place that decides; everything berth keeps per working directory goes
// through a Dir made by New.
func DataDir(workDir string, getenv func(string) string) string {
	d := getenv(EnvDataDir)
	if d == "" {
		return filepath.Join(workDir, DataDirName)
	}
	if !filepath.IsAbs(d) {
		d = filepath.Join(workDir, d)
	}
	return filepath.Clean(d)
}

// Dir is a working directory and the data berth keeps about it.
type Dir struct {
	work, data string
}

// New returns the working directory at workDir, its data in DataDir.
func New(workDir string, getenv func(string) string) *Dir {
	return &Dir{work: workDir, data: DataDir(workDir, getenv)}
}

func (d *Dir) file(name string) string { return filepath.Join(d.data, name) }

// Workspace returns the workspace commands use: $BERTH_WORKSPACE when set
// (fromEnv true), else the one "berth workspace select" recorded, else
// the default workspace.
func (d *Dir) Workspace(getenv func(string) string) (name string, fromEnv bool, err error) {
	if v := getenv(EnvWorkspace); v != "" {
		if err := backend.CheckWorkspaceName(v); err != nil {
			return "", true, fmt.Errorf("%s: %w", EnvWorkspace, err)
		}
		return v, true, nil
	}
	data, err := os.ReadFile(d.file(environmentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return backend.DefaultWorkspace, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading the selected workspace: %w", err)
	}
	name = strings.TrimSpace(string(data))
	if err := backend.CheckWorkspaceName(name); err != nil {
		return "", false, fmt.Errorf("%s: %w", d.file(environmentFile), err)
	}
	return name, false, nil
}

// SelectWorkspace records name as the selected workspace.
func (d *Dir) SelectWorkspace(name string) error {
	if err := backend.CheckWorkspaceName(name); err != nil {
		return err
	}
	if name == backend.DefaultWorkspace {
		err := os.Remove(d.file(environmentFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("selecting workspace %q: %w", name, err)
		}
		return nil
	}
	return d.write(environmentFile, []byte(name+"\n"), 0o644)
}

// Backend is the backend that "berth init" set up: its type, a digest of
// the configuration's backend block as init saw it (so that a changed
// block is noticed), and the -backend-config values given to init, which
// complete or override the block's. Values may be secrets: the file is
// readable by its owner only, as Terraform's .terraform/terraform.tfstate.
type Backend struct {
	Type string `json:"type"`
	// BlockDigest is lang.Backend.Digest of the block, without overrides.
	BlockDigest string `json:"block_digest"`
	// Overrides are the -backend-config values, each the attribute's
	// value in cty's JSON encoding.
	Overrides map[string]json.RawMessage `json:"overrides,omitempty"`
	// Config is the whole configuration the backend was opened with (the
	// block's values and the overrides), in cty's JSON encoding of the
	// backend's schema: what "init -migrate-state" opens to copy the
	// states from once the block has changed.
	Config json.RawMessage `json:"config"`
}

// Backend returns the recorded backend; nil when init recorded none.
func (d *Dir) Backend() (*Backend, error) {
	data, err := os.ReadFile(d.file(backendFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the backend settings of the last berth init: %w", err)
	}
	var b Backend
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v): run berth init again", d.file(backendFile), err)
	}
	return &b, nil
}

// SetBackend records b.
func (d *Dir) SetBackend(b *Backend) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return d.write(backendFile, append(data, '\n'), 0o600)
}

func (d *Dir) write(name string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(d.data, 0o755); err != nil {
		return err
	}
	return atomicfile.Write(d.file(name), data, perm)
}

// PluginDirs returns the plugin directories that "berth init -plugin-dir"
// recorded (absolute), or nil.
func (d *Dir) PluginDirs() ([]string, error) {
	data, err := os.ReadFile(d.file(pluginDirsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the plugin directories of the last berth init: %w", err)
	}
	var dirs []string
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimSpace(line); line != "" {
			dirs = append(dirs, line)
		}
	}
	return dirs, nil
}

// SetPluginDirs records dirs, the -plugin-dir flags of "berth init", for
// the later commands, which have no such flag (as Terraform's
// .terraform/plugin_path); with none it forgets them, so that an init
// without -plugin-dir goes back to the default search path. Relative dirs
// are made absolute from the working directory, so that the record means
// the same whatever -chdir later says.
func (d *Dir) SetPluginDirs(dirs []string) error {
	if len(dirs) == 0 {
		if err := os.Remove(d.file(pluginDirsFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	var b strings.Builder
	for _, dir := range dirs {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(d.work, dir)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		b.WriteString(abs + "\n")
	}
	return d.write(pluginDirsFile, []byte(b.String()), 0o644)
}
