// Package plugin runs berth providers as out-of-process plugins with
// hashicorp/go-plugin over gRPC. Serve is the whole main of a provider
// process; Launch starts one and returns the gRPC client, the only
// production implementation of providers.Interface; BuiltinSpec launches
// a provider compiled into the berth binary by re-executing berth.
package plugin

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/protocol"
)

// The magic cookie is not a security measure: it only tells a provider
// binary run by hand that it is not being launched by berth.
const (
	magicCookieKey   = "BERTH_PLUGIN_MAGIC_COOKIE"
	magicCookieValue = "7d0c2a3b4e5f-berth-provider-plugin"
)

// maxMessageSize bounds one gRPC message in either direction. gRPC's
// default of 4 MiB is too small for a batched read of thousands of app
// states; Terraform settled on the same 256 MiB.
const maxMessageSize = 256 << 20

// pluginName is the name of the one plugin every provider process serves.
const pluginName = "provider"

// handshake returns the go-plugin handshake for a protocol version.
func handshake(version int) goplugin.HandshakeConfig {
	return goplugin.HandshakeConfig{
		ProtocolVersion:  uint(version),
		MagicCookieKey:   magicCookieKey,
		MagicCookieValue: magicCookieValue,
	}
}

// grpcPlugin is the go-plugin glue: on the server side it registers the
// provider's gRPC service, on the client side it wraps the connection.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	// impl is set on the server side only.
	impl providers.Interface
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	protocol.RegisterProviderServer(s, &server{impl: p.impl})
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return protocol.NewProviderClient(conn), nil
}
