package berth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/backend/local"
	_ "github.com/berth-sh/berth/state/backend/postgres"
	"github.com/berth-sh/berth/state/statemgr"
)

// writeState stores a state with outputs in the local backend whose
// default state is path, in workspace ws, as an apply would.
func writeState(t *testing.T, path, ws string, outputs map[string]*state.Output) {
	t.Helper()
	b, err := local.NewWorkspaces(path).Workspace(ws)
	if err != nil {
		t.Fatal(err)
	}
	st := state.New()
	st.Outputs = outputs
	if err := statemgr.New(b).Write(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

// networkOutputs are outputs of several types, one sensitive.
func networkOutputs() map[string]*state.Output {
	return map[string]*state.Output{
		"subnet": {Value: cty.StringVal("10.1.0.0/24")},
		"vlan":   {Value: cty.NumberIntVal(42)},
		"public": {Value: cty.True},
		"zones":  {Value: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		"tags":   {Value: cty.MapVal(map[string]cty.Value{"team": cty.StringVal("net")})},
		"router": {Value: cty.ObjectVal(map[string]cty.Value{"ip": cty.StringVal("10.1.0.1"), "port": cty.NumberIntVal(179)})},
		"token":  {Value: cty.StringVal("s3cret"), Sensitive: true},
	}
}

// dataConfig is a berth_remote_state configuration, as the engine sends
// it: every attribute present, outputs null.
func dataConfig(backendName string, config cty.Value, workspace string, defaults cty.Value) cty.Value {
	ws := cty.NullVal(cty.String)
	if workspace != "" {
		ws = cty.StringVal(workspace)
	}
	if config == cty.NilVal {
		config = cty.NullVal(cty.DynamicPseudoType)
	}
	if defaults == cty.NilVal {
		defaults = cty.NullVal(cty.DynamicPseudoType)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"backend":      cty.StringVal(backendName),
		"config":       config,
		"workspace":    ws,
		"defaults":     defaults,
		"passphrase":   cty.NullVal(cty.String),
		"age_identity": cty.NullVal(cty.String),
		"outputs":      cty.NullVal(cty.DynamicPseudoType),
	})
}

func pathConfig(path string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"path": cty.StringVal(path)})
}

func read(t *testing.T, p providers.Interface, config cty.Value) providers.ReadDataSourceResponse {
	t.Helper()
	return p.ReadDataSource(context.Background(), providers.ReadDataSourceRequest{TypeName: "remote_state", Config: config})
}

func TestRemoteStateOutputs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "berth.state")
	writeState(t, path, "default", networkOutputs())
	writeState(t, path, "prod", map[string]*state.Output{"subnet": {Value: cty.StringVal("10.9.0.0/24")}})

	p := New()
	resp := read(t, p, dataConfig("local", pathConfig(path), "", cty.NilVal))
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	outputs := resp.State.GetAttr("outputs")
	for name, o := range networkOutputs() {
		got := outputs.GetAttr(name)
		if got.HasMark(providers.SensitiveMark) != o.Sensitive {
			t.Errorf("outputs.%s: sensitive %v, want %v", name, got.HasMark(providers.SensitiveMark), o.Sensitive)
		}
		if g, _ := got.Unmark(); !g.RawEquals(o.Value) {
			t.Errorf("outputs.%s = %#v, want %#v", name, g, o.Value)
		}
	}
	if outputs.IsMarked() || outputs.GetAttr("subnet").IsMarked() {
		t.Error("only the sensitive output may be marked, not the whole object or the others")
	}
	if ws := resp.State.GetAttr("workspace"); !ws.RawEquals(cty.StringVal("default")) {
		t.Errorf("workspace = %#v, want the default", ws)
	}

	resp = read(t, p, dataConfig("local", pathConfig(path), "prod", cty.NilVal))
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	if got := resp.State.GetAttr("outputs"); !got.RawEquals(cty.ObjectVal(map[string]cty.Value{"subnet": cty.StringVal("10.9.0.0/24")})) {
		t.Errorf("prod outputs = %#v", got)
	}
}

func TestRemoteStateDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.state")
	writeState(t, path, "default", map[string]*state.Output{"subnet": {Value: cty.StringVal("10.1.0.0/24")}})
	p := New()

	tests := []struct {
		name     string
		defaults cty.Value
		want     cty.Value
		marked   []string // outputs that must be sensitive
	}{
		{"fill the missing, keep the stored",
			cty.ObjectVal(map[string]cty.Value{"subnet": cty.StringVal("default"), "dns": cty.StringVal("10.0.0.53")}),
			cty.ObjectVal(map[string]cty.Value{"subnet": cty.StringVal("10.1.0.0/24"), "dns": cty.StringVal("10.0.0.53")}), nil},
		{"a map of defaults",
			cty.MapVal(map[string]cty.Value{"dns": cty.StringVal("10.0.0.53")}),
			cty.ObjectVal(map[string]cty.Value{"subnet": cty.StringVal("10.1.0.0/24"), "dns": cty.StringVal("10.0.0.53")}), nil},
		{"a sensitive default stays sensitive",
			cty.ObjectVal(map[string]cty.Value{"password": cty.StringVal("pw").Mark(providers.SensitiveMark)}),
			cty.ObjectVal(map[string]cty.Value{"subnet": cty.StringVal("10.1.0.0/24"), "password": cty.StringVal("pw")}), []string{"password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := read(t, p, dataConfig("local", pathConfig(path), "", tt.defaults))
			if resp.Diagnostics.HasErrors() {
				t.Fatal(resp.Diagnostics.Error())
			}
			outputs := resp.State.GetAttr("outputs")
			for _, name := range tt.marked {
				if !outputs.GetAttr(name).HasMark(providers.SensitiveMark) {
					t.Errorf("outputs.%s is not marked sensitive", name)
				}
			}
			if got, _ := outputs.UnmarkDeep(); !got.RawEquals(tt.want) {
				t.Errorf("outputs = %#v, want %#v", got, tt.want)
			}
			if outputs.GetAttr("subnet").IsMarked() {
				t.Error("outputs.subnet is marked")
			}
		})
	}
}

func TestRemoteStateErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "berth.state")
	writeState(t, path, "default", networkOutputs())
	writeState(t, path, "dev", networkOutputs())
	corrupt := filepath.Join(dir, "corrupt.state")
	if err := os.WriteFile(corrupt, []byte("{not a state"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		config  cty.Value
		summary string
		path    string // the attribute the diagnostic points at; "" for none
		detail  []string
	}{
		{"bad backend name", dataConfig("lcoal", pathConfig(path), "", cty.NilVal),
			"Invalid value for backend", "backend", []string{`not "lcoal"`, `"local"`, `"postgres"`}},
		{"a setting the backend lacks", dataConfig("local", cty.ObjectVal(map[string]cty.Value{"paht": cty.StringVal(path)}), "", cty.NilVal),
			"Unsupported backend setting", "config.paht", []string{`local backend has no setting "paht"`, `its settings are "path"`}},
		{"a setting of the wrong type", dataConfig("local", cty.ObjectVal(map[string]cty.Value{"path": cty.ListValEmpty(cty.String)}), "", cty.NilVal),
			"Invalid backend setting", "config.path", []string{`setting "path"`, "string required"}},
		{"config not an object", dataConfig("local", cty.StringVal(path), "", cty.NilVal),
			"Invalid backend settings", "config", []string{"must be an object of the local backend's settings"}},
		{"missing workspace", dataConfig("local", pathConfig(path), "prod", cty.NilVal),
			"Workspace not found", "workspace", []string{`no workspace "prod"`, `"default" and "dev"`}},
		{"invalid workspace name", dataConfig("local", pathConfig(path), "../x", cty.NilVal),
			"Invalid workspace name", "workspace", []string{`"../x" is not a valid workspace name`}},
		{"missing state", dataConfig("local", pathConfig(filepath.Join(dir, "none.state")), "", cty.NilVal),
			"No remote state", "workspace", []string{"none.state holds no state for workspace \"default\"", "applied"}},
		{"corrupt state", dataConfig("local", pathConfig(corrupt), "", cty.NilVal),
			"Cannot read the remote state", "", []string{"corrupt.state"}},
		{"defaults not an object", dataConfig("local", pathConfig(path), "", cty.StringVal("x")),
			"Invalid defaults", "defaults", []string{"not string"}},
		{"unreachable server", dataConfig("postgres", cty.ObjectVal(map[string]cty.Value{
			"conn_str": cty.StringVal("postgres://berth:pw@127.0.0.1:1/berth?connect_timeout=10&sslmode=disable")}), "", cty.NilVal),
			"Cannot read the remote state", "", []string{"postgres://127.0.0.1:1/berth", "connect"}},
		{"a backend's own refusal", dataConfig("postgres", cty.ObjectVal(map[string]cty.Value{"schema": cty.StringVal("net")}), "", cty.NilVal),
			"Cannot open the remote state's backend", "config", []string{"The postgres backend refused its settings", "PG_CONN_STR"}},
	}
	t.Setenv("PG_CONN_STR", "")
	p := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := read(t, p, tt.config)
			if !resp.Diagnostics.HasErrors() {
				t.Fatalf("no error; state %#v", resp.State)
			}
			d := resp.Diagnostics[0]
			if d.Summary != tt.summary {
				t.Errorf("summary %q, want %q (%s)", d.Summary, tt.summary, d.Detail)
			}
			if got := diagPath(d); got != tt.path {
				t.Errorf("path %q, want %q", got, tt.path)
			}
			for _, w := range tt.detail {
				if !strings.Contains(d.Detail, w) {
					t.Errorf("detail %q does not contain %q", d.Detail, w)
				}
			}
			if strings.Contains(d.Detail, ":pw@") {
				t.Errorf("detail shows the password: %q", d.Detail)
			}
		})
	}
}

// diagPath renders the attribute path a diagnostic names: "config.paht".
func diagPath(d *hcl.Diagnostic) string {
	var parts []string
	for _, s := range providers.DiagnosticPath(d) {
		if a, ok := s.(cty.GetAttrStep); ok {
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ".")
}

// A relative path is relative to the provider's working directory, which
// is berth's.
func TestRemoteStateRelativePath(t *testing.T) {
	dir := t.TempDir()
	writeState(t, filepath.Join(dir, "network", "berth.state"), "default", networkOutputs())
	t.Chdir(dir)
	resp := read(t, New(), dataConfig("local", pathConfig("network/berth.state"), "", cty.NilVal))
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	if got := resp.State.GetAttr("outputs").GetAttr("vlan"); !got.RawEquals(cty.NumberIntVal(42)) {
		t.Errorf("outputs.vlan = %#v", got)
	}
}

// Reading does not take the lock: an apply holding it does not block the
// reader, and the reader leaves it as it was.
func TestRemoteStateReadsWithoutTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.state")
	writeState(t, path, "default", networkOutputs())
	b, err := local.NewWorkspaces(path).Workspace("default")
	if err != nil {
		t.Fatal(err)
	}
	m := statemgr.New(b)
	ctx := context.Background()
	id, err := m.Lock(ctx, backend.LockInfo{Operation: "apply"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	resp := read(t, New(), dataConfig("local", pathConfig(path), "", cty.NilVal))
	if resp.Diagnostics.HasErrors() {
		t.Fatal(resp.Diagnostics.Error())
	}
	if err := m.Unlock(ctx, id); err != nil {
		t.Errorf("the apply's lock was not left as it was: %v", err)
	}
}

// The backend's sensitive settings are marked in the data source's state.
func TestRemoteStateSensitiveSettings(t *testing.T) {
	spec := postgresSpec(t)
	got := markSensitiveSettings(spec, cty.ObjectVal(map[string]cty.Value{
		"conn_str": cty.StringVal("postgres://u:pw@h/db"), "schema": cty.StringVal("net")}))
	if !got.GetAttr("conn_str").HasMark(providers.SensitiveMark) || got.GetAttr("schema").IsMarked() {
		t.Errorf("marks: %#v", got)
	}
	got = markSensitiveSettings(spec, cty.MapVal(map[string]cty.Value{"conn_str": cty.StringVal("x")}))
	if !got.Index(cty.StringVal("conn_str")).HasMark(providers.SensitiveMark) {
		t.Errorf("map marks: %#v", got)
	}
}

func postgresSpec(t *testing.T) backend.Spec {
	t.Helper()
	spec, ok := backend.Lookup("postgres")
	if !ok {
		t.Fatal("the postgres backend is not registered")
	}
	return spec
}
