//go:build unix

package local

import (
	"errors"
	"os"
	"syscall"

	"github.com/berth-sh/berth/state/backend"
)

// holderDead reports whether the lock's holder is a process on this host
// that no longer exists. (A recycled pid makes a dead holder look alive,
// which errs on the safe side.)
func holderDead(info *backend.LockInfo) bool {
	host, err := os.Hostname()
	if err != nil || info.Host != host || info.PID <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(info.PID, 0), syscall.ESRCH)
}
