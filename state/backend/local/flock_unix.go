//go:build unix

package local

import (
	"errors"
	"os"
	"syscall"
)

// errHeld is tryFlock's error when another open file holds the lock.
var errHeld = errors.New("the file lock is held")

// tryFlock takes the exclusive file lock of f without waiting; it is
// released when f is closed or the process exits.
func tryFlock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errHeld
		default:
			return err
		}
	}
}
