package plugin

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/berth-sh/berth/redact"
)

var (
	envLoggerOnce sync.Once
	envLogger     hclog.Logger
)

// LoggerFromEnv returns berth's logger as configured by the environment:
// BERTH_LOG sets the level (trace, debug, info, warn, error; unset or
// "off" disables logging) and BERTH_LOG_PATH a file to append to (default:
// stderr). It is built once per process. Launch uses it when Spec.Logger is
// nil, so plugin output ends up in the same log as berth's own. Everything
// it writes goes through package redact's writer: a plugin's log lines and
// panic are text berth did not write, and may quote a secret it was given.
func LoggerFromEnv() hclog.Logger {
	envLoggerOnce.Do(func() {
		envLogger = newEnvLogger(os.Getenv("BERTH_LOG"), os.Getenv("BERTH_LOG_PATH"))
	})
	return envLogger
}

func newEnvLogger(level, path string) hclog.Logger {
	level = strings.TrimSpace(strings.ToLower(level))
	if level == "" || level == "off" {
		return hclog.NewNullLogger()
	}
	lvl := hclog.LevelFromString(level)
	if lvl == hclog.NoLevel {
		lvl = hclog.Info
	}
	out := os.Stderr
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			// Logging must never stop berth; say so once and go on on stderr.
			fmt.Fprintf(os.Stderr, "berth: cannot open BERTH_LOG_PATH: %v; logging to stderr\n", err)
		} else {
			out = f
		}
	}
	return hclog.New(&hclog.LoggerOptions{Name: "berth", Level: lvl, Output: redact.NewWriter(out)})
}

// execNamed is the logger given to go-plugin, which logs a plugin's stderr
// under a sub-logger named after the base name of the path it executes:
// that is "N" when the path is /proc/self/fd/N (see command), so the
// sub-logger takes the executable's own name instead.
type execNamed struct {
	hclog.Logger
	execBase, name string
}

func (l execNamed) Named(name string) hclog.Logger {
	if name == l.execBase {
		name = l.name
	}
	return l.Logger.Named(name)
}
