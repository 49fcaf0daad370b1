package app

import (
	"path"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// computedAttrs are the app attributes a platform computes (see the app
// block's schema in lang): they may be unknown in a planned value, which
// Decode would refuse.
var computedAttrs = map[string]bool{"deployment_id": true, "image_digest": true, "config_hash": true, "instances": true}

// StripComputed is the app value v without the attributes its platform
// computes (deployment_id, image_digest, config_hash, instances), and
// without marks: what Decode reads of a planned value.
func StripComputed(v cty.Value) cty.Value {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return v
	}
	attrs := map[string]cty.Value{}
	for name, av := range v.AsValueMap() {
		if !computedAttrs[name] {
			attrs[name] = av
		}
	}
	return cty.ObjectVal(attrs)
}

// WithAttrs is the object v with the attributes of override set (added
// when v's type lacks them). The engine sends values of the language's
// app type, computed attributes included; a platform only fills those.
func WithAttrs(v cty.Value, override map[string]cty.Value) cty.Value {
	attrs := map[string]cty.Value{}
	if !v.IsNull() && v.IsKnown() && v.Type().IsObjectType() {
		attrs = v.AsValueMap()
		if attrs == nil {
			attrs = map[string]cty.Value{}
		}
	}
	for name, o := range override {
		attrs[name] = o
	}
	return cty.ObjectVal(attrs)
}

// DefaultName is an app's name when its value has none: the last path
// element of the image's repository ("127.0.0.1:5055/shop/web:v1" → "web").
func DefaultName(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	base := path.Base(image)
	if i := strings.IndexByte(base, ':'); i >= 0 {
		base = base[:i]
	}
	return base
}

// WithInstances is an app value (a state, a planned state) with its
// "instances" set to ins, its marks kept.
func WithInstances(v cty.Value, ins []Instance) cty.Value {
	u, pvm := v.UnmarkDeepWithPaths()
	return WithAttrs(u, map[string]cty.Value{"instances": InstancesValue(ins)}).MarkWithPaths(pvm)
}

// SavedDigest is the pinned image ("repo@sha256:...") of saved, the
// planned state of a saved plan being applied, when it was resolved for
// the same image reference; "" otherwise. A platform plans with it
// instead of resolving again, so that apply deploys exactly the planned
// digest even if the tag moved since.
func SavedDigest(saved cty.Value, image string) string {
	if saved == cty.NilVal {
		return ""
	}
	u, _ := saved.UnmarkDeep()
	if u.IsNull() || !u.IsKnown() || Str(u, "image") != image {
		return ""
	}
	d := Str(u, "image_digest")
	if !strings.Contains(d, "@sha256:") {
		return ""
	}
	return d
}
