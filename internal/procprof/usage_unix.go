//go:build unix

package procprof

import (
	"bytes"
	"fmt"
	"os"
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
	// On Linux ru_maxrss also counts the memory of the parent that forked
	// this process before its exec (a provider started late in an apply
	// would report berth's peak): VmHWM is this program's own.
	if hwm, ok := vmHWM(); ok {
		maxrss = hwm
	}
	return fmt.Sprintf("%d %d %d\n", ru.Utime.Nano(), ru.Stime.Nano(), maxrss), true
}

// vmHWM is the peak resident set size of this process's address space in
// KiB, from /proc/self/status (Linux only).
func vmHWM() (int64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(data) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			var kib int64
			if _, err := fmt.Sscanf(string(rest), "%d kB", &kib); err == nil {
				return kib, true
			}
		}
	}
	return 0, false
}
