// Package ansi holds the terminal escapes of berth's coloured text views
// (the plan, the apply summary). Views colour only when asked to: -no-color
// and output that is not a terminal get plain text.
package ansi

// Escapes, by the effect they have.
const (
	Reset  = "\x1b[0m"
	Bold   = "\x1b[1m"
	Red    = "\x1b[31m"
	Green  = "\x1b[32m"
	Yellow = "\x1b[33m"
	Cyan   = "\x1b[36m"
)

// Paint wraps s in the escape code when on is set; an empty s stays empty,
// so that no escape is written around nothing.
func Paint(on bool, code, s string) string {
	if !on || s == "" {
		return s
	}
	return code + s + Reset
}
