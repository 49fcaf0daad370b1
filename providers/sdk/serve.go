package sdk

import (
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/plugin"
)

// Serve serves p as a berth provider plugin and returns when berth is done
// with it. It is the whole main of a provider:
//
//	func main() { sdk.Serve(dns.New()) }
//
// Berth starts the executable itself, after checking its sha256 against
// berth.lock.hcl; run by hand, the executable explains that and exits.
// p is usually a *Provider, but any providers.Interface can be served.
func Serve(p providers.Interface) {
	plugin.Serve(p)
}
