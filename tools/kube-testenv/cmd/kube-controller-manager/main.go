// Command kube-controller-manager is k8s.io/kubernetes's controller manager
// (Deployments make ReplicaSets and Pods, namespaces finish deleting, the
// default ServiceAccount exists).
package main

import (
	"os"
	_ "time/tzdata" // CronJob time zones, as upstream's main

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
