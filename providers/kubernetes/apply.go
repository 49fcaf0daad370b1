package kubernetes

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// annotationCreateKey carries the idempotency key of the create that made
// a Deployment, so that LookupResources finds an app whose create berth
// never recorded.
const annotationCreateKey = "berth.sh/create-key"

// ApplyResourceChange carries out a planned change or one step of its
// rollout. It always returns the state that exists afterwards, also when
// it fails or is stopped.
func (p *Provider) ApplyResourceChange(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	ctx, cancel := p.stop.Context(ctx)
	defer cancel()
	p.dropListings()
	defer p.dropListings()
	switch req.TypeName {
	case TypeApp:
		return p.applyApp(ctx, req, events)
	case TypeScalingPolicy:
		return p.applyScaling(ctx, req)
	case TypeManifest:
		return p.applyManifest(ctx, req)
	}
	return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{unknownType(req.TypeName)}}
}

// applier is one ApplyResourceChange call of an app.
type applier struct {
	c      *kube.Cluster
	a      *deployment
	events func(providers.ApplyEvent)
	wave   int
	// prior is the last report of the app's instances.
	prior []app.Instance
}

func (p *Provider) applyApp(ctx context.Context, req providers.ApplyResourceChangeRequest, events func(providers.ApplyEvent)) providers.ApplyResourceChangeResponse {
	fail := func(summary string, err error) providers.ApplyResourceChangeResponse {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{errDiag(summary, err)}}
	}
	top := req.PlannedState
	if top.IsNull() {
		top = req.PriorState
	}
	a, err := decodeApp(top)
	if err != nil {
		return fail("Invalid app", err)
	}
	c, err := p.cluster(ctx, a.Target)
	if err != nil {
		return fail("Cannot reach the Kubernetes cluster", err)
	}
	ap := &applier{c: c, a: a, events: events, wave: req.Step.Wave, prior: app.DecodeInstances(req.PriorState)}
	switch {
	case req.PlannedState.IsNull():
		return ap.destroy(ctx, req)
	case req.Step.Kind == providers.StepStart:
		return ap.stepStart(ctx, req)
	case req.Step.Kind == providers.StepStop:
		return ap.stepStop(ctx, req)
	}
	return ap.all(ctx, req)
}

func (ap *applier) emit(kind, inst, format string, args ...any) {
	if ap.events != nil {
		ap.events(providers.ApplyEvent{Kind: kind, Instance: inst, Wave: ap.wave, Message: fmt.Sprintf(format, args...)})
	}
}

// all applies a change without a rollout: a create, a scale, a repair of
// drift within the revision, a change of the Service or pull Secret.
func (ap *applier) all(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	planned := req.PlannedState
	n := len(app.DecodeInstances(planned))
	diags := ap.autoscaledCount(ctx, &n)
	diags = diags.Extend(ap.applyShared(ctx))
	if !diags.HasErrors() {
		diags = diags.Extend(ap.applyRevision(ctx, ap.a.Hash, n, req.IdempotencyKey))
	}
	if !diags.HasErrors() {
		diags = diags.Extend(ap.removeOtherRevisions(ctx))
	}
	if !diags.HasErrors() {
		diags = diags.Extend(ap.removeUnshared(ctx))
	}
	if !diags.HasErrors() {
		diags = diags.Extend(ap.waitReady(ctx, ap.a.Hash, n, ap.a.Spec.Rollout.MinHealthy))
	}
	if !diags.HasErrors() {
		// One revision runs now: a pause left by an interrupted rollout
		// (killed after its last step) ends here.
		if err := ap.resumeAutoscaler(ctx); err != nil {
			diags = append(diags, errDiag("Cannot resume the app's HorizontalPodAutoscaler", err))
		}
	}
	st, _, rd := ap.stepState(req.PriorState, planned, assignment{Target: ap.a.Hash})
	return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags.Extend(rd), Resumable: req.PriorState.IsNull()}
}

// autoscaledCount sets *n to the replicas the revision's Deployment runs
// now when an autoscaler owns the count: the plan's count may be minutes
// old, and applying it would undo the autoscaler's work.
func (ap *applier) autoscaledCount(ctx context.Context, n *int) hcl.Diagnostics {
	h, err := ap.autoscaler(ctx)
	if err != nil {
		return hcl.Diagnostics{errDiag("Cannot read the app's HorizontalPodAutoscaler", err)}
	}
	if h == nil {
		return nil
	}
	d, err := ap.c.Get(ctx, gvkDeployment, ap.a.deploymentName(ap.a.Hash))
	if err != nil {
		return hcl.Diagnostics{errDiag("Cannot read the app's Deployment", err)}
	}
	if d != nil {
		if r, found, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); found {
			*n = int(r)
		}
	}
	return nil
}

// stepStart starts a wave's instances: the planned revision's Deployment
// grows by the slots it does not fill yet, and the call returns once its
// pods are ready (for HoldFor).
func (ap *applier) stepStart(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	slots := map[string]bool{}
	for _, in := range ap.prior {
		if in.ConfigHash == ap.a.Hash && in.ImageDigest == ap.a.Pinned && in.Status != statusTerminating {
			slots[in.Name] = true
		}
	}
	for _, n := range req.Step.Instances {
		slots[n] = true
	}
	n := len(slots)
	diags := ap.pause(ctx)
	if !diags.HasErrors() {
		diags = diags.Extend(ap.applyShared(ctx))
	}
	if !diags.HasErrors() {
		diags = diags.Extend(ap.applyRevision(ctx, ap.a.Hash, n, ""))
	}
	if !diags.HasErrors() {
		diags = diags.Extend(ap.waitReady(ctx, ap.a.Hash, n, req.Step.HoldFor))
	}
	return ap.stepResponse(ctx, req, assignment{Target: ap.a.Hash, Start: req.Step.Instances}, diags)
}

// stepStop removes the instances of other revisions in the named slots.
// Kubernetes picks which pod a shrinking ReplicaSet removes: berth marks
// the named pods (the ones the core drained) with the lowest deletion
// cost first, so that those are the ones that go. Each revision's
// Deployment keeps the pods the report lists outside the named slots (and
// goes at zero); the call returns once the others are gone.
func (ap *applier) stepStop(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	target := app.DecodeTarget(req.PlannedState)
	stopped := func(in app.Instance) bool {
		return slices.Contains(req.Step.Instances, in.Name) && in.ConfigHash != ap.a.Hash && !app.Keeps(target, in)
	}
	keep := map[string]int{} // config hash -> pods that stay
	var leaving []app.Instance
	for _, in := range ap.prior {
		switch {
		case in.Status == statusTerminating:
		case stopped(in):
			leaving = append(leaving, in)
			keep[in.ConfigHash] += 0
		case in.ConfigHash != ap.a.Hash:
			keep[in.ConfigHash]++
		}
	}
	diags := ap.pause(ctx)
	l, err := ap.live(ctx)
	if err != nil {
		diags = append(diags, errDiag("Cannot read the app's objects", err))
	}
	if !diags.HasErrors() {
		for _, in := range leaving {
			if err := ap.c.SetPodDeletionCost(ctx, in.ID, -1000000); err != nil {
				diags = append(diags, errDiag("Cannot mark the pods to stop", err))
			}
		}
	}
	want := map[string]int{} // Deployment -> replicas once done
	for _, h := range slices.Sorted(maps.Keys(keep)) {
		if diags.HasErrors() {
			break
		}
		name := ap.a.deploymentName(h)
		d := l.Deployments[name]
		if d == nil {
			continue // gone already
		}
		cur, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		if int(cur) <= keep[h] {
			continue
		}
		want[name] = keep[h]
		ap.emit("progress", "", "scaling Deployment %s from %d to %d replicas", name, cur, keep[h])
		if err := ap.scaleRevision(ctx, d, keep[h]); err != nil {
			diags = append(diags, errDiag("Cannot scale down the previous revision", err))
		}
	}
	if !diags.HasErrors() {
		diags = diags.Extend(ap.waitShrunk(ctx, want))
	}
	if !diags.HasErrors() {
		for _, in := range leaving {
			ap.emit("instance_stopped", in.ID, "stopped (%s)", in.Name)
		}
	}
	return ap.stepResponse(ctx, req, assignment{Target: ap.a.Hash, Stop: req.Step.Instances}, diags)
}

// pause pauses the app's autoscaler for the rollout.
func (ap *applier) pause(ctx context.Context) hcl.Diagnostics {
	if err := ap.pauseAutoscaler(ctx); err != nil {
		return hcl.Diagnostics{errDiag("Cannot pause the app's HorizontalPodAutoscaler for the rollout", err)}
	}
	return nil
}

// stepResponse reports a rollout step's outcome: the state as it exists,
// and the autoscaler resumed once every instance runs one revision (the
// rollout completed, or its revert did).
func (ap *applier) stepResponse(ctx context.Context, req providers.ApplyResourceChangeRequest, as assignment, diags hcl.Diagnostics) providers.ApplyResourceChangeResponse {
	st, complete, rd := ap.stepState(req.PriorState, req.PlannedState, as)
	diags = diags.Extend(rd)
	if complete && !diags.HasErrors() {
		diags = diags.Extend(ap.removeUnshared(ctx))
		if err := ap.resumeAutoscaler(ctx); err != nil {
			diags = append(diags, errDiag("Cannot resume the app's HorizontalPodAutoscaler after the rollout", err))
		}
	}
	return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags}
}

// destroy deletes the app's Deployments (their pods with them), then its
// Service and pull Secret, and waits until all of it is gone.
func (ap *applier) destroy(ctx context.Context, req providers.ApplyResourceChangeRequest) providers.ApplyResourceChangeResponse {
	l, err := ap.live(ctx)
	if err != nil {
		return providers.ApplyResourceChangeResponse{NewState: req.PriorState, Diagnostics: hcl.Diagnostics{errDiag("Cannot read the app's objects", err)}}
	}
	var diags hcl.Diagnostics
	var names []string
	for _, name := range slices.Sorted(maps.Keys(l.Deployments)) {
		ap.emit("progress", "", "deleting Deployment %s", name)
		if err := ap.c.Delete(ctx, gvkDeployment, name); err != nil {
			diags = append(diags, errDiag("Cannot delete the app's Deployment", err))
		}
		names = append(names, name)
	}
	if !diags.HasErrors() {
		if err := ap.c.WaitGone(ctx, gvkDeployment, names...); err != nil {
			diags = append(diags, errDiag("The app's Deployments did not go", err))
		}
	}
	if !diags.HasErrors() {
		diags = diags.Extend(ap.waitShrunk(ctx, nil))
	}
	for _, o := range []*unstructured.Unstructured{l.Service, l.Secret} {
		if o == nil || diags.HasErrors() {
			continue
		}
		if err := ap.c.Delete(ctx, o.GroupVersionKind(), o.GetName()); err != nil {
			diags = append(diags, errDiag("Cannot delete the app's "+o.GetKind(), err))
		} else if err := ap.c.WaitGone(ctx, o.GroupVersionKind(), o.GetName()); err != nil {
			diags = append(diags, errDiag("The app's "+o.GetKind()+" did not go", err))
		}
	}
	if diags.HasErrors() {
		st, _, rd := ap.stepState(req.PriorState, req.PriorState, assignment{})
		return providers.ApplyResourceChangeResponse{NewState: st, Diagnostics: diags.Extend(rd)}
	}
	return providers.ApplyResourceChangeResponse{NewState: cty.NullVal(req.PriorState.Type())}
}

// live lists what exists of the app now (one call per kind).
func (ap *applier) live(ctx context.Context) (*live, error) {
	ls, err := list(ctx, ap.c, appSelector(ap.a.Object))
	if err != nil {
		return nil, err
	}
	return ls.of(ap.a.Object), nil
}

// sharedObject is one of the objects every revision of an app shares.
type sharedObject struct {
	obj  *unstructured.Unstructured // nil: the app no longer has it
	gvk  schema.GroupVersionKind
	name string
}

// shared are the app's Service and pull Secret.
func (ap *applier) shared() []sharedObject {
	ns := ap.c.Namespace()
	return []sharedObject{
		{manifest.Service(ap.a.Spec, ns), gvkService, ap.a.Object},
		{manifest.PullSecret(ap.a.Spec, ns), gvkSecret, manifest.PullSecretName(ap.a.Name)},
	}
}

// applyShared applies the app's Service and pull Secret (what every
// revision shares).
func (ap *applier) applyShared(ctx context.Context) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, o := range ap.shared() {
		if o.obj == nil {
			continue
		}
		if _, err := ap.apply(ctx, o.obj); err != nil {
			diags = append(diags, errDiag("Cannot apply the app's "+o.gvk.Kind, err))
		}
	}
	return diags
}

// removeUnshared deletes the Service or pull Secret the app no longer
// has. Only once one revision runs: mid-rollout the previous revision's
// pods may still need its pull Secret (a pod rescheduled pulls again).
func (ap *applier) removeUnshared(ctx context.Context) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, o := range ap.shared() {
		if o.obj != nil {
			continue
		}
		if err := ap.deleteOwned(ctx, o.gvk, o.name); err != nil {
			diags = append(diags, errDiag("Cannot delete the app's "+o.gvk.Kind, err))
		}
	}
	return diags
}

// deleteOwned deletes the object name of kind gvk when it is berth's
// object of this app.
func (ap *applier) deleteOwned(ctx context.Context, gvk schema.GroupVersionKind, name string) error {
	o, err := ap.c.Get(ctx, gvk, name)
	if err != nil || o == nil || o.GetLabels()[manifest.LabelApp] != ap.a.Object {
		return err
	}
	return ap.c.Delete(ctx, gvk, name)
}

// applyRevision applies the Deployment of config hash h with replicas.
// When the spec at hand is not the one of h (a state imported with a
// configuration that differs from what runs), the Deployment that exists
// is only scaled: rendering it would change its pods inside it, without
// waves.
func (ap *applier) applyRevision(ctx context.Context, h string, replicas int, createKey string) hcl.Diagnostics {
	if !ap.a.renders() {
		d, err := ap.c.Get(ctx, gvkDeployment, ap.a.deploymentName(h))
		switch {
		case err != nil:
			return hcl.Diagnostics{errDiag("Cannot read the app's Deployment", err)}
		case d == nil:
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot re-create the app's Deployment",
				Detail: fmt.Sprintf("Deployment %s of cluster %q is gone, and the state does not record the spec of its revision %s (it was imported with a configuration that differs from what ran); apply the configuration as it is now.", ap.a.deploymentName(h), ap.c.Name(), revisionID(h))}}
		}
		if err := ap.scaleRevision(ctx, d, replicas); err != nil {
			return hcl.Diagnostics{errDiag("Cannot scale the app's Deployment", err)}
		}
		return nil
	}
	d := manifest.Deployment(ap.a.Spec, ap.c.Namespace(), ap.a.revision(h, ap.a.Pinned), replicas)
	if createKey != "" {
		ann := d.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[annotationCreateKey] = createKey
		d.SetAnnotations(ann)
	}
	ap.emit("progress", "", "applying Deployment %s with %d replicas", d.GetName(), replicas)
	if _, err := ap.apply(ctx, d); err != nil {
		return hcl.Diagnostics{errDiag("Cannot apply the app's Deployment", err)}
	}
	return nil
}

// removeOtherRevisions deletes the Deployments of other revisions: after
// a change without a rollout, none of them may run (a plan with running
// pods of another revision rolls out instead).
func (ap *applier) removeOtherRevisions(ctx context.Context) hcl.Diagnostics {
	l, err := ap.live(ctx)
	if err != nil {
		return hcl.Diagnostics{errDiag("Cannot read the app's objects", err)}
	}
	keep := ap.a.deploymentName(ap.a.Hash)
	for _, name := range slices.Sorted(maps.Keys(l.Deployments)) {
		if name == keep {
			continue
		}
		ap.emit("progress", "", "deleting Deployment %s of a previous revision", name)
		if err := ap.scaleRevision(ctx, l.Deployments[name], 0); err != nil {
			return hcl.Diagnostics{errDiag("Cannot delete a previous revision's Deployment", err)}
		}
	}
	return nil
}

// scaleRevision sets the replicas of an existing revision's Deployment,
// re-applying the fields berth owns of it (extracted from the object, as
// the spec it was made from may be gone); zero deletes it and waits
// until it is gone.
func (ap *applier) scaleRevision(ctx context.Context, d *unstructured.Unstructured, replicas int) error {
	if replicas <= 0 {
		// Deleted in the foreground, it lingers until its pods are gone:
		// the step ends when it has.
		if err := ap.c.Delete(ctx, gvkDeployment, d.GetName()); err != nil {
			return err
		}
		return ap.c.WaitGone(ctx, gvkDeployment, d.GetName())
	}
	var typed appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(d.Object, &typed); err != nil {
		return fmt.Errorf("cluster %q: Deployment %s: %w", ap.c.Name(), d.GetName(), err)
	}
	ac, err := appsv1ac.ExtractDeployment(&typed, kube.FieldManager)
	if err != nil {
		return fmt.Errorf("cluster %q: Deployment %s: %w", ap.c.Name(), d.GetName(), err)
	}
	if ac.Spec == nil {
		ac.Spec = appsv1ac.DeploymentSpec()
	}
	ac.Spec.WithReplicas(int32(replicas))
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ac)
	if err != nil {
		return fmt.Errorf("cluster %q: Deployment %s: %w", ap.c.Name(), d.GetName(), err)
	}
	_, err = ap.apply(ctx, &unstructured.Unstructured{Object: m})
	return err
}

// apply applies obj as berth's (applyOwned), reporting fields taken back.
func (ap *applier) apply(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	out, taken, err := applyOwned(ctx, ap.c, obj, kube.ApplyOptions{})
	if taken != "" {
		ap.emit("progress", "", "%s %s: took back fields changed outside berth (%s)", obj.GetKind(), obj.GetName(), taken)
	}
	return out, err
}

// stepState is the state after a call: the instances as they exist (a
// fresh listing, taken with a fresh context so that it works after the
// call was cancelled), with planned's other attributes once every
// instance runs as planned and nothing else remains, prior's until then.
// The app takes the new spec when its rollout completes, so the next plan
// rolls on from where a stopped rollout left off, and a revert goes back
// to the spec the untouched instances still run.
func (ap *applier) stepState(prior, planned cty.Value, as assignment) (cty.Value, bool, hcl.Diagnostics) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := ap.live(ctx)
	if err != nil {
		return prior, false, hcl.Diagnostics{errDiag("Cannot read the app's pods", err)}
	}
	as.App, as.Ports, as.Prior = ap.a.Name, ap.a.Spec.Ports, ap.prior
	ins := as.instances(l.Pods)
	want := app.DecodeTarget(planned)
	complete := true
	for _, in := range ins {
		complete = complete && app.Keeps(want, in)
	}
	for _, w := range want {
		complete = complete && slices.ContainsFunc(ins, func(in app.Instance) bool { return in.Name == w.Name && app.Keeps(want, in) })
	}
	top := prior
	if complete || prior.IsNull() {
		top = planned
	}
	return app.WithInstances(top, ins), complete, nil
}
