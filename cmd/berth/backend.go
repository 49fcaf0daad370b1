package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/workdir"
)

// How commands find the state: the configuration's backend block (the
// default backend when it has none), completed by the -backend-config
// values the last "berth init" recorded, and the selected workspace.

// stateBackendConfig returns the backend that stores cfg's states, with
// the -backend-config values of the last init applied. A backend block
// changed since that init is an error: init must say what becomes of the
// states (-migrate-state or -reconfigure), as Terraform's.
func (m *Meta) stateBackendConfig(cfg *lang.Config) (*lang.Backend, hcl.Diagnostics) {
	b, diags := lang.StateBackend(cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	rec, err := m.workdir().Backend()
	if err != nil {
		return nil, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the working directory's settings", Detail: err.Error() + "."})
	}
	if rec == nil {
		return b, diags
	}
	if rec.Type != b.Type || rec.BlockDigest != b.Digest() {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Backend initialization required",
			Detail: fmt.Sprintf("The backend configuration changed since the last berth init (it was backend %q). Run \"berth init -migrate-state\" to copy the states to the new backend, or \"berth init -reconfigure\" to use it as it is.", rec.Type)}
		if b.TypeRange.Filename != "" {
			d.Subject = b.TypeRange.Ptr()
		}
		return nil, diags.Append(d)
	}
	overrides, err := lang.DecodeBackendOverrides(b.Type, rec.Overrides)
	if err != nil {
		return nil, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid backend settings recorded by berth init",
			Detail: err.Error() + `; run "berth init -reconfigure" with the right -backend-config values.`})
	}
	return b.WithOverrides(overrides), diags
}

// openWorkspaces opens the backend b through the backend registry.
func (m *Meta) openWorkspaces(b *lang.Backend) (backend.Workspaces, hcl.Diagnostics) {
	ws, err := backend.Open(b.Type, b.Value, m.Dir)
	if err != nil {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Failed to open the state backend", Detail: err.Error() + "."}
		if b.TypeRange.Filename != "" {
			d.Subject = b.TypeRange.Ptr()
		}
		return nil, hcl.Diagnostics{d}
	}
	return ws, nil
}

// workspaceName is the selected workspace ($BERTH_WORKSPACE, else the one
// selected in the working directory).
func (m *Meta) workspaceName() (name string, fromEnv bool, diags hcl.Diagnostics) {
	name, fromEnv, err := m.workdir().Workspace(os.Getenv)
	if err != nil {
		return "", fromEnv, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid workspace", Detail: err.Error() + "."}}
	}
	return name, fromEnv, nil
}

// backend opens the state of the selected workspace in the backend the
// configuration names, encrypted as enc says. A workspace other than the default must exist
// ("berth workspace new"), so that a mistyped name is not a new, empty
// state that plans to create everything.
func (m *Meta) backend(ctx context.Context, cfg *lang.Config, enc *encryption.Config) (*statemgr.Manager, hcl.Diagnostics) {
	b, diags := m.stateBackendConfig(cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	ws, d := m.openWorkspaces(b)
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return nil, diags
	}
	name, fromEnv, d := m.workspaceName()
	diags = diags.Extend(d)
	if diags.HasErrors() {
		return nil, diags
	}
	if name != backend.DefaultWorkspace {
		names, err := ws.Workspaces(ctx)
		if err != nil {
			return nil, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot list the workspaces", Detail: err.Error() + "."})
		}
		if !slices.Contains(names, name) {
			from := "selected"
			if fromEnv {
				from = "selected by " + workdir.EnvWorkspace
			}
			return nil, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Workspace does not exist",
				Detail: fmt.Sprintf("The workspace %q (%s) does not exist in the %s backend. Create it with \"berth workspace new %s\", or pick one of %s.", name, from, b.Type, name, (&workspaceSet{names: names}).quoted())})
		}
	}
	st, err := ws.Workspace(name)
	if err != nil {
		return nil, diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Failed to open the state backend", Detail: err.Error() + "."})
	}
	return statemgr.New(st, statemgr.WithEncryption(enc.StateTarget())), diags
}
