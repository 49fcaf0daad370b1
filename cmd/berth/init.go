package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers/install"
	"github.com/hashicorp/hcl/v2"
)

func init() {
	register(&Command{
		Name:     "init",
		Synopsis: "Select the configuration's providers and lock them",
		Run:      runInit,
	})
}

// stringsFlag is a repeatable flag: -plugin-dir=a -plugin-dir=b.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	*s = append(*s, v)
	return nil
}

// runInit selects, for every required_providers entry, the installed
// provider version to use and records it with its checksum in
// berth.lock.hcl. It installs nothing itself: third-party providers are
// put in a plugin directory by the team (docs/providers-install.md), and
// init never launches them.
func runInit(ctx context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("init")
	var pluginDirs stringsFlag
	fs.Var(&pluginDirs, "plugin-dir", "search `DIR` for provider plugins, before $BERTH_PLUGIN_DIR and ~/.berth/plugins (repeatable; remembered for later commands)")
	upgrade := fs.Bool("upgrade", false, "ignore the locked versions: select the newest installed versions that meet the constraints and lock their current checksums")
	noColor := fs.Bool("no-color", false, "disable colour in the output")
	var bi backendInit
	fs.Var(&bi.configs, "backend-config", "a backend setting, `KEY=VALUE`, or a file of settings (repeatable): completes or overrides the backend block, and is remembered for later commands")
	fs.BoolVar(&bi.migrate, "migrate-state", false, "copy the states (every workspace) from the previous backend to the one the configuration names now")
	fs.BoolVar(&bi.reconfigure, "reconfigure", false, "use the backend the configuration names now, leaving the states of the previous one where they are")
	fs.BoolVar(&bi.forceCopy, "force-copy", false, "with -migrate-state, replace a newer state of the same lineage at the destination")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth [-chdir=DIR] init [-backend-config=KEY=VALUE|FILE]... [-migrate-state|-reconfigure] [-plugin-dir=DIR]... [-upgrade] [-no-color]\n\n"+
			"Sets up the state backend (remembering -backend-config for later commands;\n"+
			"when the backend changed, -migrate-state copies the states to the new one).\n"+
			"Selects an installed version of every provider in required_providers and\n"+
			"records it, with the sha256 of its binary, in %s. A locked version is\n"+
			"kept while it meets the constraints, unless -upgrade is given.\n\nOptions:\n", install.LockFileName)
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if *noColor {
		m.Color = false
	}
	if fs.NArg() > 0 {
		m.Errorf("init takes no arguments; use berth -chdir=%s init.", fs.Arg(0))
		return 1
	}

	if bi.migrate && bi.reconfigure {
		m.Errorf("-migrate-state and -reconfigure contradict each other: pick one.")
		return 1
	}
	lockPath := filepath.Join(m.Dir, install.LockFileName)
	cfg, reqs, prior, files, diags := m.loadRequirements()
	if diags.HasErrors() {
		m.showDiagnostics(diags, files)
		return 1
	}
	diags = append(diags, m.initBackend(ctx, cfg, &bi)...)
	if diags.HasErrors() {
		m.showDiagnostics(diags, files)
		return 1
	}
	fmt.Fprintln(m.Stdout)
	dirs, err := m.pluginSearchDirs(pluginDirs)
	if err != nil {
		m.Errorf("finding the plugin directories: %s", err)
		return 1
	}

	fmt.Fprintln(m.Stdout, sgr(m, "1", "Initializing provider plugins..."))
	res, initDiags := install.Init(ctx, install.InitRequest{Requirements: reqs, Dirs: dirs, Lock: prior, Upgrade: *upgrade})
	diags = append(diags, initDiags...)
	for _, c := range res.Choices {
		fmt.Fprintln(m.Stdout, describeChoice(c))
	}
	if diags.HasErrors() {
		m.showDiagnostics(diags, files)
		return 1
	}
	for _, src := range res.Removed {
		fmt.Fprintf(m.Stdout, "- Removing %s from %s: the configuration no longer requires it\n", src, install.LockFileName)
	}

	// Remember -plugin-dir for plan and apply, or forget the last init's.
	if err := m.workdir().SetPluginDirs(pluginDirs); err != nil {
		m.Errorf("remembering the plugin directories: %s", err)
		return 1
	}
	status, err := writeLock(lockPath, res.Lock)
	if err != nil {
		m.Errorf("writing %s: %s", install.LockFileName, err)
		return 1
	}
	switch status {
	case lockCreated:
		fmt.Fprintf(m.Stdout, "\nberth has created a lock file %s to record the provider selections\n"+
			"made above. Include this file in your version control repository so that\n"+
			"berth makes the same selections when you run \"berth init\" in the future.\n", install.LockFileName)
	case lockUpdated:
		fmt.Fprintf(m.Stdout, "\nberth has made some changes to the provider selections recorded in %s.\n"+
			"Review those changes and commit them to your version control repository if\n"+
			"they represent changes you intended to make.\n", install.LockFileName)
	}
	m.showDiagnostics(diags, files) // warnings, if any
	fmt.Fprintf(m.Stdout, "\n%s\n", sgr(m, "1;32", "berth has been successfully initialized!"))
	return 0
}

// requirements converts the configuration's required_providers entries, in
// the order of their local names so output is deterministic. An entry
// without a source names the built-in provider of its local name
// (docker = {}), as a Terraform entry without one defaults to hashicorp/.
// loadRequirements loads the configuration's required providers and the
// lock file, with the files both came from (for diagnostic snippets).
func (m *Meta) loadRequirements() (*lang.Config, []install.Requirement, *install.Lock, map[string]*hcl.File, hcl.Diagnostics) {
	cfg, diags := lang.LoadDir(m.Dir)
	// A copy: the lock file is added to it for snippets, and the
	// loader's map is not ours to change.
	files := map[string]*hcl.File{}
	if cfg != nil {
		maps.Copy(files, cfg.Files)
	}
	if diags.HasErrors() {
		return cfg, nil, nil, files, diags
	}
	reqs, d := requirements(cfg)
	diags = append(diags, d...)
	lock, d := readLock(filepath.Join(m.Dir, install.LockFileName), files)
	return cfg, reqs, lock, files, append(diags, d...)
}

func requirements(cfg *lang.Config) ([]install.Requirement, hcl.Diagnostics) {
	if cfg == nil || cfg.Berth == nil {
		return nil, nil
	}
	var diags hcl.Diagnostics
	names := make([]string, 0, len(cfg.Berth.RequiredProviders))
	for n := range cfg.Berth.RequiredProviders {
		names = append(names, n)
	}
	sort.Strings(names)
	var reqs []install.Requirement
	for _, n := range names {
		rp := cfg.Berth.RequiredProviders[n]
		source := rp.Source
		if source == "" {
			source = rp.Name
		}
		src, err := install.ParseSource(source)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid provider source",
				Detail:   fmt.Sprintf("In required_providers entry %q: %s.", rp.Name, err),
				Subject:  rp.DeclRange.Ptr(),
			})
			continue
		}
		if src.IsBuiltin() && len(rp.Version) > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Version constraint on a built-in provider",
				Detail:   fmt.Sprintf("%s is built into berth, so its version is berth's own and the constraint %q is ignored; constrain berth's version with required_version instead.", src, rp.VersionString),
				Subject:  rp.DeclRange.Ptr(),
			})
		}
		reqs = append(reqs, install.Requirement{LocalName: rp.Name, Source: src, Constraints: rp.Version, Range: rp.DeclRange})
	}
	return reqs, diags
}

// readLock reads the lock file and adds it to files so its diagnostics are
// shown with snippets.
func readLock(path string, files map[string]*hcl.File) (*install.Lock, hcl.Diagnostics) {
	if src, err := os.ReadFile(path); err == nil {
		files[path] = &hcl.File{Bytes: src}
	}
	return install.ReadLockFile(path)
}

type lockStatus int

const (
	lockUnchanged lockStatus = iota
	lockCreated
	lockUpdated
)

// writeLock writes the lock file when its content changes. A configuration
// with only built-in providers gets no lock file, as Terraform writes none
// without providers; an existing one is still updated (emptied).
func writeLock(path string, lock *install.Lock) (lockStatus, error) {
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	if !exists && len(lock.Providers()) == 0 {
		return lockUnchanged, nil
	}
	if exists && bytes.Equal(old, lock.Bytes()) {
		return lockUnchanged, nil
	}
	if err := install.WriteLockFile(path, lock); err != nil {
		return 0, err
	}
	if exists {
		return lockUpdated, nil
	}
	return lockCreated, nil
}

// describeChoice is init's line about one provider.
func describeChoice(c install.Choice) string {
	src := c.Requirement.Source
	if c.Action == install.Builtin {
		return "- Using built-in provider " + src.String()
	}
	line := fmt.Sprintf("- Using %s %s from %s", src, c.Installed.Version, displayPath(c.Installed.Path))
	switch c.Action {
	case install.Kept:
		line += " (locked)"
	case install.Upgraded:
		if c.Previous != nil && c.Previous.Equal(c.Installed.Version) {
			line += " (checksum re-locked)"
		} else if c.Previous != nil {
			line += fmt.Sprintf(" (upgraded from %s)", c.Previous)
		}
	case install.Relocked:
		line += fmt.Sprintf(" (the locked %s does not meet %q)", c.Previous, install.FormatConstraints(c.Requirement.Constraints))
	}
	return line
}

// displayPath abbreviates the home directory to ~, as users write it.
func displayPath(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	if rel, err := filepath.Rel(home, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
		return filepath.Join("~", rel)
	}
	return p
}

// sgr wraps s in the ANSI style code (e.g. "1" bold, "1;32" bold green)
// when colour is on.
func sgr(m *Meta, code, s string) string {
	if !m.Color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
