package aws

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/platform/probe"
	"github.com/berth-sh/berth/providers"
)

// validateBalancer checks, offline, what ELBv2 would refuse of a
// load_balancer: listener protocols of its type, certificates, rules,
// the targets they name, berth's own tags. Unknown parts pass; they are
// checked once known.
func validateBalancer(v cty.Value) hcl.Diagnostics {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return nil
	}
	var diags hcl.Diagnostics
	bad := func(path cty.Path, summary, format string, args ...any) {
		diags = append(diags, providers.AttributeError(summary, fmt.Sprintf(format, args...), path))
	}
	lbType := typeApplication
	if t := attr(v, "type"); t.IsKnown() && !t.IsNull() {
		lbType = t.AsString()
	}
	typeKnown := attr(v, "type").IsKnown()
	if n := attr(v, "name"); n.IsKnown() && !n.IsNull() && strings.HasPrefix(n.AsString(), "internal-") {
		bad(cty.GetAttrPath("name"), "Invalid load balancer name", `ELBv2 refuses names beginning with "internal-".`)
	}
	if d := attr(v, "deregistration_delay"); d.IsKnown() && !d.IsNull() {
		if dd, err := app.ParseDuration(d.AsString()); err == nil && dd > maxDeregistrationDelay {
			bad(cty.GetAttrPath("deregistration_delay"), "Deregistration delay too long", "ELBv2 waits at most 3600s for a target to drain; got %s.", d.AsString())
		}
	}
	if tags := attr(v, "tags"); tags.IsKnown() && !tags.IsNull() {
		for _, k := range slices.Sorted(maps.Keys(strMap(tags))) {
			if reservedTag(k) {
				bad(cty.GetAttrPath("tags").Index(cty.StringVal(k)), "Reserved tag", "berth sets the tags %q and \"berth:*\" on what it creates (docs/aws.md); choose another key than %q.", tagManagedBy, k)
			}
		}
	}
	if _, err := probe.DecodeOverride(attr(v, "health_check")); err != nil && attr(v, "health_check").IsWhollyKnown() {
		bad(cty.GetAttrPath("health_check"), "Invalid health check", "%s", err)
	}

	// Target names, when known: the apps' names unless written.
	names := map[string]bool{}
	namesKnown := attr(v, "target").IsKnown()
	for i, t := range elements(attr(v, "target")) {
		path := cty.GetAttrPath("target").IndexInt(i)
		name, known := targetName(t)
		if !known {
			namesKnown = false
			continue
		}
		if names[name] {
			bad(path.GetAttr("name"), "Duplicate target name", "Two targets are named %q; give one of them another name (name = ...): target groups and rules name targets.", name)
		}
		names[name] = true
	}

	ports := map[int64]bool{}
	for i, l := range elements(attr(v, "listener")) {
		path := cty.GetAttrPath("listener").IndexInt(i)
		if p := attr(l, "port"); p.IsKnown() && !p.IsNull() {
			n := intAttr(l, "port")
			if ports[n] {
				bad(path.GetAttr("port"), "Duplicate listener port", "Two listeners listen on port %d.", n)
			}
			ports[n] = true
		}
		proto := "HTTP"
		if p := attr(l, "protocol"); p.IsKnown() && !p.IsNull() {
			proto = p.AsString()
		}
		protoKnown := attr(l, "protocol").IsKnown()
		if typeKnown && protoKnown {
			allowed := []string{"HTTP", "HTTPS"}
			if lbType == typeNetwork {
				allowed = []string{"TCP", "UDP", "TLS"}
			}
			if !contains(allowed, proto) {
				bad(path.GetAttr("protocol"), "Listener protocol of another load balancer type", "A listener of an %s load balancer is %s; got %s.", lbType, strings.Join(allowed, " or "), proto)
			}
		}
		cert := attr(l, "certificate_arn")
		if protoKnown && cert.IsKnown() {
			secure := proto == "HTTPS" || proto == "TLS"
			switch {
			case secure && cert.IsNull():
				bad(path, "Listener without a certificate", "An %s listener needs certificate_arn (an ACM certificate's ARN).", proto)
			case !secure && !cert.IsNull():
				bad(path.GetAttr("certificate_arn"), "Certificate of a plain listener", "Only HTTPS and TLS listeners take a certificate; this one is %s.", proto)
			}
		}
		if dt := attr(l, "default_target"); dt.IsKnown() && !dt.IsNull() && namesKnown && !names[dt.AsString()] {
			bad(path.GetAttr("default_target"), "Unknown target", "No target is named %q; the targets are %s.", dt.AsString(), quoted(slices.Sorted(maps.Keys(names))))
		}
		priorities := map[int64]bool{}
		for j, r := range elements(attr(l, "rule")) {
			rpath := path.GetAttr("rule").IndexInt(j)
			if typeKnown && lbType == typeNetwork {
				bad(rpath, "Rule of a network load balancer", "Only an application load balancer's listeners have rules; a network load balancer's forward everything to their default target.")
				continue
			}
			if p := attr(r, "priority"); p.IsKnown() && !p.IsNull() {
				n := intAttr(r, "priority")
				if n > 50000 {
					bad(rpath.GetAttr("priority"), "Rule priority too high", "ELBv2's rule priorities are 1 to 50000; got %d.", n)
				}
				if priorities[n] {
					bad(rpath.GetAttr("priority"), "Duplicate rule priority", "Two rules of this listener have priority %d.", n)
				}
				priorities[n] = true
			}
			pp, hh := attr(r, "path_patterns"), attr(r, "host_headers")
			if pp.IsKnown() && hh.IsKnown() && len(strs(pp)) == 0 && len(strs(hh)) == 0 {
				bad(rpath, "Rule without a condition", "A rule matches requests by path_patterns, host_headers or both; this one has neither.")
			}
			if tg := attr(r, "target"); tg.IsKnown() && !tg.IsNull() && namesKnown && !names[tg.AsString()] {
				bad(rpath.GetAttr("target"), "Unknown target", "No target is named %q; the targets are %s.", tg.AsString(), quoted(slices.Sorted(maps.Keys(names))))
			}
		}
	}
	return diags
}

// targetName is a target block's name: name, else its app's.
func targetName(t cty.Value) (string, bool) {
	n := attr(t, "name")
	if !n.IsKnown() {
		return "", false
	}
	if !n.IsNull() {
		return n.AsString(), true
	}
	a := attr(t, "app")
	if !a.IsKnown() {
		return "", false
	}
	an := attr(a, "name")
	if !an.IsKnown() || an.IsNull() {
		return "", false
	}
	return an.AsString(), true
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
