// Package berth is the built-in provider named berth: data sources about
// berth itself rather than about a platform. Its one data source,
// berth_remote_state, reads the root outputs of another configuration's
// state, in any backend of this build (Terraform's terraform_remote_state).
//
// Like every built-in provider it runs out of process, as berth itself in
// provider mode (plugin.BuiltinSpec), and registers itself with
// providers/builtin; configurations use its data sources without a
// required_providers entry. It reads the backend registry (state/backend)
// of the binary it runs in: the backends the berth binary imports
// (state/backend/all).
package berth

import (
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/providers/sdk"
	"github.com/berth-sh/berth/version"
)

// Name is the provider's name: the prefix of its data sources' types.
const Name = "berth"

func init() {
	builtin.Register(builtin.Provider{Name: Name, New: func() providers.Interface { return New() }})
}

// New returns the provider. It has no configuration.
func New() providers.Interface {
	return provider{&sdk.Provider[struct{}]{
		Version: version.String(),
		DataSources: map[string]sdk.DataSourceType{
			"remote_state": remoteState(),
		},
	}}
}
