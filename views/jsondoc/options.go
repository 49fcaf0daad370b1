package jsondoc

import (
	"strings"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/providers/install"
)

// Option gives a document what the plan or the state does not hold
// itself: the configuration, and the providers' source addresses.
type Option func(*options)

type options struct {
	// config fills the plan's configuration (and relevant_attributes).
	config *lang.Config
	// sources gives the providers' source addresses (its
	// required_providers).
	sources *lang.Config
}

// WithConfig gives the configuration the plan was made from: the plan
// document shows it as `configuration`, and every provider_name is the
// source address its required_providers give. nil adds nothing.
func WithConfig(cfg *lang.Config) Option {
	return func(o *options) { o.config, o.sources = cfg, cfg }
}

// WithProviderSources takes only the providers' source addresses from
// cfg, for a document that does not show a configuration: the state, or a
// saved plan whose files have changed since (its configuration would not
// be the one the plan was made from). nil adds nothing.
func WithProviderSources(cfg *lang.Config) Option {
	return func(o *options) { o.sources = cfg }
}

func newOptions(opts []Option) *options {
	o := &options{}
	for _, fn := range opts {
		fn(o)
	}
	return o
}

// providerName is Terraform's provider_name for the provider known as
// local (as the state and the plan record it): its source address as
// berth writes it ("docker" for a built-in provider, "acme/dns" for a
// third-party one). Without the configuration's required_providers, a
// third-party provider is left as its local name.
func (o *options) providerName(local string) string {
	if local == "" {
		return ""
	}
	src := local
	if c := o.sources; c != nil && c.Berth != nil {
		if rp := c.Berth.RequiredProviders[local]; rp != nil && rp.Source != "" {
			src = rp.Source
		}
	}
	if s, err := install.ParseSource(src); err == nil {
		return s.String()
	}
	// Not a source berth could launch (a plan read back from a file made
	// by another build, or a test's made-up name): as written.
	return strings.ToLower(src)
}
