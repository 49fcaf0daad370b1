package kubernetes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/providers/kubernetes/kube"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

// Kind is the cluster kind (and provider name) of Kubernetes clusters:
// cluster "prod" { kubernetes { context = "prod" } }.
const Kind = "kubernetes"

func init() {
	builtin.Register(builtin.Provider{Name: Kind, New: func() providers.Interface { return New() }, Platform: Platform()})
}

// Platform is the Kubernetes platform: the schema of a cluster's
// kubernetes block and the rules of apps on such clusters, which berth
// checks offline (validate) and the provider again at plan.
func Platform() *platform.Platform {
	return &platform.Platform{
		Kind:         Kind,
		Description:  "a Kubernetes cluster",
		Cluster:      clusterSchema(),
		CheckCluster: checkCluster,
		CheckApp:     manifest.CheckApp,
	}
}

func clusterSchema() *providers.Block {
	str := func(desc string) *providers.Attribute {
		return &providers.Attribute{Type: cty.String, Optional: true, Description: desc}
	}
	return &providers.Block{
		Attributes: map[string]*providers.Attribute{
			"kubeconfig": str("path of the kubeconfig file; default: KUBECONFIG, else ~/.kube/config, as kubectl"),
			"context":    str("kubeconfig context; default: the file's current context"),
			"namespace":  str("namespace of the apps; default: the context's namespace, else \"default\""),
			"in_cluster": {Type: cty.Bool, Optional: true, Description: "use the service account of the pod berth runs in, not a kubeconfig"},
		},
		BlockTypes: map[string]*providers.NestedBlock{},
	}
}

// checkCluster: in_cluster excludes a kubeconfig and a context.
func checkCluster(settings cty.Value) hcl.Diagnostics {
	ic := attr(settings, "in_cluster")
	if !ic.IsKnown() || ic.IsNull() || ic.Type() != cty.Bool || ic.False() {
		return nil
	}
	var diags hcl.Diagnostics
	for _, name := range []string{"kubeconfig", "context"} {
		if v := attr(settings, name); !v.IsNull() {
			diags = append(diags, providers.AttributeError("Conflicting cluster settings",
				fmt.Sprintf("in_cluster = true uses the service account of the pod berth runs in; %q would be ignored. Remove one of them.", name),
				cty.GetAttrPath(name)))
		}
	}
	return diags
}

// target is how the provider reaches an app's cluster.
func target(c app.Cluster) (kube.Target, error) {
	if c.Kind != Kind {
		return kube.Target{}, fmt.Errorf("cluster %q is not a Kubernetes cluster (kind %q)", c.Name, c.Kind)
	}
	t := kube.Target{
		Name: c.Name, Kubeconfig: app.Str(c.Settings, "kubeconfig"), Context: app.Str(c.Settings, "context"),
		Namespace: app.Str(c.Settings, "namespace"),
	}
	if ic := attr(c.Settings, "in_cluster"); ic.IsKnown() && !ic.IsNull() && ic.Type() == cty.Bool {
		t.InCluster = ic.True()
	}
	if rest, ok := strings.CutPrefix(t.Kubeconfig, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return kube.Target{}, fmt.Errorf("cluster %q: kubeconfig %s: %w", c.Name, t.Kubeconfig, err)
		}
		t.Kubeconfig = filepath.Join(home, rest)
	}
	return t, nil
}

// validateApp is the provider's own check of an app at plan: the
// platform's rules, and checkCluster on the app's cluster with paths from
// the app.
func validateApp(v cty.Value) hcl.Diagnostics {
	diags := manifest.CheckApp(v)
	v, _ = v.UnmarkDeep()
	c := attr(v, "cluster")
	if !c.IsKnown() || c.IsNull() {
		return diags
	}
	if k := attr(c, "kind"); k.IsKnown() && !k.IsNull() && k.AsString() != Kind {
		return append(diags, providers.AttributeError("Cluster is not a Kubernetes cluster",
			fmt.Sprintf("The kubernetes provider deploys onto clusters with a kubernetes block; this cluster is %q.", k.AsString()), cty.GetAttrPath("cluster")))
	}
	for _, d := range checkCluster(attr(c, Kind)) {
		if p := providers.DiagnosticPath(d); len(p) > 0 {
			d.Extra = providers.AttributePath{Path: append(cty.GetAttrPath("cluster").GetAttr(Kind), p...)}
		}
		diags = append(diags, d)
	}
	return diags
}

func attr(v cty.Value, name string) cty.Value {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v.GetAttr(name)
}

func errDiag(summary string, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: err.Error()}
}
