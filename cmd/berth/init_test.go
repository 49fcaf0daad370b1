package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/providers/install"
	"github.com/berth-sh/berth/workdir"
)

// initTestEnv is a working directory with a configuration, a private HOME
// and a plugin directory, so tests never see the machine's own plugins.
type initTestEnv struct {
	work, home, plugins string
}

func newInitTestEnv(t *testing.T, config string) *initTestEnv {
	t.Helper()
	e := &initTestEnv{work: t.TempDir(), home: t.TempDir(), plugins: t.TempDir()}
	t.Setenv("HOME", e.home)
	t.Setenv(install.EnvPluginDir, "")
	t.Setenv("NO_COLOR", "1")
	e.writeConfig(t, config)
	return e
}

func (e *initTestEnv) writeConfig(t *testing.T, config string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.work, "main.berth.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
}

// plugin installs a fake provider binary under dir. Any bytes do: init
// hashes binaries but never runs them.
func (e *initTestEnv) plugin(t *testing.T, dir, ns, name, ver, content string) string {
	t.Helper()
	path := filepath.Join(dir, ns, name, ver, install.Platform, "berth-provider-"+name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n# "+content+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// berth runs the CLI in the working directory with the given arguments
// after the command name's position (-chdir is added).
func (e *initTestEnv) berth(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"-chdir=" + e.work}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func (e *initTestEnv) lock(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.work, install.LockFileName))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fileHash(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return install.FormatHash(sum[:])
}

const initTestConfig = `berth {
  required_providers {
    acmedns = { source = "acme/dns", version = "~> 1.2" }
    docker  = { source = "berth/docker" }
  }
}
`

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

// wantDiagText is wantContains for rendered diagnostics, which wrap long
// lines: runs of white space compare equal.
func wantDiagText(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(got), " ")
	for _, w := range wants {
		if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

// TestInitLifecycle walks one configuration through what a team does with
// it: first init, re-init with a newer version around, -upgrade, a binary
// that changes behind berth's back, and re-locking it on purpose.
func TestInitLifecycle(t *testing.T) {
	e := newInitTestEnv(t, initTestConfig)
	e.plugin(t, e.plugins, "acme", "dns", "1.1.0", "1.1.0")
	p12 := e.plugin(t, e.plugins, "acme", "dns", "1.2.0", "1.2.0")
	e.plugin(t, e.plugins, "acme", "dns", "2.0.0", "2.0.0")
	ctx := context.Background()

	// First init: the newest version meeting ~> 1.2.
	code, stdout, stderr := e.berth(t, "init", "-plugin-dir="+e.plugins)
	if code != 0 {
		t.Fatalf("init exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := "Initializing the backend...\n" +
		"- Using the local backend\n\n" +
		"Initializing provider plugins...\n" +
		"- Using acme/dns 1.2.0 from " + p12 + "\n" +
		"- Using built-in provider docker\n" +
		"\nberth has created a lock file berth.lock.hcl to record the provider selections\n"
	if !strings.HasPrefix(stdout, want) {
		t.Errorf("init output:\n%s\nwant it to start with:\n%s", stdout, want)
	}
	wantContains(t, "init output", stdout, "berth has been successfully initialized!\n")
	wantLock := `# This file is maintained automatically by "berth init".
# Manual edits may be lost in future updates.

provider "acme/dns" {
  version     = "1.2.0"
  constraints = "~> 1.2"
  hashes = [
    "` + fileHash(t, p12) + `",
  ]
}
`
	if got := e.lock(t); got != wantLock {
		t.Errorf("lock file:\n%s\nwant:\n%s", got, wantLock)
	}

	// What the engine does on every run: the saved -plugin-dir is searched
	// without the flag, and the locked binary verifies.
	saved, err := workdir.New(e.work, os.Getenv).PluginDirs()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := install.SearchDirs(e.work, saved)
	if err != nil {
		t.Fatal(err)
	}
	lock, diags := install.ReadLockFile(filepath.Join(e.work, install.LockFileName))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	dns, _ := install.ParseSource("acme/dns")
	launch, err := install.Resolve(ctx, dirs, lock, dns)
	if err != nil || launch.Path != p12 || launch.Version.String() != "1.2.0" {
		t.Fatalf("Resolve after init = %+v, %v; want %s 1.2.0", launch, err, p12)
	}
	launch.Close()

	// A newer matching version appears: re-init keeps the lock, byte for byte.
	p13 := e.plugin(t, e.plugins, "acme", "dns", "1.3.0", "1.3.0")
	code, stdout, stderr = e.berth(t, "init")
	if code != 0 {
		t.Fatalf("re-init exit %d\n%s%s", code, stdout, stderr)
	}
	wantContains(t, "re-init output", stdout, "- Using acme/dns 1.2.0 from "+p12+" (locked)\n")
	if strings.Contains(stdout, "lock file") {
		t.Errorf("re-init with nothing to change mentions the lock file:\n%s", stdout)
	}
	if got := e.lock(t); got != wantLock {
		t.Errorf("re-init changed the lock file:\n%s", got)
	}

	// -upgrade moves to the newest matching version.
	code, stdout, stderr = e.berth(t, "init", "-upgrade", "-plugin-dir="+e.plugins)
	if code != 0 {
		t.Fatalf("init -upgrade exit %d\n%s%s", code, stdout, stderr)
	}
	wantContains(t, "init -upgrade output", stdout,
		"- Using acme/dns 1.3.0 from "+p13+" (upgraded from 1.2.0)\n",
		"berth has made some changes to the provider selections recorded in berth.lock.hcl.")
	wantContains(t, "lock file", e.lock(t), `version     = "1.3.0"`, fileHash(t, p13))
	lock, _ = install.ReadLockFile(filepath.Join(e.work, install.LockFileName))
	locked := lock.Provider(dns)

	// The binary changes behind berth's back: verification refuses it, and
	// so does init, each saying how to re-lock.
	oldHash := fileHash(t, p13)
	if err := os.WriteFile(p13, []byte("#!/bin/sh\n# rebuilt\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	newHash := fileHash(t, p13)
	wantMsg := "provider acme/dns 1.3.0 at " + p13 + " does not match the checksum in berth.lock.hcl (got " + newHash +
		", locked " + oldHash + `); if you upgraded it on purpose, run "berth init -upgrade"`
	_, err = install.Verify(ctx, p13, locked)
	var ce *install.ChecksumError
	if !errors.As(err, &ce) || err.Error() != wantMsg {
		t.Errorf("Verify of the changed binary: %v\nwant: %s", err, wantMsg)
	}
	if _, err := install.Resolve(ctx, dirs, lock, dns); err == nil || err.Error() != wantMsg {
		t.Errorf("Resolve of the changed binary: %v\nwant: %s", err, wantMsg)
	}
	code, stdout, stderr = e.berth(t, "init")
	if code != 1 {
		t.Fatalf("init with a changed binary: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	wantDiagText(t, "init stderr", stderr, "Provider checksum mismatch", wantMsg, "main.berth.hcl line 3")
	wantContains(t, "lock file after the refused init", e.lock(t), oldHash)

	// Re-locking on purpose.
	code, stdout, stderr = e.berth(t, "init", "-upgrade")
	if code != 0 {
		t.Fatalf("init -upgrade after the change: exit %d\n%s%s", code, stdout, stderr)
	}
	wantContains(t, "init -upgrade output", stdout, "- Using acme/dns 1.3.0 from "+p13+" (checksum re-locked)\n")
	lock, _ = install.ReadLockFile(filepath.Join(e.work, install.LockFileName))
	if _, err := install.Verify(ctx, p13, lock.Provider(dns)); err != nil {
		t.Errorf("Verify after re-locking: %v", err)
	}
}

func TestInitErrors(t *testing.T) {
	tests := []struct {
		name   string
		config string
		lock   string
		setup  func(t *testing.T, e *initTestEnv)
		args   []string
		stderr []string
	}{
		{
			name:   "no matching version",
			config: initTestConfig,
			setup: func(t *testing.T, e *initTestEnv) {
				e.plugin(t, e.plugins, "acme", "dns", "2.0.0", "2.0.0")
			},
			stderr: []string{"Error: No matching provider version installed", `berth needs version "~> 1.2" of acme/dns`,
				"Installed versions: 2.0.0 (in ", "berth looked for acme/dns/<version>/" + install.Platform + "/berth-provider-dns in:",
				"main.berth.hcl line 3"},
		},
		{
			name:   "locked version gone",
			config: initTestConfig,
			lock:   "provider \"acme/dns\" {\n  version = \"1.2.7\"\n  hashes = [\"sha256:" + strings.Repeat("0", 64) + "\"]\n}\n",
			setup: func(t *testing.T, e *initTestEnv) {
				e.plugin(t, e.plugins, "acme", "dns", "1.2.0", "1.2.0")
			},
			stderr: []string{"Error: Locked provider version is not installed", "acme/dns 1.2.7 is locked in berth.lock.hcl", `run "berth init -upgrade"`},
		},
		{
			name:   "malformed lock file",
			config: initTestConfig,
			lock:   "provider \"acme/dns\" {\n  version = \"1.2.0\"\n  hashes = [\"md5:0\"]\n}\n",
			stderr: []string{"Error: Invalid hash in the lock file", "berth.lock.hcl line 3"},
		},
		{
			name:   "configuration error",
			config: "berth {\n  required_providers {\n    acmedns = { source = \"acme\" }\n  }\n}\n",
			stderr: []string{"Error: Invalid provider source", "main.berth.hcl line 3"},
		},
		{
			name:   "unknown built-in",
			config: "berth {\n  required_providers {\n    nomad = { source = \"berth/nomad\" }\n  }\n}\n",
			stderr: []string{"Error: Invalid provider source", `unknown built-in provider "nomad"`, "main.berth.hcl line 3"},
		},
		{
			name:   "stray argument",
			config: initTestConfig,
			args:   []string{"init", "somewhere"},
			stderr: []string{"init takes no arguments"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newInitTestEnv(t, tt.config)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			if tt.lock != "" {
				if err := os.WriteFile(filepath.Join(e.work, install.LockFileName), []byte(tt.lock), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := tt.args
			if args == nil {
				args = []string{"init", "-plugin-dir=" + e.plugins}
			}
			code, stdout, stderr := e.berth(t, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			wantDiagText(t, "stderr", stderr, tt.stderr...)
			if strings.Contains(stdout, "successfully initialized") {
				t.Errorf("failed init claims success:\n%s", stdout)
			}
			if tt.lock == "" {
				if _, err := os.Stat(filepath.Join(e.work, install.LockFileName)); !os.IsNotExist(err) {
					t.Errorf("failed init wrote a lock file: %v", err)
				}
			}
		})
	}
}

// TestInitDefaultPluginDir checks the default ~/.berth/plugins (under
// $HOME) and that paths under the home directory are shown with ~.
func TestInitDefaultPluginDir(t *testing.T) {
	e := newInitTestEnv(t, initTestConfig)
	e.plugin(t, filepath.Join(e.home, ".berth", "plugins"), "acme", "dns", "1.2.0", "1.2.0")
	code, stdout, stderr := e.berth(t, "init")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	wantContains(t, "stdout", stdout, "- Using acme/dns 1.2.0 from "+filepath.Join("~", ".berth", "plugins", "acme", "dns", "1.2.0", install.Platform, "berth-provider-dns")+"\n")
}

// TestInitBuiltinsOnly: a configuration without third-party providers
// needs no lock file, as in Terraform.
func TestInitBuiltinsOnly(t *testing.T) {
	e := newInitTestEnv(t, "berth {\n  required_providers {\n    hosts = { source = \"berth/docker\", version = \"~> 1.0\" }\n  }\n}\n")
	code, stdout, stderr := e.berth(t, "init")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	wantContains(t, "stdout", stdout, "- Using built-in provider docker\n", "berth has been successfully initialized!")
	// The constraint cannot mean anything for a provider that is part of
	// berth: a warning (on stdout, as Terraform prints warnings) says so.
	wantDiagText(t, "stdout", stdout, "Warning: Version constraint on a built-in provider", `the constraint "~> 1.0" is ignored`, "main.berth.hcl line 3")
	if _, err := os.Stat(filepath.Join(e.work, install.LockFileName)); !os.IsNotExist(err) {
		t.Errorf("lock file written for built-in providers only: %v", err)
	}
}
