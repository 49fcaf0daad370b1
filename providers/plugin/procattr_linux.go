package plugin

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the plugin when berth dies, even by
// SIGKILL: a provider process must never outlive the run that started it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
