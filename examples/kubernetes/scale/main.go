// Command scale sets the replica count of an app's current Deployment
// through the scale subresource, as a HorizontalPodAutoscaler does: the
// Kubernetes example uses it to show that berth leaves an autoscaled
// count alone (the test control plane has no metrics server, so the
// autoscaler itself never scales).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file")
	ns := flag.String("namespace", "default", "namespace")
	appName := flag.String("app", "", "the app's name (label berth.sh/app)")
	replicas := flag.Int("replicas", 1, "replica count")
	flag.Parse()
	if err := scale(*kubeconfig, *ns, *appName, int32(*replicas)); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func scale(kubeconfig, ns, appName string, replicas int32) error {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ds, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: "berth.sh/app=" + appName})
	if err != nil {
		return err
	}
	if len(ds.Items) != 1 {
		return fmt.Errorf("%d Deployments of app %s, want 1", len(ds.Items), appName)
	}
	name := ds.Items[0].Name
	s := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: replicas}}
	if _, err := cs.AppsV1().Deployments(ns).UpdateScale(ctx, name, s, metav1.UpdateOptions{FieldManager: "horizontal-pod-autoscaler"}); err != nil {
		return err
	}
	fmt.Printf("Deployment %s/%s scaled to %d\n", ns, name, replicas)
	return nil
}
