// Command berth is the CLI of berth: it parses flags, wires the engine
// together and renders what the engine returns. It holds no engine logic.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
