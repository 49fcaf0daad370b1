package postgres

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state/backend"
)

func TestDecodeConfig(t *testing.T) {
	obj := func(conn, schema cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"conn_str": conn, "schema": schema})
	}
	null := cty.NullVal(cty.String)
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == ConnStrEnv {
				return v
			}
			return ""
		}
	}
	for _, tt := range []struct {
		name    string
		config  cty.Value
		env     string
		want    Config
		wantErr string
	}{
		{"attribute", obj(cty.StringVal("postgres://a/b"), cty.StringVal("s1")), "postgres://env/x",
			Config{ConnStr: "postgres://a/b", Schema: "s1", Workspace: DefaultWorkspace}, ""},
		{"env when unset", obj(null, cty.StringVal(DefaultSchema)), "postgres://env/x",
			Config{ConnStr: "postgres://env/x", Schema: DefaultSchema, Workspace: DefaultWorkspace}, ""},
		{"sensitive mark", obj(cty.StringVal("postgres://a/b").Mark(providers.SensitiveMark), null), "",
			Config{ConnStr: "postgres://a/b", Schema: DefaultSchema, Workspace: DefaultWorkspace}, ""},
		{"no connection string", obj(null, null), "", Config{}, "conn_str or the environment variable PG_CONN_STR"},
		{"empty schema", obj(cty.StringVal("postgres://a/b"), cty.StringVal("")), "", Config{}, "schema is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeConfig(tt.config, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestRegistered: the backend is registered under its name, not as the
// default, with conn_str sensitive; opening does not connect, and the
// location never shows the password.
func TestRegistered(t *testing.T) {
	spec, ok := backend.Lookup(Name)
	if !ok || spec.Default {
		t.Fatalf("postgres registered: %v, default: %v", ok, spec.Default)
	}
	if a := spec.Schema.Attributes["conn_str"]; a == nil || !a.Sensitive || !a.Optional {
		t.Errorf("conn_str is %+v", a)
	}
	if a := spec.Schema.Attributes["schema"]; a == nil || a.Default.AsString() != DefaultSchema {
		t.Errorf("schema is %+v", a)
	}
	ws, err := spec.New(cty.ObjectVal(map[string]cty.Value{
		"conn_str": cty.StringVal("postgres://alice:s3cret@db.example:5433/states"),
		"schema":   cty.StringVal("prod"),
	}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{DefaultWorkspace, "staging"} {
		b, err := ws.Workspace(name)
		if err != nil {
			t.Fatal(err)
		}
		loc := b.Location()
		if strings.Contains(loc, "s3cret") || !strings.Contains(loc, "db.example:5433/states") || !strings.Contains(loc, "schema prod, workspace "+name) {
			t.Errorf("location %q", loc)
		}
	}
	if _, err := ws.Workspace("../prod"); err == nil {
		t.Error("a workspace named ../prod was accepted")
	}
	if _, err := spec.New(cty.ObjectVal(map[string]cty.Value{
		"conn_str": cty.StringVal("postgres://alice:s3cret@db.example:notaport/x"),
		"schema":   cty.StringVal("prod"),
	}), t.TempDir()); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a malformed connection string: %v", err)
	}
}

// TestLockKey: every (schema, workspace) pair has its own key, however
// the names split, and the key is stable (it is shared by every berth).
func TestLockKey(t *testing.T) {
	pairs := [][2]string{
		{"berth", "default"}, {"other", "default"}, {"berth", "prod"},
		{"a/b", "c"}, {"a", "b/c"}, {"ab", "c"}, {"a", "bc"},
	}
	seen := map[int64][2]string{}
	for _, p := range pairs {
		k := lockKey(p[0], p[1])
		if o, dup := seen[k]; dup {
			t.Errorf("%v and %v share the lock key %d", o, p, k)
		}
		seen[k] = p
		if setupKey(p[0]) == k {
			t.Errorf("%v: the lock key is the setup key", p)
		}
	}
	if a, b := lockKey("berth", "default"), lockKey("berth", "default"); a != b {
		t.Errorf("the key changes: %d, %d", a, b)
	}
}
