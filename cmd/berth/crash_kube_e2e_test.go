//go:build crash && integration

package main

import (
	"context"
	"flag"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-sh/berth/addrs"
)

var crashKubernetes = flag.Int("crash.kubernetes", 3, "trials killing berth during a Kubernetes rollout")

// TestCrashKubernetesRollout kills berth (SIGKILL) at a random moment of
// a rollout of a 4-replica app with an autoscaler, each trial rolling to
// the other image tag; then the next apply must leave exactly the app's
// 4 pods, all of them recorded, one Deployment, and the autoscaler's
// pause released with the policy's minimum: 0 orphans, 0 duplicates.
func TestCrashKubernetesRollout(t *testing.T) {
	if *crashKubernetes <= 0 {
		t.Skip("no trials asked for")
	}
	k := newKubeTest(t, func(k kubeTest) string { return kubeApp(k) + kubeScaling })
	e, pw := k.e, k.pw
	ctx := context.Background()
	e.ok("apply", "-auto-approve", "-var=tag=v1", pw)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	var kills, unrecorded, orphans, duplicates int
	tags := []string{"v2", "v1"}
	window := min(rolloutTime(e, "-var=tag=v2", pw), rolloutTime(e, "-var=tag=v1", pw))
	t.Logf("a rollout takes %s", window)
	for i := range *crashKubernetes {
		tag := "-var=tag=" + tags[i%2]
		b := e.start("apply", "-auto-approve", tag, pw)
		waitModifying(b)
		time.Sleep(time.Duration(rng.Int64N(int64(window))))
		killed := b.cmd.Process.Signal(syscall.SIGKILL) == nil
		if code := b.wait(); killed && code != 0 {
			kills++
		} else {
			window = max(window*2/3, 100*time.Millisecond)
		}
		live, recorded := k.livePods(t), k.recordedPods(t)
		for _, p := range live {
			if !slices.Contains(recorded, p) {
				unrecorded++
			}
		}

		e.ok("apply", "-auto-approve", tag, pw)
		live, recorded = k.livePods(t), k.recordedPods(t)
		for _, p := range live {
			if !slices.Contains(recorded, p) {
				orphans++
				t.Errorf("trial %d: pod %s runs unrecorded after the next apply", i, p)
			}
		}
		if len(live) > 4 {
			duplicates += len(live) - 4
		}
		if len(live) != 4 || len(recorded) != 4 {
			t.Errorf("trial %d: %d pods live, %d recorded, want 4", i, len(live), len(recorded))
		}
		if ds := k.deployments(t); len(ds) != 1 {
			t.Errorf("trial %d: %d Deployments after the next apply, want 1: %v", i, len(ds), keysOf(ds))
		}
		h, err := k.cs.AutoscalingV2().HorizontalPodAutoscalers(k.ns).Get(ctx, "web", metav1.GetOptions{})
		switch {
		case err != nil:
			t.Errorf("trial %d: %v", i, err)
		case h.Spec.MinReplicas == nil || *h.Spec.MinReplicas != 2 || h.Annotations["berth.sh/paused-min-replicas"] != "":
			t.Errorf("trial %d: the autoscaler is still paused after the next apply: min %v, annotations %v", i, h.Spec.MinReplicas, h.Annotations)
		}
		e.expect(0, "plan", "-detailed-exitcode", tag, pw)
	}
	t.Logf("SIGKILL of berth during a Kubernetes rollout: %d trials, %d kills; pods the state did not record right after the kill %d (found by the next refresh); after the next apply: orphans %d, duplicates %d",
		*crashKubernetes, kills, unrecorded, orphans, duplicates)
	if kills < *crashKubernetes*3/4 {
		t.Errorf("only %d of %d trials killed during the rollout", kills, *crashKubernetes)
	}
	e.ok("destroy", "-auto-approve", pw)
}

// livePods lists the app's pods that are not terminating.
func (k kubeTest) livePods(t *testing.T) []string {
	t.Helper()
	l, err := k.cs.CoreV1().Pods(k.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "berth.sh/app=web"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
}

// recordedPods lists the pods the state records as the app's instances.
func (k kubeTest) recordedPods(t *testing.T) []string {
	t.Helper()
	a, err := addrs.ParseInstance("app.web")
	if err != nil {
		t.Fatal(err)
	}
	return k.e.recordedInstances(a)
}
