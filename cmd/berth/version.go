package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/berth-sh/berth/version"
)

func init() {
	register(&Command{
		Name:     "version",
		Synopsis: "Show berth's version",
		Run:      runVersion,
	})
}

func runVersion(_ context.Context, m *Meta, args []string) int {
	fs := m.NewFlagSet("version")
	asJSON := fs.Bool("json", false, "print the version as JSON")
	fs.Bool("no-color", false, "accepted for BERTH_CLI_ARGS=-no-color; the version has no colour")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: berth version [-json]\n\n"+
			"Prints berth's version and platform.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	platform := runtime.GOOS + "_" + runtime.GOARCH
	if *asJSON {
		out, _ := json.MarshalIndent(map[string]any{
			"berth_version": version.String(),
			"platform":      platform,
			"go_version":    runtime.Version(),
		}, "", "  ")
		fmt.Fprintln(m.Stdout, string(out))
		return 0
	}
	fmt.Fprintf(m.Stdout, "berth v%s\non %s (%s)\n", version.String(), platform, runtime.Version())
	return 0
}
