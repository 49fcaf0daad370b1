package plugin

import (
	"context"
	"os"
	"os/exec"
	"strconv"

	"github.com/hashicorp/go-hclog"
)

// command returns the command that starts the open executable f with
// spec.Args. The child executes /proc/self/fd/N, N being f's descriptor:
// the kernel resolves that link to the open file itself, not to the path
// it was opened by, so what runs is what was hashed even if another file
// was renamed over the path since. f is passed down explicitly, as the
// child's descriptor N too (not merely left open: Go opens files
// close-on-exec), so that it is still open when an interpreter reads a
// "#!" script by that name after the exec, and so that the path names the
// same file in berth (go-plugin inspects it when a handshake fails).
// argv[0] stays spec.Path, for ps and for the provider.
func command(ctx context.Context, f *os.File, spec Spec, logger hclog.Logger) *exec.Cmd {
	fd := int(f.Fd())
	if _, err := os.Stat("/proc/self/fd"); err != nil || fd < 3 {
		// Without /proc (a bare chroot) the path is all there is; a
		// descriptor below 3 (berth started with stdin closed) cannot be
		// passed down as itself, and is not worth a special case.
		logger.Warn("starting the provider by its path, which may name another file than the one verified", "path", spec.Path, "fd", fd, "error", err)
		return exec.CommandContext(ctx, spec.Path, spec.Args...)
	}
	cmd := exec.CommandContext(ctx, "/proc/self/fd/"+strconv.Itoa(fd), spec.Args...)
	cmd.Args[0] = spec.Path
	// ExtraFiles[i] becomes the child's descriptor 3+i; the nil entries
	// before f are closed in the child.
	cmd.ExtraFiles = make([]*os.File, fd-2)
	cmd.ExtraFiles[fd-3] = f
	return cmd
}

// selfExecutable is the file to open to run berth itself: the running
// image, even if the file at berth's path was replaced since it started.
func selfExecutable(string) string { return "/proc/self/exe" }
