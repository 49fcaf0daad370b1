// Command berth-provider-test is the test provider (package testprovider)
// as a plugin executable, for berth's tests. Tests build it with
// testprovider.Build.
package main

import "github.com/berth-sh/berth/providers/testprovider"

func main() { testprovider.Main() }
