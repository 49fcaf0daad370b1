package manifest

import (
	"encoding/base64"
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-sh/berth/platform/app"
)

// revisionHistoryLimit is how many old ReplicaSets a Deployment keeps:
// berth rolls out by moving replicas between Deployments, not within
// one, so a couple is plenty.
const revisionHistoryLimit = 2

// Revision is one spec of an app, as one Deployment runs it.
type Revision struct {
	// ID names the revision: LabelRevision's value and the suffix of the
	// Deployment's name (DeploymentName). It must be a valid label value.
	ID string
	// ConfigHash and ImageDigest identify the spec (the pod template's
	// annotations).
	ConfigHash, ImageDigest string
	// Image is the image reference the pods run, "reg/x@sha256:...".
	Image string
}

// Deployment is the Deployment of revision rev of spec, with replicas
// replicas: named DeploymentName(spec.Name, rev.ID), selecting its pods by
// LabelApp and LabelRevision, its pod template PodTemplate(spec,
// rev.Image) with the revision's label and the config hash and image
// digest annotations. The strategy is left to the server: berth moves
// replicas between revisions' Deployments itself.
func Deployment(spec *app.Spec, namespace string, rev Revision, replicas int) *unstructured.Unstructured {
	labels := appLabels(spec)
	labels[LabelRevision] = rev.ID

	tmpl := PodTemplate(spec, rev.Image)
	meta := tmpl["metadata"].(map[string]any)
	meta["labels"] = stringMap(labels)
	meta["annotations"] = map[string]any{AnnotationConfigHash: rev.ConfigHash, AnnotationImageDigest: rev.ImageDigest}

	return object("apps/v1", "Deployment", DeploymentName(spec.Name, rev.ID), namespace, labels, map[string]any{
		"spec": map[string]any{
			"replicas":             int64(replicas),
			"revisionHistoryLimit": int64(revisionHistoryLimit),
			"selector": map[string]any{"matchLabels": map[string]any{
				LabelApp:      ObjectName(spec.Name),
				LabelRevision: rev.ID,
			}},
			"template": tmpl,
		},
	})
}

// Service is the ClusterIP Service of spec's named ports, nil when the app
// has none. It is named ObjectName(spec.Name) and selects the pods of
// every revision of the app (LabelApp), so it routes to both sides of a
// rollout. Each port is the container port, targeted by name.
func Service(spec *app.Spec, namespace string) *unstructured.Unstructured {
	if len(spec.Ports) == 0 {
		return nil
	}
	var ports []any
	for _, p := range spec.Ports {
		ports = append(ports, map[string]any{
			"name":       p.Name,
			"port":       int64(p.Container),
			"targetPort": p.Name,
			"protocol":   protocol(p.Protocol),
		})
	}
	return object("v1", "Service", ObjectName(spec.Name), namespace, appLabels(spec), map[string]any{
		"spec": map[string]any{
			"type":     "ClusterIP",
			"selector": map[string]any{LabelApp: ObjectName(spec.Name)},
			"ports":    ports,
		},
	})
}

// PullSecret is the image pull Secret of spec's registry
// (PullSecretName), nil when the app has no registry or its registry no
// credentials. It holds .dockerconfigjson in data (base64), not in
// stringData: the server never returns stringData, so it would differ on
// every plan.
func PullSecret(spec *app.Spec, namespace string) *unstructured.Unstructured {
	if !hasPullSecret(spec) {
		return nil
	}
	r := spec.Registry
	type entry struct {
		Username string `json:"username,omitempty"`
		Password string `json:"password,omitempty"`
		Auth     string `json:"auth"`
	}
	cfg := map[string]map[string]entry{"auths": {r.Address: {
		Username: r.Username, Password: r.Password,
		Auth: base64.StdEncoding.EncodeToString([]byte(r.Username + ":" + r.Password)),
	}}}
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return object("v1", "Secret", PullSecretName(spec.Name), namespace, appLabels(spec), map[string]any{
		"type": "kubernetes.io/dockerconfigjson",
		"data": map[string]any{".dockerconfigjson": base64.StdEncoding.EncodeToString(b)},
	})
}

// hasPullSecret: the app has a registry with credentials. A registry
// without them is pulled from anonymously, with no Secret.
func hasPullSecret(spec *app.Spec) bool {
	return spec.Registry != nil && (spec.Registry.Username != "" || spec.Registry.Password != "")
}

// object is an object of kind with berth's metadata and the top-level
// fields in rest.
func object(apiVersion, kind, name, namespace string, labels map[string]string, rest map[string]any) *unstructured.Unstructured {
	meta := map[string]any{"name": name, "labels": stringMap(labels)}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	m := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta}
	for k, v := range rest {
		m[k] = v
	}
	return &unstructured.Unstructured{Object: m}
}
