package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core"
	"github.com/berth-sh/berth/core/rollout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/install"
	"github.com/berth-sh/berth/providers/plugin"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// The wiring every engine command shares: load and validate the
// configuration, collect variables, open the state backend, and launch
// providers (built in: berth itself; third party: verified against the
// lock file).

// loadConfig loads and validates the configuration in m.Dir.
func (m *Meta) loadConfig() (*lang.Config, hcl.Diagnostics) {
	cfg, diags := lang.LoadDir(m.Dir)
	if diags.HasErrors() {
		return cfg, diags
	}
	ws, _, d := m.workspaceName()
	if diags = diags.Extend(d); diags.HasErrors() {
		return cfg, diags
	}
	cfg.Workspace = ws
	return cfg, diags.Extend(lang.Validate(cfg))
}

// engine builds an engine for cfg with the variables given on the command
// line (-var, -var-file), in files and in the environment.
func (m *Meta) engine(cfg *lang.Config, vars []lang.VarArg, parallelism int) (*core.Engine, hcl.Diagnostics) {
	values, diags := lang.CollectVariables(cfg, m.Dir, vars, os.Environ())
	if diags.HasErrors() {
		return nil, diags
	}
	return m.newEngine(cfg, values, parallelism), diags
}

// uncoordinatedTrafficEnv is a test-only switch: set to 1, rollouts do
// not drain and admit instances through the load balancers in front of
// an app, so that a test can show what clients see without that
// coordination (docs/aws.md).
const uncoordinatedTrafficEnv = "BERTH_TEST_UNCOORDINATED_TRAFFIC"

// newEngine is the engine of cfg with the variables' values.
func (m *Meta) newEngine(cfg *lang.Config, values map[string]cty.Value, parallelism int) *core.Engine {
	eng := &core.Engine{Config: cfg, Variables: values, Launcher: m.launcher(cfg), Parallelism: parallelism}
	if os.Getenv(uncoordinatedTrafficEnv) == "1" {
		eng.RolloutHooks = func(addrs.Instance) rollout.Hooks { return rollout.NoHooks{} }
	}
	return eng
}

// encryption evaluates the encryption of cfg (nil without a
// configuration) and BERTH_ENCRYPTION, with the input variables of vars,
// var files and the environment; nil when nothing is encrypted.
func (m *Meta) encryption(cfg *lang.Config, vars []lang.VarArg) (*encryption.Config, hcl.Diagnostics) {
	return lang.EncryptionConfig(cfg, vars, os.Environ())
}

// launcher starts providers: built-in ones as plugin processes of this
// very binary, third-party ones from the plugin directories after checking
// them against berth.lock.hcl and the configuration's version constraints.
func (m *Meta) launcher(cfg *lang.Config) core.Launcher {
	return core.LauncherFunc(func(ctx context.Context, localName, source string) (providers.Interface, error) {
		src, err := install.ParseSource(source)
		if err != nil {
			return nil, err
		}
		if src.IsBuiltin() {
			spec, err := plugin.BuiltinSpec(src.Name)
			if err != nil {
				return nil, err
			}
			return plugin.Launch(ctx, spec)
		}
		locks, diags := install.ReadLockFile(filepath.Join(m.Dir, install.LockFileName))
		if diags.HasErrors() {
			return nil, diags
		}
		dirs, err := install.SearchDirs(m.Dir, nil)
		if err != nil {
			return nil, err
		}
		if lp := locks.Provider(src); lp != nil && cfg != nil && cfg.Berth != nil {
			if rp := cfg.Berth.RequiredProviders[localName]; rp != nil && rp.Version != nil && !rp.Version.Check(lp.Version) {
				return nil, fmt.Errorf("the locked version %s of %s does not meet the configuration's constraint %q; run \"berth init -upgrade\" to select and lock a version that does",
					lp.Version, src, install.FormatConstraints(rp.Version))
			}
		}
		l, err := install.Resolve(ctx, dirs, locks, src)
		if err != nil {
			return nil, err
		}
		// The file Resolve opened and verified is the one that runs;
		// Launch returns once the process has started from it.
		defer l.Close()
		return plugin.Launch(ctx, plugin.Spec{Name: src.String(), Path: l.Path, File: l.File})
	})
}
