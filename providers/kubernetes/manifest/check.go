package manifest

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
)

// maxStabilizationWindow is the longest scale-down stabilisation window
// an HPA takes.
const maxStabilizationWindow = time.Hour

// CheckApp holds what Kubernetes cannot take of an app (its whole value,
// as platform.Platform.CheckApp receives it), offline: validate runs it
// with some values unknown, which it skips. Each diagnostic names its
// attribute with a providers.AttributePath relative to the app, and shows
// no value that may be sensitive.
//
// Refused: fixed host ports; port names that are not IANA service names
// (Kubernetes names container ports so); two ports with one number and
// protocol (one Service port each); probe durations not in whole seconds;
// liveness and startup success_threshold other than 1; HTTP status codes
// outside 200-399 (Kubernetes passes any 2xx or 3xx); header names
// Kubernetes refuses; hook timeouts (Kubernetes has none; only the
// default, which the language always fills in, is accepted); a drain not
// in whole seconds; labels and node selectors that are not Kubernetes
// labels, and labels that would override berth's own; environment
// variable names Kubernetes refuses.
//
// A warning: before_stop with a drain. A pod has one preStop handler, the
// hook, after which Kubernetes sends SIGTERM at once; the drain is only
// added to the grace period.
//
// Not refused, though Kubernetes differs: after_start.required = false (a
// failing postStart hook kills the container whatever it says).
func CheckApp(v cty.Value) hcl.Diagnostics {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var diags hcl.Diagnostics
	diags = append(diags, checkPorts(v)...)
	for _, name := range []string{"readiness", "liveness", "startup"} {
		diags = append(diags, checkProbe(name, attr(v, name))...)
	}
	diags = append(diags, checkHooks(attr(v, "hooks"))...)
	diags = append(diags, checkLabels(attr(v, "labels"), cty.GetAttrPath("labels"), "label", true)...)
	diags = append(diags, checkLabels(attr(attr(v, "placement"), "node_selector"), cty.GetAttrPath("placement").GetAttr("node_selector"), "node selector", false)...)
	diags = append(diags, checkEnv(attr(v, "env"))...)
	return diags
}

func checkPorts(v cty.Value) hcl.Diagnostics {
	ports := attr(v, "port")
	if !ports.IsKnown() || ports.IsNull() {
		return nil
	}
	var diags hcl.Diagnostics
	seen := map[string]string{} // "8080/TCP" -> port name
	i := 0
	for it := ports.ElementIterator(); it.Next(); i++ {
		_, pv := it.Element()
		path := cty.GetAttrPath("port").IndexInt(i)
		name := knownString(pv, "name")
		if name != "" {
			if msgs := validation.IsValidPortName(name); len(msgs) > 0 {
				diags = append(diags, providers.AttributeError("Port name not valid on Kubernetes",
					fmt.Sprintf("Kubernetes names container ports with IANA service names, and port %q is not one: it %s. Use at most 15 lowercase letters, digits and single hyphens, such as \"http\" or \"grpc-api\".", name, strings.Join(msgs, "; ")),
					path.GetAttr("name")))
			}
		}
		if h := attr(pv, "host"); h.IsKnown() && !h.IsNull() {
			diags = append(diags, providers.AttributeError("Fixed host ports not supported on Kubernetes",
				"berth does not bind an app's pods to a port of their node (hostPort): it would allow one pod per node and bypass the Service. Remove \"host\"; the app's Service (named after the app) reaches every pod on the container port, and a LoadBalancer or Ingress (a kubernetes_manifest) exposes it outside the cluster.",
				path.GetAttr("host")))
		}
		c := attr(pv, "container")
		proto := knownString(pv, "protocol")
		if c.IsKnown() && !c.IsNull() && attr(pv, "protocol").IsKnown() {
			key := c.AsBigFloat().String() + "/" + protocol(proto)
			if other, dup := seen[key]; dup {
				diags = append(diags, providers.AttributeError("Two ports with the same number",
					fmt.Sprintf("Ports %q and %q are both %s: a Kubernetes Service takes each port number and protocol once. Give the port one name.", other, name, key),
					path.GetAttr("container")))
			} else {
				seen[key] = name
			}
		}
	}
	return diags
}

func checkProbe(name string, pv cty.Value) hcl.Diagnostics {
	if !pv.IsKnown() || pv.IsNull() {
		return nil
	}
	var diags hcl.Diagnostics
	path := cty.GetAttrPath(name)
	for _, a := range []string{"period", "timeout", "initial_delay"} {
		d, ok := durationAttr(pv, a)
		if !ok {
			continue
		}
		// The language keeps a period longer than its timeout, which is
		// positive: in whole seconds, both are at least 1s.
		if d%time.Second != 0 {
			diags = append(diags, providers.AttributeError("Probe durations in whole seconds on Kubernetes",
				fmt.Sprintf("Kubernetes counts probe times in whole seconds; the %s probe's %s is %s. Round it to whole seconds.", name, a, app.FormatDuration(d)),
				path.GetAttr(a)))
		}
	}
	if name != "readiness" {
		if st := attr(pv, "success_threshold"); st.IsKnown() && !st.IsNull() && st.Type() == cty.Number && st.AsBigFloat().Cmp(big.NewFloat(1)) != 0 {
			diags = append(diags, providers.AttributeError(fmt.Sprintf("success_threshold of a %s probe must be 1 on Kubernetes", name),
				fmt.Sprintf("Kubernetes counts one success as enough for a %s probe; remove success_threshold (it is for readiness probes).", name),
				path.GetAttr("success_threshold")))
		}
	}
	h := attr(pv, "http")
	if !h.IsKnown() || h.IsNull() {
		return diags
	}
	if st := attr(h, "status"); st.IsKnown() && !st.IsNull() {
		for it := st.ElementIterator(); it.Next(); {
			_, c := it.Element()
			if !c.IsKnown() || c.IsNull() {
				continue
			}
			if n, _ := c.AsBigFloat().Int64(); n < 200 || n > 399 {
				diags = append(diags, providers.AttributeError("HTTP probe status outside 200-399 on Kubernetes",
					fmt.Sprintf("Kubernetes counts an HTTP probe as passing on any status from 200 to 399, and failing on any other; the %s probe accepts %d. Make the check answer with a 2xx or 3xx status, or use an exec probe.", name, n),
					path.GetAttr("http").GetAttr("status")))
				break
			}
		}
	}
	if hs := attr(h, "headers"); hs.IsKnown() && !hs.IsNull() {
		for _, k := range sortedKeys(hs) {
			if msgs := validation.IsHTTPHeaderName(k); len(msgs) > 0 {
				diags = append(diags, providers.AttributeError("HTTP header name not valid on Kubernetes",
					fmt.Sprintf("The %s probe sends header %q, which Kubernetes refuses: %s.", name, k, strings.Join(msgs, "; ")),
					path.GetAttr("http").GetAttr("headers").Index(cty.StringVal(k))))
			}
		}
	}
	return diags
}

func checkHooks(h cty.Value) hcl.Diagnostics {
	if !h.IsKnown() || h.IsNull() {
		return nil
	}
	var diags hcl.Diagnostics
	path := cty.GetAttrPath("hooks")
	for _, name := range []string{"after_start", "before_stop"} {
		hv := attr(h, name)
		if !hv.IsKnown() || hv.IsNull() {
			continue
		}
		// The language fills in the default: only another value is one
		// the user wrote.
		if d, ok := durationAttr(hv, "timeout"); ok && d != app.DefaultHookTimeout {
			detail := "Kubernetes runs a postStart hook to its end, without a timeout, and the pod is not ready before it ends. Remove \"timeout\"."
			if name == "before_stop" {
				detail = fmt.Sprintf("Kubernetes bounds a preStop hook only by the pod's grace period, which berth sets to the drain, %s for the hook and 30s for the container's shutdown. Remove \"timeout\".", app.FormatDuration(app.DefaultHookTimeout))
			}
			diags = append(diags, providers.AttributeError("Hook timeout not supported on Kubernetes", detail, path.GetAttr(name).GetAttr("timeout")))
		}
	}
	drain, ok := durationAttr(h, "drain")
	if !ok {
		return diags
	}
	if drain%time.Second != 0 {
		diags = append(diags, providers.AttributeError("Drain in whole seconds on Kubernetes",
			fmt.Sprintf("Kubernetes waits and counts grace periods in whole seconds; drain is %s. Round it to whole seconds.", app.FormatDuration(drain)),
			path.GetAttr("drain")))
	}
	if bs := attr(h, "before_stop"); drain > 0 && bs.IsKnown() && !bs.IsNull() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning,
			Summary: "Drain after a before_stop hook not honoured on Kubernetes",
			Detail:  fmt.Sprintf("A pod has one preStop handler: berth runs the before_stop hook there, and Kubernetes sends SIGTERM as soon as it ends, so the drain (%s) is not waited for. It is added to the pod's grace period. A terminating pod leaves its Service's endpoints as the hook starts: make the hook itself wait as long as draining takes, and remove drain.", app.FormatDuration(drain)),
			Extra:   providers.AttributePath{Path: path.GetAttr("drain")}})
	}
	return diags
}

// checkLabels: every key and value of m is a Kubernetes label's; with
// reserved, berth's own keys are refused.
func checkLabels(m cty.Value, path cty.Path, what string, reserved bool) hcl.Diagnostics {
	if !m.IsKnown() || m.IsNull() || !m.CanIterateElements() {
		return nil
	}
	var diags hcl.Diagnostics
	for _, k := range sortedKeys(m) {
		p := path.Index(cty.StringVal(k))
		if msgs := content.IsLabelKey(k); len(msgs) > 0 {
			diags = append(diags, providers.AttributeError(fmt.Sprintf("Invalid %s key on Kubernetes", what),
				fmt.Sprintf("%q is not a Kubernetes label key: %s.", k, strings.Join(msgs, "; ")), p))
			continue
		}
		if reserved && (k == LabelManagedBy || strings.HasPrefix(k, "berth.sh/")) {
			diags = append(diags, providers.AttributeError("Label reserved by berth",
				fmt.Sprintf("berth sets %q itself: it selects the app's pods by its own labels (%s, %s) and marks what it manages with %s. Use another key.", k, LabelApp, LabelRevision, LabelManagedBy), p))
			continue
		}
		val := m.Index(cty.StringVal(k))
		if !val.IsKnown() || val.IsNull() {
			continue
		}
		if msgs := content.IsLabelValue(val.AsString()); len(msgs) > 0 {
			// The value is not shown: it may have been sensitive.
			diags = append(diags, providers.AttributeError(fmt.Sprintf("Invalid %s value on Kubernetes", what),
				fmt.Sprintf("The value of %q is not a Kubernetes label value: %s.", k, strings.Join(msgs, "; ")), p))
		}
	}
	return diags
}

func checkEnv(env cty.Value) hcl.Diagnostics {
	if !env.IsKnown() || env.IsNull() || !env.CanIterateElements() {
		return nil
	}
	var diags hcl.Diagnostics
	for _, k := range sortedKeys(env) {
		if msgs := validation.IsRelaxedEnvVarName(k); len(msgs) > 0 {
			diags = append(diags, providers.AttributeError("Environment variable name not valid on Kubernetes",
				fmt.Sprintf("%q is not an environment variable name Kubernetes takes: %s.", k, strings.Join(msgs, "; ")),
				cty.GetAttrPath("env").Index(cty.StringVal(k))))
		}
	}
	return diags
}

// CheckScalingPolicy holds what an autoscaling/v2 HorizontalPodAutoscaler
// cannot take of a scaling policy (its value, the scaled app's included),
// offline, skipping unknown values: min 0 (scaling to zero needs Object
// or External metrics, which berth does not write); a cooldown not in
// whole seconds or over an hour; a utilisation target of cpu or memory
// when the app sets no such limit (Kubernetes computes utilisation as a
// share of the request, which berth derives from the limit).
func CheckScalingPolicy(v cty.Value) hcl.Diagnostics {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var diags hcl.Diagnostics
	if m := attr(v, "min"); m.IsKnown() && !m.IsNull() && m.Type() == cty.Number && m.AsBigFloat().Sign() == 0 {
		diags = append(diags, providers.AttributeError("Scaling to zero not supported on Kubernetes",
			"A HorizontalPodAutoscaler scales to zero only on Object or External metrics, which berth's metrics are not. Set min to 1 or more.",
			cty.GetAttrPath("min")))
	}
	if d, ok := durationAttr(v, "cooldown"); ok {
		switch {
		case d%time.Second != 0:
			diags = append(diags, providers.AttributeError("Cooldown in whole seconds on Kubernetes",
				fmt.Sprintf("Kubernetes counts an autoscaler's stabilization window in whole seconds; cooldown is %s.", app.FormatDuration(d)),
				cty.GetAttrPath("cooldown")))
		case d > maxStabilizationWindow:
			diags = append(diags, providers.AttributeError("Cooldown over 1h on Kubernetes",
				fmt.Sprintf("Kubernetes takes a scale-down stabilization window of at most %s; cooldown is %s.", app.FormatDuration(maxStabilizationWindow), app.FormatDuration(d)),
				cty.GetAttrPath("cooldown")))
		}
	}
	ms := attr(v, "metric")
	if !ms.IsKnown() || ms.IsNull() {
		return diags
	}
	res := attr(attr(v, "app"), "resources")
	i := 0
	for it := ms.ElementIterator(); it.Next(); i++ {
		_, m := it.Element()
		name := knownString(m, "name")
		tu := attr(m, "target_utilization")
		if (name != "cpu" && name != "memory") || !tu.IsKnown() || tu.IsNull() || !res.IsKnown() {
			continue
		}
		if limit := attr(res, name); !limit.IsKnown() || !limit.IsNull() {
			continue
		}
		diags = append(diags, providers.AttributeError(fmt.Sprintf("Utilization of %s without a %s limit", name, name),
			fmt.Sprintf("Kubernetes computes %s utilization as a share of each pod's %s request, which berth derives from the app's resources.%s limit; the app sets none. Set resources { %s = ... } on the app, or give the metric a target (an average per instance).", name, name, name, name),
			cty.GetAttrPath("metric").IndexInt(i).GetAttr("target_utilization")))
	}
	return diags
}

// durationAttr is v's duration attribute name, when it is known and
// parses (the language reports what does not).
func durationAttr(v cty.Value, name string) (time.Duration, bool) {
	a := attr(v, name)
	if !a.IsKnown() || a.IsNull() || a.Type() != cty.String {
		return 0, false
	}
	d, err := app.ParseDuration(a.AsString())
	return d, err == nil
}

// knownString is v's attribute name as a string, "" unless it is a known
// string.
func knownString(v cty.Value, name string) string {
	a := attr(v, name)
	if !a.IsKnown() || a.IsNull() || a.Type() != cty.String {
		return ""
	}
	return a.AsString()
}

// sortedKeys are the keys of a known map value, sorted.
func sortedKeys(m cty.Value) []string {
	keys := map[string]bool{}
	for it := m.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		keys[k.AsString()] = true
	}
	return slices.Sorted(maps.Keys(keys))
}
