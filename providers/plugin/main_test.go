package plugin_test

import (
	"os"
	"testing"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/providers/plugin"
	"github.com/berth-sh/berth/providers/testprovider"
)

// TestMain doubles as a berth binary with one built-in provider, "test":
// plugin.BuiltinSpec re-executes the test binary as
// `<test binary> internal-provider test`, exactly as berth re-executes itself.
func TestMain(m *testing.M) {
	builtin.Register(builtin.Provider{Name: "test", New: func() providers.Interface { return testprovider.New() }})
	builtin.Register(builtin.Provider{Name: "daytwo", New: func() providers.Interface { return dayTwo{testprovider.New()} }})
	if len(os.Args) == 3 && os.Args[1] == plugin.BuiltinCommand {
		if err := plugin.ServeBuiltin(os.Args[2]); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
