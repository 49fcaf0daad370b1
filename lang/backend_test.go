package lang

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	_ "github.com/berth-sh/berth/state/backend/local"
	_ "github.com/berth-sh/berth/state/backend/postgres"
)

// TestParseBackendConfig: -backend-config KEY=VALUE and FILE forms, with
// values converted to the setting's type and unknown settings refused.
func TestParseBackendConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prod.hcl"), []byte("schema = \"prod\"\nconn_str = \"postgres://db/x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.hcl"), []byte("shcema = \"prod\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		typ, arg string
		want     map[string]cty.Value
		err      string
	}{
		{"postgres", "schema=prod", map[string]cty.Value{"schema": cty.StringVal("prod")}, ""},
		{"postgres", "conn_str=postgres://a/b?x=1", map[string]cty.Value{"conn_str": cty.StringVal("postgres://a/b?x=1")}, ""},
		{"postgres", "prod.hcl", map[string]cty.Value{"schema": cty.StringVal("prod"), "conn_str": cty.StringVal("postgres://db/x")}, ""},
		{"postgres", "shcema=prod", nil, `The postgres backend has no setting "shcema". Did you mean "schema"?`},
		{"postgres", "bad.hcl", nil, `no setting "shcema"`},
		{"postgres", "missing.hcl", nil, "The argument is KEY=VALUE or the path of a file of settings."},
		{"local", "path=envs/prod.state", map[string]cty.Value{"path": cty.StringVal("envs/prod.state")}, ""},
	} {
		got, diags := ParseBackendConfig(tt.typ, tt.arg, dir)
		if tt.err != "" {
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.err) {
				t.Errorf("%s %s: diagnostics %v, want %q", tt.typ, tt.arg, diags, tt.err)
			}
			continue
		}
		if diags.HasErrors() {
			t.Errorf("%s %s: %v", tt.typ, tt.arg, diags)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s %s: %v, want %v", tt.typ, tt.arg, got, tt.want)
		}
		for k, v := range tt.want {
			if !got[k].RawEquals(v) {
				t.Errorf("%s %s: %s = %#v, want %#v", tt.typ, tt.arg, k, got[k], v)
			}
		}
	}
}

// TestBackendOverridesAndDigest: overrides replace the block's values, the
// digest follows the configuration, and what init records reads back.
func TestBackendOverridesAndDigest(t *testing.T) {
	b := &Backend{Type: "postgres", Value: cty.ObjectVal(map[string]cty.Value{
		"conn_str": cty.NullVal(cty.String), "schema": cty.StringVal("berth")})}
	o := b.WithOverrides(map[string]cty.Value{"schema": cty.StringVal("prod")})
	if got := o.Value.GetAttr("schema").AsString(); got != "prod" {
		t.Errorf("override: schema %q", got)
	}
	if b.Value.GetAttr("schema").AsString() != "berth" {
		t.Error("WithOverrides changed the original")
	}
	if b.Digest() == o.Digest() {
		t.Error("the digest does not follow the values")
	}
	if b.Digest() != (&Backend{Type: "postgres", Value: b.Value}).Digest() {
		t.Error("the digest is not stable")
	}
	enc, err := EncodeBackendConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeBackendConfig("postgres", enc)
	if err != nil || !back.Value.GetAttr("schema").RawEquals(cty.StringVal("prod")) {
		t.Fatalf("decoded %#v, %v", back, err)
	}
	ov, err := EncodeBackendOverrides(map[string]cty.Value{"schema": cty.StringVal("prod")})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeBackendOverrides("postgres", ov)
	if err != nil || !dec["schema"].RawEquals(cty.StringVal("prod")) {
		t.Errorf("overrides read back %v, %v", dec, err)
	}
	if _, err := DecodeBackendOverrides("postgres", map[string]json.RawMessage{"gone": json.RawMessage(`"x"`)}); err == nil {
		t.Error("a setting the backend no longer has was read")
	}
}
