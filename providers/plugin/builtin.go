package plugin

import (
	"fmt"
	"os"

	"github.com/berth-sh/berth/providers/builtin"
)

// BuiltinCommand is the hidden berth command that serves a built-in
// provider: `berth internal-provider NAME`.
const BuiltinCommand = "internal-provider"

// BuiltinSpec returns the Spec that launches the built-in provider name by
// re-executing the running berth binary in provider mode. No checksum is
// needed: the executable is berth itself, the running image (on Linux,
// /proc/self/exe), not whatever is at berth's path by then.
func BuiltinSpec(name string) (Spec, error) {
	if _, ok := builtin.Lookup(name); !ok {
		return Spec{}, fmt.Errorf("there is no built-in provider %q", name)
	}
	exe, err := os.Executable()
	if err != nil {
		return Spec{}, fmt.Errorf("finding berth's own executable to start provider %s: %w", name, err)
	}
	return Spec{Name: name, Path: exe, Args: []string{BuiltinCommand, name}, self: true}, nil
}

// ServeBuiltin serves the built-in provider name; it is what the hidden
// command runs. It returns an error only if there is no such provider.
func ServeBuiltin(name string, opts ...ServeOption) error {
	p, ok := builtin.Lookup(name)
	if !ok {
		return fmt.Errorf("there is no built-in provider %q", name)
	}
	Serve(p.New(), opts...)
	return nil
}
