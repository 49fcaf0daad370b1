package manifest_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// designApp is the app of DESIGN.md's example, every field of it
// (lifecycle is a meta-argument, not the platform's), its reusable
// probe.health written inline.
const designApp = `
cluster  = cluster.prod
image    = "${registry.harbor.address}/shop/web:v1"
replicas = 6
command  = ["/web"]
env      = { LOG_LEVEL = "info" }

port "http" {
  container = 8080
}

resources {
  cpu            = 2
  memory         = "2Gi"
  cpu_overcommit = 4
}

placement {
  node_selector = { pool = "core" }
  spread        = "host"
}

readiness {
  http {
    path   = "/health"
    port   = "http"
    status = [200]
  }
  period            = "10s"
  timeout           = "1s"
  failure_threshold = 3
}
liveness {
  tcp {
    port = "http"
  }
}

hooks {
  after_start {
    exec     = ["/warm-cache"]
    required = false
  }
  before_stop {
    exec = ["/deregister"]
  }
  drain = "30s"
}

rollout {
  initial_batch    = 1
  growth           = 2
  max_unavailable  = 0
  min_healthy      = "10s"
  healthy_deadline = "5m"
  auto_revert      = true
}
`

// extrasApp has what the example does not: args, labels, several env
// variables and ports, UDP, a memory overcommit, zone spread, every probe
// kind but tcp, headers, an initial delay, and a drain without a
// before_stop hook.
const extrasApp = `
cluster  = cluster.prod
image    = "r.example.com/team/api:v2"
replicas = 3
command  = ["/api"]
args     = ["--listen", ":9000", "--verbose"]
env      = { ZONE = "eu", APP_MODE = "prod", DEBUG = "" }
labels   = { team = "payments", "example.com/tier" = "backend" }

port "grpc" {
  container = 9000
}
port "metrics" {
  container = 9100
}
port "dns" {
  container = 5353
  protocol  = "udp"
}

resources {
  cpu               = "1500m"
  memory            = "1Gi"
  cpu_overcommit    = 3
  memory_overcommit = 2
}

placement {
  spread = "zone"
}

readiness {
  http {
    path    = "/ready"
    port    = "9100"
    scheme  = "HTTPS"
    headers = { "X-Probe" = "berth", Accept = "text/plain" }
  }
  success_threshold = 2
}
liveness {
  grpc {
    port    = "grpc"
    service = "api.v1.Health"
  }
  period            = "20s"
  timeout           = "3s"
  failure_threshold = 5
}
startup {
  exec {
    command = ["/api", "check"]
  }
  initial_delay     = "5s"
  failure_threshold = 30
}

hooks {
  after_start {
    exec = ["/api", "warm"]
  }
  drain = "15s"
}
`

const minimalApp = `
cluster = cluster.prod
image   = "nginx:1.27"
`

const registryApp = `
cluster = cluster.prod
image   = "${registry.harbor.address}/shop/cart:v3"
port "http" {
  container = 80
}
`

func revision(image string) manifest.Revision {
	return manifest.Revision{
		ID:          "7c9e6f1a",
		ConfigHash:  "sha256:5e1f3a9b7c2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",
		ImageDigest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Image:       image + "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name, src, app string
		registry       cty.Value
		image          string
		replicas       int
		warnings       []string
		kinds          []string // the objects expected, in order
	}{
		{"design-app", designApp, "web", registryValue(), "harbor.example.com/shop/web", 6,
			[]string{"Drain after a before_stop hook not honoured on Kubernetes"}, []string{"Deployment", "Service", "Secret"}},
		{"extras-app", extrasApp, "api", cty.NilVal, "r.example.com/team/api", 3, nil, []string{"Deployment", "Service"}},
		{"minimal-app", minimalApp, "static", cty.NilVal, "docker.io/library/nginx", 1, nil, []string{"Deployment"}},
		{"registry-app", registryApp, "cart", registryValue(), "harbor.example.com/shop/cart", 2, nil, []string{"Deployment", "Service", "Secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, diags := decodeApp(t, tt.src, tt.app, tt.registry, nil)
			if got := summaries(diags); !slices.Equal(got, tt.warnings) {
				t.Fatalf("diagnostics %q, want %q", got, tt.warnings)
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			spec, err := app.Decode(v)
			if err != nil {
				t.Fatal(err)
			}
			var objs []*unstructured.Unstructured
			objs = append(objs, manifest.Deployment(spec, "shop", revision(tt.image), tt.replicas))
			if s := manifest.Service(spec, "shop"); s != nil {
				objs = append(objs, s)
			}
			if s := manifest.PullSecret(spec, "shop"); s != nil {
				objs = append(objs, s)
			}
			var kinds []string
			var maps []map[string]any
			for _, o := range objs {
				kinds = append(kinds, o.GetKind())
				maps = append(maps, o.Object)
				checkTyped(t, o)
			}
			if !slices.Equal(kinds, tt.kinds) {
				t.Fatalf("objects %q, want %q", kinds, tt.kinds)
			}
			checkGolden(t, tt.name, toYAML(t, maps...))
		})
	}
}

func summaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, d.Summary)
	}
	return out
}

// checkTyped proves an object is valid unstructured content (DeepCopy
// panics on other types), that its every field is a field of the typed
// API struct (FromUnstructuredWithValidation, returning unknown fields), and that it comes back from the
// typed struct unchanged, quantities included (the server holds typed
// objects: what does not survive the trip would be a perpetual diff).
func checkTyped(t *testing.T, o *unstructured.Unstructured) {
	t.Helper()
	o.DeepCopy()
	var typed runtime.Object
	switch o.GetKind() {
	case "Deployment":
		typed = &appsv1.Deployment{}
	case "Service":
		typed = &corev1.Service{}
	case "Secret":
		typed = &corev1.Secret{}
	case "HorizontalPodAutoscaler":
		typed = &autoscalingv2.HorizontalPodAutoscaler{}
	default:
		t.Fatalf("no typed struct for %s", o.GetKind())
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, typed, true); err != nil {
		t.Fatalf("%s %s does not decode into %T: %v", o.GetKind(), o.GetName(), typed, err)
	}
	back, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		t.Fatal(err)
	}
	delete(back, "status") // the server's
	prune(back)
	if d := cmp.Diff(o.Object, back); d != "" {
		t.Errorf("%s %s changes through %T (-sent +typed):\n%s", o.GetKind(), o.GetName(), typed, d)
	}
}

// prune removes what the typed structs add when empty (creationTimestamp
// null, empty status and strategy): nulls and empty maps.
func prune(m map[string]any) bool {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			if prune(x) {
				delete(m, k)
			}
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					prune(em)
				}
			}
		}
	}
	return len(m) == 0
}

func TestDeploymentIsPodTemplateWithRevision(t *testing.T) {
	for _, src := range []string{designApp, extrasApp, minimalApp, registryApp} {
		spec, _ := appSpec(t, src, "web", registryValue())
		rev := revision("reg/x")
		tmpl := manifest.PodTemplate(spec, rev.Image)
		if a, b := jsonOf(t, tmpl), jsonOf(t, manifest.PodTemplate(spec, rev.Image)); a != b {
			t.Fatalf("PodTemplate is not deterministic:\n%s\n%s", a, b)
		}
		d := manifest.Deployment(spec, "ns", rev, 2)
		got, _, _ := unstructured.NestedMap(d.Object, "spec", "template")
		labels, _, _ := unstructured.NestedStringMap(got, "metadata", "labels")
		if labels[manifest.LabelRevision] != rev.ID || labels[manifest.LabelApp] != "web" || labels[manifest.LabelManagedBy] != "berth" {
			t.Errorf("template labels %v", labels)
		}
		ann, _, _ := unstructured.NestedStringMap(got, "metadata", "annotations")
		if want := map[string]string{manifest.AnnotationConfigHash: rev.ConfigHash, manifest.AnnotationImageDigest: rev.ImageDigest}; !maps.Equal(ann, want) {
			t.Errorf("template annotations %v, want %v", ann, want)
		}
		unstructured.RemoveNestedField(got, "metadata", "labels", manifest.LabelRevision)
		unstructured.RemoveNestedField(got, "metadata", "annotations")
		if a, b := jsonOf(t, got), jsonOf(t, tmpl); a != b {
			t.Errorf("the Deployment's template is not PodTemplate plus the revision:\n%s\n%s", a, b)
		}
		sel, _, _ := unstructured.NestedStringMap(d.Object, "spec", "selector", "matchLabels")
		if want := map[string]string{manifest.LabelApp: "web", manifest.LabelRevision: rev.ID}; !maps.Equal(sel, want) {
			t.Errorf("selector %v, want %v", sel, want)
		}
		if n, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); n != 2 {
			t.Errorf("replicas %d", n)
		}
	}
}

func TestZeroReplicasAreWritten(t *testing.T) {
	spec, _ := appSpec(t, minimalApp, "web", cty.NilVal)
	d := manifest.Deployment(spec, "ns", revision("reg/x"), 0)
	if n, found, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); !found || n != 0 {
		t.Errorf("replicas %d (found %v), want an explicit 0", n, found)
	}
}

func TestPullSecret(t *testing.T) {
	spec, _ := appSpec(t, registryApp, "cart", registryValue())
	s := manifest.PullSecret(spec, "shop")
	if s.GetName() != manifest.PullSecretName("cart") || s.GetNamespace() != "shop" {
		t.Errorf("secret %s/%s", s.GetNamespace(), s.GetName())
	}
	if typ, _, _ := unstructured.NestedString(s.Object, "type"); typ != "kubernetes.io/dockerconfigjson" {
		t.Errorf("type %q", typ)
	}
	enc, _, _ := unstructured.NestedString(s.Object, "data", ".dockerconfigjson")
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]struct{ Username, Password, Auth string }
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	e, ok := cfg.Auths["harbor.example.com"]
	auth, _ := base64.StdEncoding.DecodeString(e.Auth)
	if !ok || e.Username != "robot$deploy" || e.Password != "s3cret" || string(auth) != "robot$deploy:s3cret" {
		t.Errorf("auths %+v", cfg.Auths)
	}
	secrets, _, _ := unstructured.NestedSlice(manifest.Deployment(spec, "shop", revision("x"), 1).Object, "spec", "template", "spec", "imagePullSecrets")
	if want := []any{map[string]any{"name": s.GetName()}}; !reflect.DeepEqual(secrets, want) {
		t.Errorf("imagePullSecrets %v, want %v", secrets, want)
	}

	// Without a registry, or with one without credentials, there is no
	// Secret and no reference to one.
	for _, reg := range []cty.Value{cty.NilVal, cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("pub"), "address": cty.StringVal("pub.example.com"),
		"username": cty.NullVal(cty.String), "password": cty.NullVal(cty.String),
	})} {
		spec, _ := appSpec(t, registryApp, "cart", reg)
		if s := manifest.PullSecret(spec, "shop"); s != nil {
			t.Errorf("a Secret without credentials: %v", s.Object)
		}
		if _, found, _ := unstructured.NestedSlice(manifest.Deployment(spec, "shop", revision("x"), 1).Object, "spec", "template", "spec", "imagePullSecrets"); found {
			t.Error("imagePullSecrets without a Secret")
		}
	}
}

func TestServiceWithoutPorts(t *testing.T) {
	spec, _ := appSpec(t, minimalApp, "web", cty.NilVal)
	if s := manifest.Service(spec, "ns"); s != nil {
		t.Errorf("a Service without ports: %v", s.Object)
	}
}

// TestTerminationGrace: the grace period covers what preStop takes (the
// drain, the before_stop hook) and leaves the container Kubernetes'
// default 30s after SIGTERM.
func TestTerminationGrace(t *testing.T) {
	tests := []struct {
		hooks   string
		grace   int64
		preStop map[string]any
	}{
		{``, 30, nil},
		{`hooks {
  drain = "20s"
}`, 50, map[string]any{"sleep": map[string]any{"seconds": int64(20)}}},
		{`hooks {
  before_stop {
    exec = ["/bye"]
  }
}`, 60, map[string]any{"exec": map[string]any{"command": []any{"/bye"}}}},
		{`hooks {
  before_stop {
    exec = ["/bye"]
  }
  drain = "10s"
}`, 70, map[string]any{"exec": map[string]any{"command": []any{"/bye"}}}},
	}
	for _, tt := range tests {
		v, _ := decodeApp(t, minimalApp+tt.hooks, "web", cty.NilVal, nil)
		spec, err := app.Decode(v)
		if err != nil {
			t.Fatal(err)
		}
		pod := manifest.PodTemplate(spec, "x")
		if g, _, _ := unstructured.NestedInt64(pod, "spec", "terminationGracePeriodSeconds"); g != tt.grace {
			t.Errorf("%s: grace %d, want %d", tt.hooks, g, tt.grace)
		}
		c, _, _ := unstructured.NestedSlice(pod, "spec", "containers")
		ps, _, _ := unstructured.NestedMap(c[0].(map[string]any), "lifecycle", "preStop")
		if !reflect.DeepEqual(ps, tt.preStop) && (len(ps) > 0 || tt.preStop != nil) {
			t.Errorf("%s: preStop %v, want %v", tt.hooks, ps, tt.preStop)
		}
	}
}

const designPolicy = `
app      = app.web
min      = 2
max      = 20
metric "cpu" {
  target_utilization = 70
}
metric "concurrency" {
  target = 100
}
metric "memory" {
  target = 536870912
}
cooldown = "5m"
`

// decodePolicy decodes a scaling_policy body with app.web bound to the
// DESIGN example's app.
func decodePolicy(t testing.TB, src string, appSrc string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	return decodePolicyVars(t, src, appSrc, nil)
}

// decodePolicyVars is decodePolicy with var.* bound to vars, in the
// policy and the app.
func decodePolicyVars(t testing.TB, src string, appSrc string, vars map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	av, diags := decodeApp(t, appSrc, "web", registryValue(), vars)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	f, diags := hclsyntax.ParseConfig([]byte(src), "policy.berth.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := evalContext(vars)
	ctx.Variables["app"] = cty.ObjectVal(map[string]cty.Value{"web": av})
	return lang.ScalingPolicySchema().Decode(f.Body, ctx)
}

func TestHPA(t *testing.T) {
	v, diags := decodePolicy(t, designPolicy, designApp)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if d := manifest.CheckScalingPolicy(v); len(d) > 0 {
		t.Fatalf("CheckScalingPolicy: %v", d)
	}
	p, err := manifest.DecodeScalingPolicy(v)
	if err != nil {
		t.Fatal(err)
	}
	want := &manifest.ScalingPolicy{App: "web", Min: 2, Max: 20, Cooldown: 300e9, Metrics: []manifest.Metric{
		{Name: "cpu", TargetUtilization: 70},
		{Name: "concurrency", Target: 100, HasTarget: true},
		{Name: "memory", Target: 536870912, HasTarget: true},
	}}
	if d := cmp.Diff(want, p); d != "" {
		t.Fatalf("DecodeScalingPolicy (-want +got):\n%s", d)
	}
	h := manifest.HPA(p, "shop", manifest.DeploymentName("web", "7c9e6f1a"))
	checkTyped(t, h)
	checkGolden(t, "hpa", toYAML(t, h.Object))
}

func TestDecodeScalingPolicyUnknown(t *testing.T) {
	v, diags := decodePolicy(t, designPolicy, designApp)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, attr := range []string{"app", "min", "max", "cooldown", "metric"} {
		m := v.AsValueMap()
		m[attr] = cty.UnknownVal(m[attr].Type())
		if _, err := manifest.DecodeScalingPolicy(cty.ObjectVal(m)); err == nil {
			t.Errorf("%s unknown: no error", attr)
		}
	}
}

func TestHPAMetrics(t *testing.T) {
	tests := []struct {
		metric manifest.Metric
		want   map[string]any
	}{
		{manifest.Metric{Name: "memory", TargetUtilization: 80}, map[string]any{"type": "Resource", "resource": map[string]any{
			"name": "memory", "target": map[string]any{"type": "Utilization", "averageUtilization": int64(80)}}}},
		{manifest.Metric{Name: "cpu", Target: 0.5, HasTarget: true}, map[string]any{"type": "Resource", "resource": map[string]any{
			"name": "cpu", "target": map[string]any{"type": "AverageValue", "averageValue": "500m"}}}},
		{manifest.Metric{Name: "memory", Target: 1610612736, HasTarget: true}, map[string]any{"type": "Resource", "resource": map[string]any{
			"name": "memory", "target": map[string]any{"type": "AverageValue", "averageValue": "1536Mi"}}}},
		{manifest.Metric{Name: "concurrency", Target: 0.25, HasTarget: true}, map[string]any{"type": "Pods", "pods": map[string]any{
			"metric": map[string]any{"name": "concurrency"}, "target": map[string]any{"type": "AverageValue", "averageValue": "250m"}}}},
		{manifest.Metric{Name: "concurrency", Target: 2500, HasTarget: true}, map[string]any{"type": "Pods", "pods": map[string]any{
			"metric": map[string]any{"name": "concurrency"}, "target": map[string]any{"type": "AverageValue", "averageValue": "2500"}}}},
	}
	for _, tt := range tests {
		h := manifest.HPA(&manifest.ScalingPolicy{App: "Web.EU", Min: 1, Max: 4, Metrics: []manifest.Metric{tt.metric}}, "", "d")
		checkTyped(t, h)
		ms, _, _ := unstructured.NestedSlice(h.Object, "spec", "metrics")
		if d := cmp.Diff([]any{tt.want}, ms); d != "" {
			t.Errorf("%+v (-want +got):\n%s", tt.metric, d)
		}
		if h.GetName() != manifest.ObjectName("Web.EU") || h.GetNamespace() != "" {
			t.Errorf("named %s/%s", h.GetNamespace(), h.GetName())
		}
		if w, found, _ := unstructured.NestedInt64(h.Object, "spec", "behavior", "scaleDown", "stabilizationWindowSeconds"); !found || w != 0 {
			t.Errorf("no cooldown: window %d (found %v), want an explicit 0", w, found)
		}
	}
}
