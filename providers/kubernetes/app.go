package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
	"github.com/zclconf/go-cty/cty"
)

// deployment is an app's decoded configuration with what the provider
// derives from it: where it runs, its pinned image and its spec's hash.
type deployment struct {
	Spec   *app.Spec
	Target kube.Target
	// Name is the app's name ("web", "web-0"), Object its Kubernetes name.
	Name   string
	Object string
	// Pinned is repository@sha256:..., Hash the config hash of the pod
	// template that runs it.
	Pinned string
	Hash   string
}

// decodeApp decodes an app value (config, planned or prior state); the
// pinned image and hash are taken from its computed attributes.
func decodeApp(v cty.Value) (*deployment, error) {
	spec, err := app.Decode(app.StripComputed(v))
	if err != nil {
		return nil, err
	}
	t, err := target(spec.Cluster)
	if err != nil {
		return nil, err
	}
	name := app.Str(v, "name")
	if name == "" {
		name = app.DefaultName(spec.Image)
	}
	spec.Name = name
	return &deployment{Spec: spec, Target: t, Name: name, Object: manifest.ObjectName(name),
		Pinned: app.Str(v, "image_digest"), Hash: app.Str(v, "config_hash")}, nil
}

// computeHash sets Hash: the pod template berth applies, hashed. Any
// change to what the pods run is a new revision, rolled out in waves;
// replicas, rollout settings and the scaling policy are not part of it.
func (a *deployment) computeHash() error {
	h, err := a.templateHash()
	a.Hash = h
	return err
}

// templateHash is the hash of the pod template of a's spec and pinned
// image.
func (a *deployment) templateHash() (string, error) {
	b, err := json.Marshal(manifest.PodTemplate(a.Spec, a.Pinned))
	if err != nil {
		return "", fmt.Errorf("hashing the pod template: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// renders reports whether a's spec is the one its recorded config hash
// names. It is not after an import whose configuration differs from what
// runs: the state then records the Deployment's hash with the
// configuration's spec.
func (a *deployment) renders() bool {
	h, err := a.templateHash()
	return err == nil && h == a.Hash
}

// revisionID is the short name of the revision of config hash h, the
// suffix of its Deployment's name.
func revisionID(h string) string {
	if len(h) > 10 {
		return h[:10]
	}
	return h
}

// revision is the revision of config hash h running the pinned image.
func (a *deployment) revision(h, pinned string) manifest.Revision {
	return manifest.Revision{ID: revisionID(h), ConfigHash: h, ImageDigest: pinned, Image: pinned}
}

// deploymentName is the Deployment of config hash h.
func (a *deployment) deploymentName(h string) string {
	return manifest.DeploymentName(a.Name, revisionID(h))
}

// deploymentID is the app's deployment_id: namespace/Deployment of the
// current revision.
func (a *deployment) deploymentID(ns string) string { return ns + "/" + a.deploymentName(a.Hash) }
