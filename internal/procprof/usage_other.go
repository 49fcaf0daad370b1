//go:build !unix

package procprof

// usage reports nothing where getrusage does not exist.
func usage() (string, bool) { return "", false }
