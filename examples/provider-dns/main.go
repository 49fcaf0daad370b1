// Command berth-provider-dns is an example third-party berth provider,
// built with providers/sdk: it manages DNS record sets in a BIND-style zone
// file on disk. See README.md for building, installing and using it.
package main

import (
	"fmt"
	"os"

	"github.com/berth-sh/berth/providers/sdk"
)

// Version is the provider's version, the one it is installed under
// (~/.berth/plugins/acme/dns/1.2.0/...).
const Version = "1.2.0"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-version" {
		fmt.Println("berth-provider-dns", Version)
		return
	}
	sdk.Serve(New())
}
