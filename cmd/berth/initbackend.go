package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/statemgr"
	"github.com/berth-sh/berth/workdir"
)

// backendInit are init's backend options.
type backendInit struct {
	configs     stringsFlag // -backend-config KEY=VALUE|FILE
	reconfigure bool        // forget the recorded backend, migrate nothing
	migrate     bool        // copy the states from the recorded backend
	forceCopy   bool        // overwrite newer states at the destination
}

// initBackend sets up the state backend, as Terraform's init: the
// configuration's block completed by -backend-config values, recorded in
// the working directory for later commands. When the backend changed
// since the last init (or a local state exists and the configuration now
// names another backend), the user says what becomes of the states:
// -migrate-state copies them (every workspace, lineage and serial kept),
// -reconfigure leaves them where they are.
func (m *Meta) initBackend(ctx context.Context, cfg *lang.Config, o *backendInit) hcl.Diagnostics {
	errDiag := func(summary, detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}
	}
	block, diags := lang.StateBackend(cfg)
	if diags.HasErrors() {
		return diags
	}
	wd := m.workdir()
	rec, err := wd.Backend()
	if err != nil {
		return errDiag("Cannot read the working directory's settings", err.Error()+".")
	}
	overrides := map[string]cty.Value{}
	for _, arg := range o.configs {
		vals, d := lang.ParseBackendConfig(block.Type, arg, m.Dir)
		diags = append(diags, d...)
		maps.Copy(overrides, vals)
	}
	if diags.HasErrors() {
		return diags
	}
	if len(o.configs) == 0 && rec != nil && rec.Type == block.Type && rec.BlockDigest == block.Digest() && !o.reconfigure {
		// init again without -backend-config keeps the last ones.
		kept, err := lang.DecodeBackendOverrides(block.Type, rec.Overrides)
		if err == nil {
			overrides = kept
		}
	}
	eff := block.WithOverrides(overrides)
	encoded, err := lang.EncodeBackendConfig(eff)
	if err != nil {
		return errDiag("Invalid backend settings", err.Error()+".")
	}
	encOverrides, err := lang.EncodeBackendOverrides(overrides)
	if err != nil {
		return errDiag("Invalid backend settings", err.Error()+".")
	}
	to, d := m.openWorkspaces(eff)
	if d.HasErrors() {
		return append(diags, d...)
	}

	from, fromDesc, d := m.previousBackend(ctx, rec, eff.Type, encoded, to)
	if d.HasErrors() {
		return append(diags, d...)
	}
	fmt.Fprintln(m.Stdout, sgr(m, "1", "Initializing the backend..."))
	switch {
	case from == nil:
		fmt.Fprintf(m.Stdout, "- Using the %s backend\n", eff.Type)
	case o.reconfigure:
		fmt.Fprintf(m.Stdout, "- Using the %s backend; the states in %s stay there (-reconfigure)\n", eff.Type, fromDesc)
	case o.migrate:
		enc, d := m.encryption(cfg, nil)
		if d.HasErrors() {
			return append(diags, d...)
		}
		g := &statemgr.Migration{From: from, To: to, Overwrite: o.forceCopy,
			Options: []statemgr.Option{statemgr.WithEncryption(enc.StateTarget())}}
		done, err := g.Run(ctx)
		for _, r := range done {
			switch r.Outcome {
			case "copied":
				fmt.Fprintf(m.Stdout, "- Copied workspace %q (serial %d) from %s to %s\n", r.Name, r.Serial, r.From, r.To)
			case "unchanged":
				fmt.Fprintf(m.Stdout, "- Workspace %q: %s already holds this state\n", r.Name, r.To)
			}
		}
		if err != nil {
			return append(diags, errDiag("State migration failed", err.Error()+". The backend settings were not changed: the last init's backend is still the one in use.")...)
		}
		fmt.Fprintf(m.Stdout, "- Using the %s backend; the states of %s were copied, and are left there as they were\n", eff.Type, fromDesc)
	default:
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Backend configuration changed",
			Detail: fmt.Sprintf("The states are in %s, and the backend settings now name %s. Run \"berth init -migrate-state\" to copy them (every workspace, with its lineage and serial), or \"berth init -reconfigure\" to use the new backend as it is, leaving them behind.", fromDesc, describeWorkspaces(eff.Type, to))}
		if block.TypeRange.Filename != "" {
			d.Subject = block.TypeRange.Ptr()
		}
		return append(diags, d)
	}
	if err := wd.SetBackend(&workdir.Backend{Type: eff.Type, BlockDigest: block.Digest(), Overrides: encOverrides, Config: encoded}); err != nil {
		return append(diags, errDiag("Cannot record the backend settings", err.Error()+".")...)
	}
	return diags
}

// previousBackend returns the backend whose states are to be migrated or
// left behind: the one the last init recorded, when its settings differ
// from newConfig; without a record, a local state in the default place
// (berth.state, or its workspaces), when the new backend, to, keeps its
// states elsewhere. nil when nothing changed.
func (m *Meta) previousBackend(ctx context.Context, rec *workdir.Backend, newType string, newConfig []byte, to backend.Workspaces) (backend.Workspaces, string, hcl.Diagnostics) {
	if rec != nil {
		if rec.Type == newType && sameJSON(rec.Config, newConfig) {
			return nil, "", nil
		}
		prev, err := lang.DecodeBackendConfig(rec.Type, rec.Config)
		if err != nil {
			return nil, "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot open the previous backend", Detail: err.Error() + `; run "berth init -reconfigure".`}}
		}
		ws, d := m.openWorkspaces(prev)
		if d.HasErrors() {
			return nil, "", d
		}
		if empty, err := holdsNoState(ctx, ws); err == nil && empty {
			return nil, "", nil // nothing to migrate or leave behind
		}
		return ws, describeWorkspaces(rec.Type, ws), nil
	}
	path := filepath.Join(m.Dir, local.DefaultPath)
	_, errState := os.Stat(path)
	_, errDir := os.Stat(path + local.WorkspacesDirSuffix)
	if errState != nil && errDir != nil {
		return nil, "", nil // no local state to leave behind
	}
	if b, err := to.Workspace(backend.DefaultWorkspace); err == nil && b.Location() == path {
		return nil, "", nil
	}
	prev := local.NewWorkspaces(path)
	return prev, describeWorkspaces(local.Name, prev), nil
}

// describeWorkspaces names a backend's states in messages: its default
// workspace's location.
func describeWorkspaces(typ string, ws backend.Workspaces) string {
	if b, err := ws.Workspace(backend.DefaultWorkspace); err == nil {
		return fmt.Sprintf("the %s backend (%s)", typ, b.Location())
	}
	return "the " + typ + " backend"
}

// sameJSON compares two JSON documents ignoring layout (the recorded one
// is indented).
func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}

// holdsNoState reports whether ws stores no state at all: only the
// default workspace, with nothing stored.
func holdsNoState(ctx context.Context, ws backend.Workspaces) (bool, error) {
	names, err := ws.Workspaces(ctx)
	if err != nil || len(names) > 1 {
		return false, err
	}
	b, err := ws.Workspace(backend.DefaultWorkspace)
	if err != nil {
		return false, err
	}
	_, found, err := b.Get(ctx)
	return !found, err
}
