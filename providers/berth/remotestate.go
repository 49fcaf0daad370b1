package berth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/sdk"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statemgr"
)

// RemoteState is the berth_remote_state data source's configuration and
// state.
type RemoteState struct {
	Backend   string    `cty:"backend"`
	Config    cty.Value `cty:"config"`
	Workspace string    `cty:"workspace"`
	Defaults  cty.Value `cty:"defaults"`
	// Passphrase and AgeIdentity read a state the other configuration
	// encrypts (docs/state.md "Encryption").
	Passphrase  string    `cty:"passphrase"`
	AgeIdentity string    `cty:"age_identity"`
	Outputs     cty.Value `cty:"outputs"`
}

func remoteState() *sdk.DataSource[RemoteState] {
	return &sdk.DataSource[RemoteState]{
		Schema: sdk.Schema{
			Description: "The root outputs of another configuration's state, read from any backend of this build without taking its lock.",
			Attributes: map[string]sdk.Attribute{
				"backend": {Type: cty.String, Required: true, Validate: knownBackend,
					Description: "the backend that stores the state, as in a backend block: \"local\", \"postgres\", ..."},
				"config": {Type: cty.DynamicPseudoType, Optional: true,
					Description: "the backend's settings, as in its backend block; relative paths are relative to berth's working directory"},
				"workspace": {Type: cty.String, Optional: true, Default: cty.StringVal(backend.DefaultWorkspace),
					Description: "the workspace whose state is read"},
				"defaults": {Type: cty.DynamicPseudoType, Optional: true,
					Description: "values of outputs the state does not have"},
				"passphrase": {Type: cty.String, Optional: true, Sensitive: true,
					Description: "the passphrase of an encrypted state's pbkdf2 key provider (with the aes_gcm method)"},
				"age_identity": {Type: cty.String, Optional: true, Sensitive: true,
					Description: "an age secret key (AGE-SECRET-KEY-1…) among the recipients of an encrypted state's age key provider"},
				"outputs": {Type: cty.DynamicPseudoType, Computed: true,
					Description: "the state's root outputs, by name; sensitive ones stay sensitive"},
			},
		},
		Read: readRemoteState,
	}
}

// knownBackend is the backend attribute's validator: a backend this build
// does not have is reported at the attribute, with the ones it has, when
// the plan validates the block (berth validate does not ask providers).
func knownBackend(v cty.Value) error {
	if _, ok := backend.Lookup(v.AsString()); !ok {
		return fmt.Errorf("must be a backend of this build of berth (%s), not %q", quotedList(backend.Names()), v.AsString())
	}
	return nil
}

func readRemoteState(ctx context.Context, rs RemoteState) (*RemoteState, error) {
	spec, ok := backend.Lookup(rs.Backend)
	if !ok {
		return nil, sdk.AttributeError(cty.GetAttrPath("backend"), "Unknown backend",
			fmt.Sprintf("%q is not a backend of this build of berth, which has %s.", rs.Backend, quotedList(backend.Names())))
	}
	config, err := backendConfig(spec, rs.Config)
	if err != nil {
		return nil, err
	}
	if rs.Workspace == "" {
		rs.Workspace = backend.DefaultWorkspace
	}
	if err := backend.CheckWorkspaceName(rs.Workspace); err != nil {
		return nil, sdk.AttributeError(cty.GetAttrPath("workspace"), "Invalid workspace name", err.Error()+".")
	}
	// The provider cannot know the configuration's directory: relative
	// paths are relative to its working directory, berth's (see
	// docs/state.md).
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("finding the working directory: %w", err)
	}
	ws, err := spec.New(config, dir)
	if err != nil {
		return nil, sdk.AttributeError(cty.GetAttrPath("config"), "Cannot open the remote state's backend",
			fmt.Sprintf("The %s backend refused its settings: %s.", spec.Name, err))
	}
	dec, err := decryption(rs)
	if err != nil {
		return nil, err
	}
	st, err := readWorkspace(ctx, spec.Name, ws, rs.Workspace, dec)
	if err != nil {
		return nil, err
	}
	outputs, err := outputsWithDefaults(st, rs.Defaults)
	if err != nil {
		return nil, err
	}
	rs.Outputs = outputs
	rs.Config = markSensitiveSettings(spec, rs.Config)
	if rs.Defaults == cty.NilVal {
		rs.Defaults = cty.NullVal(cty.DynamicPseudoType)
	}
	return &rs, nil
}

// readWorkspace reads the state of the workspace name, without its lock:
// a reader must not hold up the applies of the configuration it reads,
// and a state is always stored whole (backend.Backend.Put), so a read
// never sees half a write.
func readWorkspace(ctx context.Context, backendName string, ws backend.Workspaces, name string, dec *encryption.Target) (*state.State, error) {
	if name != backend.DefaultWorkspace {
		names, err := ws.Workspaces(ctx)
		if err != nil {
			return nil, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the remote state",
				Detail: fmt.Sprintf("Listing the workspaces of the %s backend failed: %s.", backendName, err)}
		}
		if !slices.Contains(names, name) {
			return nil, sdk.AttributeError(cty.GetAttrPath("workspace"), "Workspace not found",
				fmt.Sprintf("The %s backend has no workspace %q; it has %s.", backendName, name, quotedList(names)))
		}
	}
	b, err := ws.Workspace(name)
	if err != nil {
		return nil, sdk.AttributeError(cty.GetAttrPath("workspace"), "Cannot open the remote state",
			fmt.Sprintf("The %s backend cannot open workspace %q: %s.", backendName, name, err))
	}
	// A backend that holds connections (postgres) releases them here.
	if c, ok := b.(interface{ Close() }); ok {
		defer c.Close()
	}
	st, err := statemgr.New(b, statemgr.WithEncryption(dec)).Read(ctx)
	var ke *encryption.KeyError
	if errors.As(err, &ke) {
		attr := map[string]string{"pbkdf2": "passphrase", "age": "age_identity"}[ke.KeyProvider.Type]
		if attr == "" {
			attr = "passphrase or age_identity"
		}
		return nil, sdk.AttributeError(cty.GetAttrPath(strings.Fields(attr)[0]), "Cannot decrypt the remote state",
			fmt.Sprintf("%s is encrypted with the %s key provider %q, and the data source's %s does not open it. Give the data source the key the other configuration encrypts its state with.", b.Location(), ke.KeyProvider.Type, ke.KeyProvider.Name, attr))
	}
	if err != nil {
		return nil, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the remote state",
			Detail: fmt.Sprintf("Reading workspace %q of the %s backend failed: %s.", name, backendName, strings.TrimSuffix(err.Error(), "."))}
	}
	if st == nil {
		return nil, sdk.AttributeError(cty.GetAttrPath("workspace"), "No remote state",
			fmt.Sprintf("%s holds no state for workspace %q: has its configuration been applied?", b.Location(), name))
	}
	return st, nil
}

// outputsWithDefaults is the state's root outputs as one object, each
// output sensitive when the state says so, completed by the defaults for
// the names the state does not have (as Terraform's).
func outputsWithDefaults(st *state.State, defaults cty.Value) (cty.Value, error) {
	out := make(map[string]cty.Value, len(st.Outputs))
	for name, o := range st.Outputs {
		v := o.Value
		if o.Sensitive {
			v = v.Mark(providers.SensitiveMark)
		}
		out[name] = v
	}
	if defaults != cty.NilVal && !defaults.IsNull() {
		ty := defaults.Type()
		if !ty.IsObjectType() && !ty.IsMapType() {
			return cty.NilVal, sdk.AttributeError(cty.GetAttrPath("defaults"), "Invalid defaults",
				fmt.Sprintf("defaults must be an object of output values by name, not %s.", ty.FriendlyName()))
		}
		for it := defaults.ElementIterator(); it.Next(); {
			k, v := it.Element()
			if _, ok := out[k.AsString()]; !ok {
				out[k.AsString()] = v
			}
		}
	}
	if len(out) == 0 {
		return cty.EmptyObjectVal, nil
	}
	return cty.ObjectVal(out), nil
}

// quotedList is names quoted and joined for a message: "a", "b" and "c".
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	switch len(q) {
	case 0:
		return "none"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
