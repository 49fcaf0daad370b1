// Command kube-apiserver is k8s.io/kubernetes's kube-apiserver, built from
// this module so its staging modules are pinned to the matching release.
package main

import (
	"os"
	_ "time/tzdata" // CronJob time zones, as upstream's main

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
