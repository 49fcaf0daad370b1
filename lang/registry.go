package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// ImageRegistry returns the registry (an evaluated registry object) whose
// address is the host part of image, or a null value. The evaluator
// stores it in the app's computed "registry" attribute.
func ImageRegistry(image string, registries []cty.Value) cty.Value {
	host, _, ok := strings.Cut(image, "/")
	if !ok {
		return cty.NullVal(RegistryType())
	}
	for _, r := range registries {
		u, _ := r.Unmark()
		if !u.IsKnown() || u.IsNull() {
			continue
		}
		a := u.GetAttr("address")
		if a.IsKnown() && !a.IsNull() && strings.TrimSuffix(a.AsString(), "/") == host {
			return r
		}
	}
	return cty.NullVal(RegistryType())
}

// registryFromImage explains `registry = registry.NAME` written on an
// app: the app's registry is the one whose address is the image's host
// (ImageRegistry), so the image names it. The example uses the registry
// and the image as written, when they can be read without evaluation.
func registryFromImage(set *hcl.Attribute, content *hcl.BodyContent) (string, string) {
	name := "NAME"
	if tr, d := hcl.AbsTraversalForExpr(set.Expr); !d.HasErrors() && len(tr) == 2 && tr.RootName() == "registry" {
		if step, ok := tr[1].(hcl.TraverseAttr); ok {
			name = step.Name
		}
	}
	repo := "shop/web:v2"
	if img := content.Attributes["image"]; img != nil {
		if v, d := img.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			repo = withoutRegistryHost(v.AsString())
		}
	}
	return "Registry set on an app",
		fmt.Sprintf("An app's registry is not written: it is the registry block whose address is the host part of the image reference, and berth fills it in from the image. "+
			"Remove this argument and start the image with the registry's address: image = \"${registry.%s.address}/%s\".", name, repo)
}

// withoutRegistryHost is image without its first part when that part is
// a registry host (it has a dot or a port, or is localhost), as Docker
// reads references.
func withoutRegistryHost(image string) string {
	host, rest, ok := strings.Cut(image, "/")
	if ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		return rest
	}
	return image
}

// nameFromLabel explains `name = ...` written on an app.
func nameFromLabel(*hcl.Attribute, *hcl.BodyContent) (string, string) {
	return "Name set on an app",
		"An app's name is not written: it is the block's label (app \"web\" { ... }), with the instance key of count or for_each (web-0, web-eu). Remove this argument, or rename the block."
}
