//go:build unix

package state

import (
	"errors"
	"os"
	"syscall"
)

// holderDead reports whether the lock's holder is a process on this host
// that no longer exists. (A recycled pid makes a dead holder look alive,
// which errs on the safe side.)
func holderDead(info *LockInfo) bool {
	host, err := os.Hostname()
	if err != nil || info.Host != host || info.PID <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(info.PID, 0), syscall.ESRCH)
}
