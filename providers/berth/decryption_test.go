package berth

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend/local"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statemgr"
)

// writeEncrypted stores a state with one output in the local backend at
// path, encrypted with the method m (written as another configuration's
// encryption block would, under its own block names).
func writeEncrypted(t *testing.T, path string, m encryption.Method) {
	t.Helper()
	target, err := encryption.NewTarget(m, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := local.NewWorkspaces(path).Workspace("default")
	if err != nil {
		t.Fatal(err)
	}
	st := state.New()
	st.Outputs = map[string]*state.Output{"subnet": {Value: cty.StringVal("10.7.0.0/24")}}
	if err := statemgr.New(b, statemgr.WithEncryption(target)).Write(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

func withKeys(config cty.Value, passphrase, identity string) cty.Value {
	m := config.AsValueMap()
	if passphrase != "" {
		m["passphrase"] = cty.StringVal(passphrase)
	}
	if identity != "" {
		m["age_identity"] = cty.StringVal(identity)
	}
	return cty.ObjectVal(m)
}

// TestRemoteStateEncrypted: an encrypted state is read with its
// passphrase or an age identity among its recipients, whatever the names
// of the blocks that wrote it; without a key, or with a wrong one, the
// read fails saying the state is encrypted.
func TestRemoteStateEncrypted(t *testing.T) {
	const pass = "correct horse battery staple"
	kp, err := encryption.NewPBKDF2(encryption.PBKDF2Config{Name: "team", Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	ak, err := encryption.NewAge(encryption.AgeConfig{Name: "ops", Recipients: []string{other.Recipient().String(), id.Recipient().String()}})
	if err != nil {
		t.Fatal(err)
	}
	byPass := filepath.Join(t.TempDir(), "berth.state")
	writeEncrypted(t, byPass, encryption.NewAESGCM("main", kp))
	byAge := filepath.Join(t.TempDir(), "berth.state")
	writeEncrypted(t, byAge, encryption.NewAESGCM("main", ak))

	p := New()
	for _, tt := range []struct {
		name, path, pass, identity, err string
	}{
		{"passphrase", byPass, pass, "", ""},
		{"age identity", byAge, "", id.String(), ""},
		{"both given", byAge, pass, id.String(), ""},
		{"no key", byPass, "", "", `is encrypted with the pbkdf2 key provider "team", and the data source's passphrase does not open it`},
		{"wrong passphrase", byPass, "a wrong passphrase, long enough", "", "Cannot decrypt the remote state"},
		{"identity not a recipient", byAge, "", func() string { x, _ := age.GenerateX25519Identity(); return x.String() }(), "Cannot decrypt the remote state"},
		{"not an identity", byAge, "", "age1notasecret", "Invalid age identity"},
	} {
		resp := read(t, p, withKeys(dataConfig("local", pathConfig(tt.path), "", cty.NilVal), tt.pass, tt.identity))
		if tt.err != "" {
			if !resp.Diagnostics.HasErrors() || !strings.Contains(resp.Diagnostics.Error(), tt.err) {
				t.Logf("%s: %v", tt.name, resp.Diagnostics)
				t.Errorf("%s: %v, want an error with %q", tt.name, resp.Diagnostics, tt.err)
			}
			continue
		}
		if resp.Diagnostics.HasErrors() {
			t.Errorf("%s: %v", tt.name, resp.Diagnostics)
			continue
		}
		if got := resp.State.GetAttr("outputs").GetAttr("subnet"); !got.RawEquals(cty.StringVal("10.7.0.0/24")) {
			t.Errorf("%s: subnet %#v", tt.name, got)
		}
	}
}

// TestRemoteStateKeysHidden: the keys are sensitive attributes, never
// shown in a plan.
func TestRemoteStateKeysHidden(t *testing.T) {
	s := remoteState().Schema
	for _, name := range []string{"passphrase", "age_identity"} {
		if !s.Attributes[name].Sensitive {
			t.Errorf("%s is not sensitive", name)
		}
	}
}
