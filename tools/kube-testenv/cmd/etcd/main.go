// Command etcd is etcd 3.7 for the Kubernetes test environment (etcd's own
// main lives in a module that is not meant to be required).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
