//go:build !unix

package local

import (
	"errors"
	"os"
)

// errHeld is tryFlock's error when another open file holds the lock.
var errHeld = errors.New("the file lock is held")

// tryFlock cannot lock on this platform.
func tryFlock(*os.File) error {
	return errors.New("file locks are not supported on this platform")
}
