//go:build unix

package procprof

import (
	"fmt"
	"runtime"
	"syscall"
)

// usage is this process's report line: user and system CPU in
// nanoseconds, and the peak resident set size in KiB.
func usage() (string, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return "", false
	}
	maxrss := ru.Maxrss // KiB on Linux, bytes on Darwin
	if runtime.GOOS == "darwin" {
		maxrss /= 1024
	}
	return fmt.Sprintf("%d %d %d\n", ru.Utime.Nano(), ru.Stime.Nano(), maxrss), true
}
