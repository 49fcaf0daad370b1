package docker

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/lang"
)

// testHost is a host block of a test cluster.
type testHost struct {
	name, endpoint string
	labels         map[string]string
}

// clusterValue builds the value `cluster.NAME` evaluates to.
func clusterValue(t testing.TB, name string, hosts ...testHost) cty.Value {
	t.Helper()
	var hv []cty.Value
	for _, h := range hosts {
		lm := map[string]cty.Value{}
		for k, v := range h.labels {
			lm[k] = cty.StringVal(v)
		}
		labels := cty.MapValEmpty(cty.String)
		if len(lm) > 0 {
			labels = cty.MapVal(lm)
		}
		hv = append(hv, cty.ObjectVal(map[string]cty.Value{
			"name": cty.StringVal(h.name), "endpoint": cty.StringVal(h.endpoint), "labels": labels,
			"tls": cty.NullVal(cty.Object(map[string]cty.Type{"ca_file": cty.String, "cert_file": cty.String, "key_file": cty.String})),
		}))
	}
	ct := lang.ClusterType()
	hostsT := ct.AttributeType("docker").AttributeType("host")
	hl := cty.ListValEmpty(hostsT.ElementType())
	if len(hv) > 0 {
		hl = cty.ListVal(hv)
	}
	v := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal(name), "kind": cty.StringVal("docker"),
		"docker": cty.ObjectVal(map[string]cty.Value{"host": hl}),
	})
	return v
}

// registryValue is `registry.NAME`, its password marked sensitive as lang does.
func registryValue(address, user, password string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("test"), "address": cty.StringVal(address),
		"username": cty.StringVal(user), "password": cty.StringVal(password).Mark(lang.Sensitive),
	})
}

// appValue decodes an app block body with lang's schema, `cluster.c`
// bound to cluster, and fills in "registry" as the evaluator does; name is
// set as the engine would.
func appValue(t testing.TB, src string, cluster, registry cty.Value, name string) cty.Value {
	t.Helper()
	v, diags := decodeAppValue(t, src, cluster, registry, name)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return v
}

// decodeAppValue is appValue with the language's diagnostics (its own
// checks and the platform's) returned rather than fatal.
func decodeAppValue(t testing.TB, src string, cluster, registry cty.Value, name string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "app.berth.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"cluster": cty.ObjectVal(map[string]cty.Value{"c": cluster})}}
	v, diags := lang.AppSchema().Decode(f.Body, ctx)
	m := v.AsValueMap()
	if registry != cty.NilVal {
		m["registry"] = registry
	}
	if name != "" {
		m["name"] = cty.StringVal(name)
	}
	return cty.ObjectVal(m), diags
}

// appType is the language's app type: the type of the values the engine
// sends the provider.
func appType() cty.Type { return lang.AppSchema().ImpliedType() }

func nullAppForTest() cty.Value { return cty.NullVal(appType()) }
