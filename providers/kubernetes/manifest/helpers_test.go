package manifest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"sigs.k8s.io/yaml"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/platform"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/providers/kubernetes/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The language runs a platform's CheckApp as it decodes an app on a
// cluster of the platform's kind (validate). The Kubernetes provider
// registers that platform; this test binary does not import it, so it
// registers a stand-in with the rules of this package.
func init() {
	builtin.Register(builtin.Provider{
		Name: "kubernetes",
		New:  func() providers.Interface { return nil },
		Platform: &platform.Platform{
			Kind: "kubernetes", Description: "a Kubernetes cluster (test stand-in)",
			Cluster:  &providers.Block{Attributes: map[string]*providers.Attribute{}},
			CheckApp: manifest.CheckApp,
		},
	})
}

// clusterValue is `cluster.prod`, a Kubernetes cluster.
func clusterValue() cty.Value {
	m := map[string]cty.Value{}
	for name, t := range lang.ClusterType().AttributeTypes() {
		m[name] = cty.NullVal(t)
	}
	m["name"], m["kind"] = cty.StringVal("prod"), cty.StringVal("kubernetes")
	m["kubernetes"] = cty.EmptyObjectVal
	return cty.ObjectVal(m)
}

// registryValue is `registry.harbor`, its password marked sensitive as the
// language marks it.
func registryValue() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("harbor"), "address": cty.StringVal("harbor.example.com"),
		"username": cty.StringVal("robot$deploy"), "password": cty.StringVal("s3cret").Mark(lang.Sensitive),
	})
}

// evalContext binds cluster.prod, registry.harbor and var.* (vars: the
// test's variables, unknown ones included).
func evalContext(vars map[string]cty.Value) *hcl.EvalContext {
	v := cty.EmptyObjectVal
	if len(vars) > 0 {
		v = cty.ObjectVal(vars)
	}
	return &hcl.EvalContext{Variables: map[string]cty.Value{
		"cluster":  cty.ObjectVal(map[string]cty.Value{"prod": clusterValue()}),
		"registry": cty.ObjectVal(map[string]cty.Value{"harbor": registryValue()}),
		"var":      v,
	}}
}

// decodeApp decodes an app block's body with the language's schema (its
// checks, this package's CheckApp among them, give the diagnostics), and
// fills in name and registry as the evaluator does (registry: cty.NilVal
// for none).
func decodeApp(t testing.TB, src, name string, registry cty.Value, vars map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "app.berth.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v, diags := lang.AppSchema().Decode(f.Body, evalContext(vars))
	m := v.AsValueMap()
	m["name"] = cty.StringVal(name)
	if registry != cty.NilVal {
		m["registry"] = registry
	}
	return cty.ObjectVal(m), diags
}

// appSpec decodes an app that has no errors (warnings allowed) into the
// contract's Spec.
func appSpec(t testing.TB, src, name string, registry cty.Value) (*app.Spec, cty.Value) {
	t.Helper()
	v, diags := decodeApp(t, src, name, registry, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	spec, err := app.Decode(v)
	if err != nil {
		t.Fatal(err)
	}
	return spec, v
}

// checkGolden compares got with testdata/name.golden, rewriting it with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./providers/kubernetes/manifest -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// toYAML writes objects as a YAML stream, as kubectl would read them.
func toYAML(t testing.TB, objects ...map[string]any) []byte {
	t.Helper()
	var docs []string
	for _, o := range objects {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	return []byte(strings.Join(docs, "---\n"))
}

// jsonOf is v as JSON.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
