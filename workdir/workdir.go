// Package workdir is what berth remembers about a working directory
// between commands, in its .berth directory (as Terraform's .terraform):
// the selected workspace and the backend settings of the last
// "berth init". It is machine-specific and not meant for version control.
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
// what berth remembers.
const DataDirName = ".berth"

// EnvWorkspace selects the workspace for one command, overriding the
// selected one (Terraform's TF_WORKSPACE).
const EnvWorkspace = "BERTH_WORKSPACE"

const (
	environmentFile = "environment" // the selected workspace's name
	backendFile     = "backend.json"
)

// Dir is a working directory.
type Dir struct {
	path string
}

// New returns the working directory at path.
func New(path string) *Dir { return &Dir{path: path} }

func (d *Dir) file(name string) string { return filepath.Join(d.path, DataDirName, name) }

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
	if err := os.MkdirAll(filepath.Join(d.path, DataDirName), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(d.file(name), data, perm)
}
