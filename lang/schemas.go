package lang

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
)

// The built-in schemas of the domain blocks. They are built once; callers
// must not modify them. The cluster block (and so the app block, whose
// cluster attribute has the cluster's type) depends on the platforms
// registered with providers/builtin, which happens in init functions: they
// are built on first use, when every registration is done.
var (
	probeSchema         = newProbeSchema()
	registrySchema      = newRegistrySchema()
	scalingPolicySchema = newScalingPolicySchema()
	loadBalancerSchema  = newLoadBalancerSchema()
	clusterSchema       = sync.OnceValue(newClusterSchema)
	appSchema           = sync.OnceValue(newAppSchema)
)

// ProbeSchema is the schema of a probe block and of an inline
// readiness/liveness/startup block.
func ProbeSchema() *BlockSchema { return probeSchema }

// ClusterSchema is the schema of a cluster block: one kind block per
// registered platform. The evaluated value also has "name" and "kind"
// attributes (see ClusterType).
func ClusterSchema() *BlockSchema { return clusterSchema() }

// RegistrySchema is the schema of a registry block; its value also has
// "name".
func RegistrySchema() *BlockSchema { return registrySchema }

// AppSchema is the built-in schema of app blocks.
func AppSchema() *BlockSchema { return appSchema() }

// ScalingPolicySchema is the built-in schema of scaling_policy blocks.
func ScalingPolicySchema() *BlockSchema { return scalingPolicySchema }

// LoadBalancerSchema is the built-in schema of load_balancer blocks.
func LoadBalancerSchema() *BlockSchema { return loadBalancerSchema }

// DomainSchema returns the built-in schema of a resource kind (app,
// scaling_policy, load_balancer), or nil for resource and data blocks.
func DomainSchema(kind string) *BlockSchema {
	switch kind {
	case KindApp:
		return appSchema()
	case KindScalingPolicy:
		return scalingPolicySchema
	case KindLoadBalancer:
		return loadBalancerSchema
	}
	return nil
}

// ProbeType is the object type of an evaluated probe.
func ProbeType() cty.Type { return probeSchema.ImpliedType() }

// ClusterType is the object type `cluster.NAME` evaluates to.
func ClusterType() cty.Type { return withNameKind(clusterSchema().ImpliedType(), true) }

// RegistryType is the object type `registry.NAME` evaluates to.
func RegistryType() cty.Type { return withNameKind(registrySchema.ImpliedType(), false) }

func withNameKind(t cty.Type, kind bool) cty.Type {
	m := map[string]cty.Type{"name": cty.String}
	if kind {
		m["kind"] = cty.String
	}
	for k, v := range t.AttributeTypes() {
		m[k] = v
	}
	return cty.Object(m)
}

func portAttr(required bool) *AttrSchema {
	return &AttrSchema{Name: "port", Type: cty.String, Required: required, Check: checkPortRef,
		Description: "a named port of the app, or a port number"}
}

func newProbeSchema() *BlockSchema {
	return &BlockSchema{
		Attributes: []*AttrSchema{
			{Name: "period", Type: cty.String, Default: durVal(app.DefaultProbePeriod), Check: checkDuration},
			{Name: "timeout", Type: cty.String, Default: durVal(app.DefaultProbeTimeout), Check: checkProbeTimeout},
			{Name: "initial_delay", Type: cty.String, Default: durVal(app.DefaultProbeInitialDelay), Check: checkDuration},
			{Name: "failure_threshold", Type: cty.Number, Default: numVal(app.DefaultProbeFailureThreshold), Check: checkWhole(1)},
			{Name: "success_threshold", Type: cty.Number, Default: numVal(app.DefaultProbeSuccessThreshold), Check: checkWhole(1)},
		},
		Blocks: []*NestedSchema{
			{Name: "http", Block: &BlockSchema{Attributes: []*AttrSchema{
				{Name: "path", Type: cty.String, Default: strVal(app.DefaultHTTPPath)},
				portAttr(true),
				{Name: "scheme", Type: cty.String, Default: strVal(app.DefaultHTTPScheme), Check: checkOneOf("HTTP", "HTTPS")},
				{Name: "status", Type: cty.List(cty.Number), Check: checkStatusCodes, Description: "accepted status codes; default 200-399"},
				{Name: "headers", Type: cty.Map(cty.String)},
			}}},
			{Name: "tcp", Block: &BlockSchema{Attributes: []*AttrSchema{portAttr(true)}}},
			{Name: "exec", Block: &BlockSchema{Attributes: []*AttrSchema{
				{Name: "command", Type: cty.List(cty.String), Required: true, Check: checkNonEmptyCommand},
			}}},
			{Name: "grpc", Block: &BlockSchema{Attributes: []*AttrSchema{
				portAttr(true),
				{Name: "service", Type: cty.String},
			}}},
		},
		Check: checkProbe,
	}
}

func checkProbe(v cty.Value, r Ranges) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var kinds []string
	for _, k := range []string{"http", "tcp", "exec", "grpc"} {
		if !v.GetAttr(k).IsNull() {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		diags = diags.Append(errAt(r.Block, "Probe has no check",
			`A probe needs exactly one of the blocks "http", "tcp", "exec" or "grpc".`))
	case 1:
	default:
		// Point at the check written last: the first one is the intended.
		sort.SliceStable(kinds, func(i, j int) bool {
			return r.Get(kinds[i]).Start.Byte < r.Get(kinds[j]).Start.Byte
		})
		diags = diags.Append(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Probe has more than one check",
			Detail:   fmt.Sprintf("A probe needs exactly one of the blocks \"http\", \"tcp\", \"exec\" or \"grpc\"; this one has %s.", strings.Replace(quoteList(kinds), " or ", " and ", 1)),
			Subject:  r.Get(kinds[1]).Ptr(),
			Context:  r.Block.Ptr(),
		})
	}
	return diags.Extend(checkTimeoutShorter(v, r))
}

// checkTimeoutShorter: a probe's timeout is shorter than its period.
func checkTimeoutShorter(v cty.Value, r Ranges) hcl.Diagnostics {
	period, timeout := v.GetAttr("period"), v.GetAttr("timeout")
	if !period.IsKnown() || !timeout.IsKnown() || period.IsNull() || timeout.IsNull() {
		return nil
	}
	p, err1 := app.ParseDuration(period.AsString())
	t, err2 := app.ParseDuration(timeout.AsString())
	if err1 != nil || err2 != nil || t < p {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Probe timeout not shorter than its period",
		Detail:   fmt.Sprintf("The timeout (%s) must be shorter than the period (%s): a probe must finish before the next one starts.", r.Show("timeout", timeout), r.Show("period", period)),
		Subject:  r.Get("timeout").Ptr(),
		Context:  r.Block.Ptr(),
	}}
}

// newClusterSchema has one kind block per registered platform, with the
// platform's schema, and checks that a cluster has exactly one of them
// and what the platform checks of it.
func newClusterSchema() *BlockSchema {
	s := &BlockSchema{}
	var kinds []string
	for _, p := range builtin.Platforms() {
		kinds = append(kinds, p.Kind)
		s.Blocks = append(s.Blocks, &NestedSchema{Name: p.Kind, Block: SchemaFromProvider(p.Cluster)})
	}
	s.Check = func(v cty.Value, r Ranges) hcl.Diagnostics {
		var written []string
		for _, k := range kinds {
			if !v.GetAttr(k).IsNull() {
				written = append(written, k)
			}
		}
		switch len(written) {
		case 0:
			return hcl.Diagnostics{errAt(r.Block, "Cluster has no kind",
				fmt.Sprintf("A cluster needs a block saying what it is: %s.", clusterKinds()))}
		case 1:
			p, _, _ := builtin.Platform(written[0])
			if p.CheckCluster == nil {
				return nil
			}
			return placeDiagnostics(p.CheckCluster(v.GetAttr(written[0])), r, written[0])
		}
		sort.SliceStable(written, func(i, j int) bool { return r.Get(written[i]).Start.Byte < r.Get(written[j]).Start.Byte })
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cluster has two kinds",
			Detail:  fmt.Sprintf("A cluster is either %s, not both.", clusterKinds()),
			Subject: r.Get(written[1]).Ptr(), Context: r.Block.Ptr()}}
	}
	return s
}

// clusterKinds describes the registered kinds, as alternatives, each as
// "<its description> (a "<kind>" block)".
func clusterKinds() string {
	var parts []string
	for _, p := range builtin.Platforms() {
		parts = append(parts, fmt.Sprintf("%s (a %q block)", p.Description, p.Kind))
	}
	switch len(parts) {
	case 0:
		return "nothing: this build of berth has no platforms"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// explainClusterKinds completes HCL's diagnostic about an unknown block in
// a cluster: it names a platform this build does not have.
func explainClusterKinds(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Summary == "Unsupported block type" && !strings.Contains(d.Detail, "platform") {
			d.Detail = strings.TrimSuffix(d.Detail, ".") + ": it is not a platform of this build of berth. A cluster is " + clusterKinds() + "."
		}
	}
}

// placeDiagnostics points a platform's diagnostics (which carry attribute
// paths relative to the value it checked, see platform.Platform) at the
// configuration: prefix is the path of that value within the block r
// locates.
func placeDiagnostics(diags hcl.Diagnostics, r Ranges, prefix string) hcl.Diagnostics {
	for _, d := range diags {
		if d.Subject != nil {
			continue
		}
		path := prefix
		if p := providers.DiagnosticPath(d); len(p) > 0 {
			path = joinPath(prefix, formatPath(p))
		}
		rng := r.Get(path)
		d.Subject = &rng
		if ctx := r.Get(prefix); ctx != rng {
			d.Context = &ctx
		}
	}
	return diags
}

func joinPath(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}

func newRegistrySchema() *BlockSchema {
	return &BlockSchema{Attributes: []*AttrSchema{
		{Name: "address", Type: cty.String, Required: true, Description: "host[:port] of the registry"},
		{Name: "username", Type: cty.String},
		{Name: "password", Type: cty.String, Sensitive: true},
	}}
}

func newAppSchema() *BlockSchema {
	probe := func(name string) *AttrSchema {
		return &AttrSchema{Name: name, Type: probeSchema.ImpliedType(), OrBlock: probeSchema,
			Description: "a probe reference (probe.NAME) or an inline block"}
	}
	hook := &BlockSchema{Attributes: []*AttrSchema{
		{Name: "exec", Type: cty.List(cty.String), Required: true, Check: checkNonEmptyCommand},
		{Name: "required", Type: cty.Bool, Default: cty.False, Description: "a failing hook fails the instance"},
		{Name: "timeout", Type: cty.String, Default: durVal(app.DefaultHookTimeout), Check: checkDuration},
	}}
	return &BlockSchema{
		Attributes: []*AttrSchema{
			{Name: "cluster", Type: ClusterType(), Required: true, Description: "the cluster to run on: cluster.NAME"},
			{Name: "image", Type: cty.String, Required: true},
			{Name: "replicas", Type: cty.Number, Default: numVal(app.DefaultReplicas), Check: checkWhole(0)},
			{Name: "command", Type: cty.List(cty.String)},
			{Name: "args", Type: cty.List(cty.String)},
			{Name: "env", Type: cty.Map(cty.String), Default: cty.MapValEmpty(cty.String)},
			{Name: "labels", Type: cty.Map(cty.String), Default: cty.MapValEmpty(cty.String)},
			probe("readiness"),
			probe("liveness"),
			probe("startup"),
			{Name: "registry", Type: RegistryType(), Computed: true, SetInstead: registryFromImage,
				Description: "the registry whose address prefixes the image, filled in by the evaluator"},
			{Name: "name", Type: cty.String, Computed: true, SetInstead: nameFromLabel,
				Description: "the app's name: its block label, with the instance key of count or for_each (web-0, web-eu); filled in by the evaluator"},
			// What the platform reports, the same on every platform, so
			// configuration can refer to it (app.web.instances[0].addresses["http"]).
			{Name: "deployment_id", Type: cty.String, Computed: true,
				Description: "the platform's id of this app's deployment, kept for the app's lifetime"},
			{Name: "image_digest", Type: cty.String, Computed: true,
				Description: "the image resolved at plan time: repository@sha256:..."},
			{Name: "config_hash", Type: cty.String, Computed: true,
				Description: "hash of the instances' spec (image digest, command, env, ports, resources, probes, hooks)"},
			{Name: "instances", Type: cty.List(app.InstanceType), Computed: true,
				Description: "the app's instances as they exist: name, host, id, status, ready, image_digest, config_hash, addresses (port name to ip and port)"},
		},
		Blocks: []*NestedSchema{
			{Name: "port", Label: "name", List: true, Block: &BlockSchema{Attributes: []*AttrSchema{
				{Name: "container", Type: cty.Number, Required: true, Check: checkPortNumber},
				{Name: "host", Type: cty.Number, Check: checkPortNumber, Description: "a fixed published port, where the platform supports one"},
				{Name: "protocol", Type: cty.String, Default: strVal(app.DefaultProtocol), Check: checkOneOf("tcp", "udp")},
			}}},
			{Name: "resources", Block: &BlockSchema{Attributes: []*AttrSchema{
				{Name: "cpu", Type: cty.String, Check: checkCPU, Description: "CPU limit in cores (2, 0.5, \"500m\")"},
				{Name: "memory", Type: cty.String, Check: checkPositiveQuantity, Description: "memory limit (\"2Gi\")"},
				{Name: "cpu_overcommit", Type: cty.Number, Default: numVal(1), Check: checkAtLeast(1)},
				{Name: "memory_overcommit", Type: cty.Number, Default: numVal(1), Check: checkAtLeast(1)},
			}}},
			{Name: "placement", Block: &BlockSchema{Attributes: []*AttrSchema{
				{Name: "node_selector", Type: cty.Map(cty.String), Default: cty.MapValEmpty(cty.String)},
				{Name: "spread", Type: cty.String, Default: strVal(app.DefaultSpread), Check: checkOneOf(app.SpreadNone, app.SpreadHost, app.SpreadZone)},
			}}},
			{Name: "hooks", Block: &BlockSchema{
				Attributes: []*AttrSchema{
					{Name: "drain", Type: cty.String, Default: strVal("0s"), Check: checkDuration},
				},
				Blocks: []*NestedSchema{
					{Name: "after_start", Block: hook},
					{Name: "before_stop", Block: hook},
				},
			}},
			{Name: "rollout", DefaultWhenAbsent: true, Block: &BlockSchema{
				Attributes: []*AttrSchema{
					{Name: "initial_batch", Type: cty.Number, Default: numVal(app.DefaultRolloutInitialBatch), Check: checkWhole(1)},
					{Name: "growth", Type: cty.Number, Default: numVal(app.DefaultRolloutGrowth), Check: checkAtLeast(1)},
					{Name: "max_unavailable", Type: cty.Number, Default: numVal(app.DefaultRolloutMaxUnavailable), Check: checkWhole(0)},
					{Name: "min_healthy", Type: cty.String, Default: durVal(app.DefaultRolloutMinHealthy), Check: checkDuration},
					{Name: "healthy_deadline", Type: cty.String, Default: durVal(app.DefaultRolloutHealthyDeadline), Check: checkDuration},
					{Name: "auto_revert", Type: cty.Bool, Default: cty.BoolVal(app.DefaultRolloutAutoRevert)},
					{Name: "strategy", Type: cty.String, Default: strVal(app.StrategyRolling), Check: checkOneOf(app.StrategyRolling, app.StrategyCanary),
						Description: "\"rolling\" replaces the instances wave by wave; \"canary\" first runs canary instances at a share of the traffic and pauses until berth rollout promote or abort"},
				},
				Blocks: []*NestedSchema{
					{Name: "canary", Block: &BlockSchema{Attributes: []*AttrSchema{
						{Name: "instances", Type: cty.Number, Default: numVal(app.DefaultCanaryInstances), Check: checkWhole(1), Description: "how many instances of the new spec run as the canary"},
						{Name: "weight", Type: cty.Number, Default: numVal(app.DefaultCanaryWeight), Check: checkWholeRange(1, 99), Description: "the canary's share of the traffic of the app's load balancers, in percent"},
					}}},
				},
				Check: checkRollout,
			}},
		},
		Check: checkApp,
	}
}

func checkRollout(v cty.Value, r Ranges) hcl.Diagnostics {
	if st, c := v.GetAttr("strategy"), v.GetAttr("canary"); st.IsKnown() && !st.IsNull() && st.AsString() != app.StrategyCanary && c.IsKnown() && !c.IsNull() {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Canary settings without the canary strategy",
			Detail:   fmt.Sprintf("The rollout has a canary block, but its strategy is %s; set strategy = %q to roll out with a canary, or remove the canary block.", r.Show("strategy", st), app.StrategyCanary),
			Subject:  r.Get("canary").Ptr(),
			Context:  r.Block.Ptr(),
		}}
	}
	mh, hd := v.GetAttr("min_healthy"), v.GetAttr("healthy_deadline")
	if !mh.IsKnown() || !hd.IsKnown() || mh.IsNull() || hd.IsNull() {
		return nil
	}
	a, err1 := app.ParseDuration(mh.AsString())
	b, err2 := app.ParseDuration(hd.AsString())
	if err1 != nil || err2 != nil || a < b {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "min_healthy not shorter than healthy_deadline",
		Detail:   fmt.Sprintf("An instance must stay healthy for min_healthy (%s) within healthy_deadline (%s), so min_healthy must be the shorter one.", r.Show("min_healthy", mh), r.Show("healthy_deadline", hd)),
		Subject:  r.Get("min_healthy").Ptr(),
		Context:  r.Block.Ptr(),
	}}
}

// checkApp holds the rules that span an app's parts (probe ports must be
// ports of the app) and the rules of its cluster's platform.
func checkApp(v cty.Value, r Ranges) hcl.Diagnostics {
	names := map[string]bool{}
	if ports := v.GetAttr("port"); ports.IsKnown() && !ports.IsNull() {
		for it := ports.ElementIterator(); it.Next(); {
			_, p := it.Element()
			names[p.GetAttr("name").AsString()] = true
		}
	}
	var diags hcl.Diagnostics
	if p := appPlatform(v); p != nil && p.CheckApp != nil {
		diags = placeDiagnostics(p.CheckApp(v), r, "")
	}
	for _, probe := range []string{"readiness", "liveness", "startup"} {
		pv := v.GetAttr(probe)
		if !pv.IsKnown() || pv.IsNull() {
			continue
		}
		for _, kind := range []string{"http", "tcp", "grpc"} {
			kv := pv.GetAttr(kind)
			if !kv.IsKnown() || kv.IsNull() {
				continue
			}
			port := kv.GetAttr("port")
			if !port.IsKnown() || port.IsNull() {
				continue
			}
			name := port.AsString()
			if _, err := strconv.Atoi(name); err == nil || names[name] {
				continue
			}
			path := probe + "." + kind + ".port"
			if r.Show(path, port) != name {
				diags = diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Probe port is not a port of the app",
					Detail:   fmt.Sprintf("The %s probe checks a port given by a sensitive value, which is not a port block of the app.", probe),
					Subject:  r.Get(path).Ptr(),
					Context:  r.Get(probe).Ptr(),
				})
				continue
			}
			detail := fmt.Sprintf("The %s probe checks port %q, but the app has no port block of that name.", probe, name)
			if len(names) > 0 {
				detail += fmt.Sprintf(" Its ports are %s.", quoteList(sortedKeys(names)))
				if s := NameSuggestion(name, sortedKeys(names)); s != "" {
					detail += fmt.Sprintf(" Did you mean %q?", s)
				}
			} else {
				detail += " Declare it with a port block, or give a port number."
			}
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Probe port is not a port of the app",
				Detail:   detail,
				Subject:  r.Get(probe + "." + kind + ".port").Ptr(),
				Context:  r.Get(probe).Ptr(),
			})
		}
	}
	return diags
}

// appPlatform is the platform of an app's cluster, nil when it is not
// known yet.
func appPlatform(v cty.Value) *platform.Platform {
	cl := v.GetAttr("cluster")
	if !cl.IsKnown() || cl.IsNull() || !cl.Type().IsObjectType() || !cl.Type().HasAttribute("kind") {
		return nil
	}
	k := cl.GetAttr("kind")
	if !k.IsKnown() || k.IsNull() {
		return nil
	}
	p, _, _ := builtin.Platform(k.AsString())
	return p
}

func newScalingPolicySchema() *BlockSchema {
	return &BlockSchema{
		Attributes: []*AttrSchema{
			{Name: "app", Type: cty.DynamicPseudoType, Required: true, Description: "the app to scale: app.NAME"},
			{Name: "min", Type: cty.Number, Default: numVal(1), Check: checkWhole(0)},
			{Name: "max", Type: cty.Number, Required: true, Check: checkWhole(1)},
			{Name: "cooldown", Type: cty.String, Default: strVal("5m"), Check: checkDuration},
		},
		Blocks: []*NestedSchema{
			{Name: "metric", Label: "name", List: true, Block: &BlockSchema{
				Attributes: []*AttrSchema{
					{Name: "target_utilization", Type: cty.Number, Check: checkAtLeast(1), Description: "percent of the requested resource"},
					{Name: "target", Type: cty.Number, Check: checkAtLeast(0), Description: "target value per instance"},
				},
				Check: func(v cty.Value, r Ranges) hcl.Diagnostics {
					tu, t := v.GetAttr("target_utilization"), v.GetAttr("target")
					if tu.IsNull() == t.IsNull() {
						return hcl.Diagnostics{errAt(r.Block, "Metric needs one target",
							`A metric needs exactly one of "target_utilization" or "target".`)}
					}
					return nil
				},
			}},
		},
		Check: func(v cty.Value, r Ranges) hcl.Diagnostics {
			diags := checkMetrics(v, r)
			lo, hi := v.GetAttr("min"), v.GetAttr("max")
			if !lo.IsKnown() || !hi.IsKnown() || lo.IsNull() || hi.IsNull() {
				return nil
			}
			if lo.GreaterThan(hi).True() {
				return diags.Append(&hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Scaling policy min greater than max",
					Detail:   fmt.Sprintf("min (%s) must not be greater than max (%s).", r.Show("min", lo), r.Show("max", hi)),
					Subject:  r.Get("min").Ptr(),
					Context:  r.Block.Ptr(),
				})
			}
			return diags
		},
	}
}

// scalingMetrics are the metric names of a scaling policy: the resource
// metrics (per cent of the request, or an average value per instance)
// and in-flight requests per instance.
var scalingMetrics = []string{"cpu", "memory", "concurrency"}

func checkMetrics(v cty.Value, r Ranges) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ms := v.GetAttr("metric")
	if !ms.IsKnown() || ms.IsNull() {
		return nil
	}
	for it := ms.ElementIterator(); it.Next(); {
		k, m := it.Element()
		i, _ := k.AsBigFloat().Int64()
		path := fmt.Sprintf("metric[%d]", i)
		name := m.GetAttr("name").AsString()
		if !contains(scalingMetrics, name) {
			detail := fmt.Sprintf("%q is not a metric berth can scale on; the metrics are %s.", name, quoteList(scalingMetrics))
			if s := NameSuggestion(name, scalingMetrics); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown scaling metric",
				Detail:   detail,
				Subject:  r.Get(path).Ptr(),
				Context:  r.Block.Ptr(),
			})
			continue
		}
		if name == "concurrency" && !m.GetAttr("target_utilization").IsNull() {
			diags = diags.Append(&hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Utilization of a metric without a request",
				Detail:   `target_utilization is a per cent of the requested resource, which only "cpu" and "memory" have; give "concurrency" a target (requests in flight per instance).`,
				Subject:  r.Get(path + ".target_utilization").Ptr(),
				Context:  r.Get(path).Ptr(),
			})
		}
	}
	return diags
}

// healthCheckSchema is a load balancer's health_check block: overrides of
// the health check derived from the target app's readiness probe, written
// with the probe block's names (see probe.TargetHealth). No defaults: what
// is not written comes from the probe.
func healthCheckSchema() *BlockSchema {
	return &BlockSchema{
		Attributes: []*AttrSchema{
			{Name: "period", Type: cty.String, Check: checkDuration},
			{Name: "timeout", Type: cty.String, Check: checkProbeTimeout},
			{Name: "failure_threshold", Type: cty.Number, Check: checkWhole(1)},
			{Name: "success_threshold", Type: cty.Number, Check: checkWhole(1)},
		},
		Blocks: []*NestedSchema{
			{Name: "http", Block: &BlockSchema{Attributes: []*AttrSchema{
				{Name: "path", Type: cty.String},
				portAttr(false),
				{Name: "scheme", Type: cty.String, Check: checkOneOf("HTTP", "HTTPS")},
				{Name: "status", Type: cty.List(cty.Number), Check: checkStatusCodes, Description: "accepted status codes"},
			}}},
			{Name: "tcp", Block: &BlockSchema{Attributes: []*AttrSchema{portAttr(false)}}},
		},
		Check: func(v cty.Value, r Ranges) hcl.Diagnostics {
			if !v.GetAttr("http").IsNull() && !v.GetAttr("tcp").IsNull() {
				return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Health check has more than one check",
					Detail:  `A health check is either "http" or "tcp", not both.`,
					Subject: r.Get("tcp").Ptr(), Context: r.Block.Ptr()}}
			}
			return checkTimeoutShorter(v, r)
		},
	}
}

// TargetGroupType is the object type of an entry of a load balancer's
// computed target_groups: the group's ARN and the targets registered in
// it ("id:port").
var TargetGroupType = cty.Object(map[string]cty.Type{"arn": cty.String, "targets": cty.List(cty.String)})

// ListenerStateType is the object type of an entry of a load balancer's
// computed listeners: the listener's ARN and the weights its default
// action forwards with, by target name.
var ListenerStateType = cty.Object(map[string]cty.Type{"arn": cty.String, "forward": cty.Map(cty.Number)})

func newLoadBalancerSchema() *BlockSchema {
	return &BlockSchema{
		Attributes: []*AttrSchema{
			{Name: "name", Type: cty.String, Check: checkLoadBalancerName,
				Description: "the load balancer's name in the cloud; default: the block's label, with the instance key of count or for_each"},
			{Name: "type", Type: cty.String, Default: strVal("application"), Check: checkOneOf("application", "network")},
			{Name: "internal", Type: cty.Bool, Default: cty.False},
			{Name: "subnets", Type: cty.List(cty.String)},
			{Name: "security_groups", Type: cty.List(cty.String)},
			{Name: "deregistration_delay", Type: cty.String, Check: checkDuration,
				Description: "how long a target drains before it is removed; default: the target app's hooks.drain when set, else ELBv2's 300s"},
			{Name: "tags", Type: cty.Map(cty.String), Default: cty.MapValEmpty(cty.String)},
			{Name: "arn", Type: cty.String, Computed: true},
			{Name: "dns_name", Type: cty.String, Computed: true},
			{Name: "zone_id", Type: cty.String, Computed: true},
			{Name: "listeners", Type: cty.Map(ListenerStateType), Computed: true,
				Description: "each listener by its port: its ARN and where its default action forwards (target name to weight)"},
			{Name: "target_groups", Type: cty.Map(TargetGroupType), Computed: true,
				Description: "each target's target group, by the target's name: its ARN and the targets registered in it (id:port)"},
		},
		Blocks: []*NestedSchema{
			{Name: "listener", List: true, Required: true, Block: &BlockSchema{
				Attributes: []*AttrSchema{
					{Name: "port", Type: cty.Number, Required: true, Check: checkPortNumber},
					{Name: "protocol", Type: cty.String, Default: strVal("HTTP"), Check: checkOneOf("HTTP", "HTTPS", "TCP", "UDP", "TLS")},
					{Name: "certificate_arn", Type: cty.String},
					{Name: "default_target", Type: cty.String, Description: "the name of the target the listener forwards to when no rule matches; default: the first target"},
				},
				Blocks: []*NestedSchema{
					{Name: "rule", List: true, Block: &BlockSchema{Attributes: []*AttrSchema{
						{Name: "priority", Type: cty.Number, Required: true, Check: checkWhole(1)},
						{Name: "path_patterns", Type: cty.List(cty.String)},
						{Name: "host_headers", Type: cty.List(cty.String)},
						{Name: "target", Type: cty.String, Required: true, Description: "the name of the target the rule forwards to"},
					}}},
				},
			}},
			{Name: "target", List: true, Required: true, Block: &BlockSchema{Attributes: []*AttrSchema{
				{Name: "app", Type: cty.DynamicPseudoType, Required: true, Description: "the app to send traffic to: app.NAME"},
				{Name: "port", Type: cty.String, Required: true, Description: "a named port of the app"},
				{Name: "name", Type: cty.String, Description: "the target's name, for listener rules and target_groups; default: the app's name"},
			}}},
			{Name: "health_check", Block: healthCheckSchema()},
		},
	}
}

// checkLoadBalancerName holds a load balancer's name to ELBv2's rule: 1 to
// 32 letters, digits and hyphens, not beginning or ending with a hyphen.
func checkLoadBalancerName(v cty.Value) error {
	s := v.AsString()
	ok := len(s) >= 1 && len(s) <= 32 && s[0] != '-' && s[len(s)-1] != '-'
	for _, r := range s {
		ok = ok && (r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}
	if !ok {
		return fmt.Errorf("a load balancer's name is 1 to 32 letters, digits and hyphens, not beginning or ending with a hyphen; got %q", s)
	}
	return nil
}
