package testprovider

import (
	"fmt"
	"os"
	"strconv"

	"github.com/berth-sh/berth/providers/plugin"
)

// Environment variables that make the provider process misbehave.
const (
	// EnvExitInHandshake, set to 1, makes the process exit with status 3
	// before it completes the plugin handshake.
	EnvExitInHandshake = "BERTH_TEST_PROVIDER_EXIT_IN_HANDSHAKE"
	// EnvProtocol makes the process announce this plugin protocol version.
	EnvProtocol = "BERTH_TEST_PROVIDER_PROTOCOL"
	// EnvNoLookup, set to 1, makes the resource types declare
	// LookupByKey=false, as a provider that cannot find an object by the
	// key of its create: the core then reports an interrupted create as a
	// possible orphan. It is read by GetSchema, so it works in-process too.
	EnvNoLookup = "BERTH_TEST_PROVIDER_NO_LOOKUP"
)

// Main is the whole main of the test provider's executable.
func Main() {
	if os.Getenv(EnvExitInHandshake) == "1" {
		fmt.Fprintln(os.Stderr, "testprovider: exiting during the handshake, as asked by "+EnvExitInHandshake)
		os.Exit(3)
	}
	var opts []plugin.ServeOption
	if v := os.Getenv(EnvProtocol); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "testprovider: %s=%q is not a number\n", EnvProtocol, v)
			os.Exit(1)
		}
		opts = append(opts, plugin.WithProtocolVersion(n))
	}
	plugin.Serve(New(), opts...)
}
