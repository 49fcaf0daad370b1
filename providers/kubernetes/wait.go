package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// waitReady waits until the Deployment of config hash h has at least n
// pods, every one of its pods ready on the planned image for hold,
// bounded by the rollout's healthy_deadline. A pod that is not ready by
// then fails the call with its reason.
func (ap *applier) waitReady(ctx context.Context, h string, n int, hold time.Duration) hcl.Diagnostics {
	deadline := ap.a.Spec.Rollout.HealthyDeadline
	if deadline <= 0 {
		deadline = app.DefaultRollout().HealthyDeadline
	}
	dctx, cancel := context.WithTimeout(ctx, deadline+hold)
	defer cancel()
	sel := appSelector(ap.a.Object) + "," + manifest.LabelRevision + "=" + revisionID(h)
	// Pods the last report knew are not announced again.
	seen := map[string]string{}
	for _, in := range ap.prior {
		if in.ID != "" {
			seen[in.ID] = in.Status
		}
	}
	var last []pod
	for {
		var wait time.Duration
		err := ap.c.WatchPods(dctx, sel, func(ps []corev1.Pod) (bool, error) {
			now := time.Now()
			last = last[:0]
			ready := 0
			wait = 0
			for i := range ps {
				p := podOf(&ps[i])
				if p.Terminating {
					continue
				}
				last = append(last, p)
				ap.podEvent(seen, p)
				if p.Ready && p.ImageDigest == ap.a.Pinned {
					ready++
					wait = max(wait, p.ReadySince.Add(hold).Sub(now))
				}
			}
			// At least n (an autoscaler may add pods while berth waits),
			// and none left unready.
			return ready >= n && ready == len(last), nil
		})
		if err == nil && wait > 0 {
			select {
			case <-time.After(wait):
				continue
			case <-dctx.Done():
				err = dctx.Err()
			}
		}
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return hcl.Diagnostics{ap.interrupted(fmt.Sprintf("waiting for the pods of Deployment %s", ap.a.deploymentName(h)))}
		}
		return hcl.Diagnostics{ap.notReadyDiag(h, n, last, deadline, err)}
	}
}

// interrupted says berth stopped while doing what.
func (ap *applier) interrupted(doing string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Apply of app " + ap.a.Name + " interrupted",
		Detail: fmt.Sprintf("berth stopped while %s in namespace %s of cluster %q; the state records the pods as they are.", doing, ap.c.Namespace(), ap.c.Name())}
}

// podEvent reports a pod's first appearance and its first readiness.
func (ap *applier) podEvent(seen map[string]string, p pod) {
	was := seen[p.Name]
	switch {
	case was == "" && p.Ready:
		ap.emit("instance_healthy", p.Name, "ready on %s", p.Node)
	case was == "":
		ap.emit("instance_started", p.Name, "created (%s)", p.Status)
	case p.Ready && was != statusRunning:
		ap.emit("instance_healthy", p.Name, "ready on %s", p.Node)
	}
	seen[p.Name] = p.Status
}

// notReadyDiag explains pods that did not become ready in time.
func (ap *applier) notReadyDiag(h string, n int, pods []pod, deadline time.Duration, err error) *hcl.Diagnostic {
	var lines []string
	ready := 0
	for _, p := range pods {
		if p.Ready {
			ready++
			continue
		}
		reason := p.Reason
		if reason == "" {
			reason = p.Status
		}
		lines = append(lines, fmt.Sprintf("pod %s: %s", p.Name, reason))
	}
	detail := fmt.Sprintf("%d of %d pods of Deployment %s in namespace %s of cluster %q were ready within the healthy deadline (%s).",
		ready, n, ap.a.deploymentName(h), ap.c.Namespace(), ap.c.Name(), deadline)
	if len(lines) > 0 {
		detail += "\n" + strings.Join(lines, "\n")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		detail += "\n" + err.Error()
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Pods not ready", Detail: detail}
}

// waitShrunk waits until every Deployment of want has no more pods than
// want says; with want nil, until the app has no pods at all. The bound
// is the pods' termination grace (drain, before_stop hook, 30 s) and two
// minutes more.
func (ap *applier) waitShrunk(ctx context.Context, want map[string]int) hcl.Diagnostics {
	dctx, cancel := context.WithTimeout(ctx, manifest.TerminationGrace(ap.a.Spec.Hooks)+2*time.Minute)
	defer cancel()
	var left []string
	err := ap.c.WatchPods(dctx, appSelector(ap.a.Object), func(ps []corev1.Pod) (bool, error) {
		count := map[string]int{}
		for i := range ps {
			count[manifest.DeploymentName(ap.a.Name, ps[i].Labels[manifest.LabelRevision])]++
		}
		left = left[:0]
		for _, name := range slices.Sorted(maps.Keys(count)) {
			if w, ok := want[name]; (ok && count[name] > w) || want == nil {
				left = append(left, fmt.Sprintf("%s: %d pods", name, count[name]))
			}
		}
		return len(left) == 0, nil
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return hcl.Diagnostics{ap.interrupted("waiting for pods to stop")}
	}
	return hcl.Diagnostics{errDiag("Pods did not stop",
		fmt.Errorf("namespace %s of cluster %q still has %s: %w", ap.c.Namespace(), ap.c.Name(), strings.Join(left, ", "), err))}
}
