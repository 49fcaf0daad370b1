//go:build !linux

package plugin

import (
	"context"
	"os"
	"os/exec"

	"github.com/hashicorp/go-hclog"
)

// command returns the command that starts the provider at spec.Path. These
// systems offer os/exec no way to execute an open file (no /proc/self/fd;
// fexecve, where it exists, is not reachable through os/exec), so the path
// is executed: f was hashed, but a file renamed over the path between the
// check and the start would run instead.
func command(ctx context.Context, _ *os.File, spec Spec, _ hclog.Logger) *exec.Cmd {
	return exec.CommandContext(ctx, spec.Path, spec.Args...)
}

// selfExecutable is the file to open to run berth itself: its path
// (os.Executable, as BuiltinSpec found it).
func selfExecutable(path string) string { return path }
