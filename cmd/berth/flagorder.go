package main

import (
	"flag"
	"strings"
)

// splitArgs separates a command's arguments into its flags (in their
// order, each with its value) and its positional arguments, so that flags
// may come before, between and after the positional ones
// (`berth apply web.plan -no-color`), while the flag package stops at the
// first non-flag. A flag whose value is separate (`-var x=1`) takes the
// next argument unless fs says it is a boolean flag (IsBoolFlag), as the
// flag package decides; "--" ends the flags, and everything after it is
// positional, even when it starts with "-". A lone "-" is positional (it
// conventionally names standard input). Unknown flags stay among the flags
// for the flag package to report.
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return flags, append(positional, args[i+1:]...)
		case len(arg) < 2 || arg[0] != '-':
			positional = append(positional, arg)
			continue
		}
		flags = append(flags, arg)
		name := strings.TrimPrefix(arg[1:], "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, positional
}

// isBoolFlag says whether f takes no separate value, as the flag package
// decides.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
