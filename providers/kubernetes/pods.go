package kubernetes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// Pod statuses beyond Kubernetes' phases.
const (
	statusRunning     = "running"
	statusNotReady    = "not_ready"
	statusPending     = "pending"
	statusTerminating = "terminating"
	statusFailed      = "failed"
)

// pod is one pod of an app, as berth reads it.
type pod struct {
	Name     string
	Node     string
	IP       string
	Created  time.Time
	Revision string
	// ConfigHash and ImageDigest are the spec it runs: its template's
	// annotations.
	ConfigHash  string
	ImageDigest string
	Ready       bool
	// ReadySince is when it last turned ready.
	ReadySince  time.Time
	Terminating bool
	Status      string
	// Reason says why it is not ready: a container's waiting reason, the
	// scheduler's message.
	Reason string
	// Started is when the kubelet started it (zero: not yet); Restarts
	// how many times its containers restarted.
	Started  time.Time
	Restarts int
}

// podOf reads a pod.
func podOf(p *corev1.Pod) pod {
	out := pod{
		Name: p.Name, Node: p.Spec.NodeName, IP: p.Status.PodIP, Created: p.CreationTimestamp.Time,
		Revision: p.Labels[manifest.LabelRevision], ConfigHash: p.Annotations[manifest.AnnotationConfigHash],
		ImageDigest: p.Annotations[manifest.AnnotationImageDigest], Terminating: p.DeletionTimestamp != nil,
	}
	// An image changed outside berth (kubectl set image) shows as the
	// image the pod runs.
	for _, c := range p.Spec.Containers {
		if c.Name == p.Labels[manifest.LabelApp] && c.Image != out.ImageDigest {
			out.ImageDigest = c.Image
		}
	}
	for _, c := range p.Status.Conditions {
		switch c.Type {
		case corev1.PodReady:
			if c.Status == corev1.ConditionTrue {
				out.Ready, out.ReadySince = true, c.LastTransitionTime.Time
			}
		case corev1.PodScheduled:
			if c.Status == corev1.ConditionFalse && c.Message != "" {
				out.Reason = "not scheduled: " + c.Message
			}
		}
	}
	if p.Status.StartTime != nil {
		out.Started = p.Status.StartTime.Time
	}
	for _, cs := range p.Status.ContainerStatuses {
		out.Restarts += int(cs.RestartCount)
		if w := cs.State.Waiting; w != nil && out.Reason == "" {
			out.Reason = strings.TrimSpace(w.Reason + ": " + w.Message)
		}
		if t := cs.State.Terminated; t != nil && out.Reason == "" {
			out.Reason = fmt.Sprintf("exited with code %d (%s)", t.ExitCode, t.Reason)
		}
	}
	switch {
	case out.Terminating:
		out.Status = statusTerminating
	case p.Status.Phase == corev1.PodFailed:
		out.Status = statusFailed
	case out.Ready:
		out.Status = statusRunning
	case p.Status.Phase == corev1.PodRunning:
		out.Status = statusNotReady
	default:
		out.Status = statusPending
	}
	if out.Reason == "" && !out.Ready && out.Status == statusNotReady {
		out.Reason = "running, readiness probe not passed yet"
	}
	return out
}

// instance is p as an instance of the app contract named name.
func (p pod) instance(name string, ports []app.Port) app.Instance {
	in := app.Instance{Name: name, Host: p.Node, ID: p.Name, Status: p.Status, Ready: p.Ready && !p.Terminating,
		ImageDigest: p.ImageDigest, ConfigHash: p.ConfigHash, Addresses: map[string]app.Address{}}
	if p.IP != "" {
		for _, port := range ports {
			in.Addresses[port.Name] = app.Address{IP: p.IP, Port: port.Container}
		}
	}
	return in
}

// slotName is the name of the app's instance number i: "web-0".
func slotName(appName string, i int) string { return appName + "-" + strconv.Itoa(i) }

// assignment says which pods fill which instance names. Kubernetes names
// pods itself and picks which pod a scale-down removes, so berth's
// instance names ("web-0", "web-1", ...) are slots: a pod keeps the slot
// it had in the last report while it lives; a new pod takes a slot a
// step asked for or the lowest free one.
type assignment struct {
	App   string
	Ports []app.Port
	// Prior is the last report (a state's instances).
	Prior []app.Instance
	// Target is the config hash being rolled out ("" outside a step).
	Target string
	// Start names the slots that new pods of Target take first (a
	// StepStart's instances).
	Start []string
	// Stop names the slots whose pods of another spec a StepStop removed:
	// their old entries are forgotten, and a pod of another spec that
	// survived (Kubernetes removed a different one) moves to a slot whose
	// pod is gone.
	Stop []string
}

// instances assigns pods to slots.
func (as assignment) instances(pods []pod) []app.Instance {
	slotOf := map[string]string{} // pod name -> slot
	for _, in := range as.Prior {
		if in.ID == "" || (slices.Contains(as.Stop, in.Name) && in.ConfigHash != as.Target) {
			continue
		}
		slotOf[in.ID] = in.Name
	}
	pods = slices.Clone(pods)
	slices.SortStableFunc(pods, func(a, b pod) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	taken := map[string]bool{} // slot + "\x00" + config hash
	var out []app.Instance
	var unassigned []pod
	for _, p := range pods {
		if s, ok := slotOf[p.Name]; ok && !taken[s+"\x00"+p.ConfigHash] {
			taken[s+"\x00"+p.ConfigHash] = true
			out = append(out, p.instance(s, as.Ports))
			continue
		}
		unassigned = append(unassigned, p)
	}
	for _, p := range unassigned {
		s := as.freeSlot(p, taken)
		taken[s+"\x00"+p.ConfigHash] = true
		out = append(out, p.instance(s, as.Ports))
	}
	app.SortInstances(out)
	return out
}

// freeSlot is the slot a pod without one takes.
func (as assignment) freeSlot(p pod, taken map[string]bool) string {
	if p.ConfigHash == as.Target {
		for _, s := range as.Start {
			if !taken[s+"\x00"+p.ConfigHash] {
				return s
			}
		}
	}
	for i := 0; ; i++ {
		s := slotName(as.App, i)
		if taken[s+"\x00"+p.ConfigHash] || (p.ConfigHash != as.Target && slices.Contains(as.Stop, s)) {
			continue
		}
		return s
	}
}
