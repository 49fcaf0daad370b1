package docker

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform"
	"github.com/berth-sh/berth/platform/app"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/providers/builtin"
	"github.com/berth-sh/berth/providers/docker/engine"
	"github.com/berth-sh/berth/providers/docker/scheduler"
)

// Kind is the cluster kind (and provider name) of Docker hosts:
// cluster "edge" { docker { host "edge-1" { ... } } }.
const Kind = "docker"

func init() {
	builtin.Register(builtin.Provider{Name: Kind, New: func() providers.Interface { return New() }, Platform: Platform()})
}

// Platform is the Docker-hosts platform: the schema of a cluster's docker
// block and the rules of apps on such clusters, which berth checks offline
// (validate) and the provider again at plan.
func Platform() *platform.Platform {
	return &platform.Platform{
		Kind:         Kind,
		Description:  "a set of Docker hosts",
		Cluster:      clusterSchema(),
		CheckCluster: checkCluster,
		CheckApp:     checkApp,
	}
}

func clusterSchema() *providers.Block {
	str := func(desc string) *providers.Attribute {
		return &providers.Attribute{Type: cty.String, Optional: true, Description: desc}
	}
	host := &providers.Block{
		Attributes: map[string]*providers.Attribute{
			"endpoint": {Type: cty.String, Required: true, Description: "Docker Engine API endpoint: unix:///path or tcp://host:port (with tls for a remote engine)"},
			"labels":   {Type: cty.Map(cty.String), Optional: true, Default: cty.MapValEmpty(cty.String), Description: "labels that placement.node_selector matches; \"zone\" is the host's zone"},
		},
		BlockTypes: map[string]*providers.NestedBlock{
			"tls": {Nesting: providers.NestingSingle, MaxItems: 1, Block: &providers.Block{Attributes: map[string]*providers.Attribute{
				"ca_file":   str("CA certificate that signed the engine's certificate"),
				"cert_file": str("client certificate"),
				"key_file":  str("client key"),
			}}},
		},
	}
	return &providers.Block{
		Attributes: map[string]*providers.Attribute{},
		BlockTypes: map[string]*providers.NestedBlock{
			"host": {Nesting: providers.NestingMap, MinItems: 1, Block: host},
		},
	}
}

// cluster is a decoded docker block: its hosts in source order.
type cluster struct {
	Name  string
	Hosts []engine.HostConfig
}

// decodeCluster reads the cluster an app runs on.
func decodeCluster(c app.Cluster) (cluster, error) {
	if c.Kind != Kind {
		return cluster{}, fmt.Errorf("cluster %q is not a set of Docker hosts (kind %q)", c.Name, c.Kind)
	}
	out := cluster{Name: c.Name}
	hosts := attr(c.Settings, "host")
	if hosts.IsNull() || !hosts.IsKnown() || !hosts.CanIterateElements() {
		return out, nil
	}
	for it := hosts.ElementIterator(); it.Next(); {
		_, h := it.Element()
		hc := engine.HostConfig{Name: app.Str(h, "name"), Endpoint: app.Str(h, "endpoint"), Labels: map[string]string{}}
		if l := attr(h, "labels"); l.IsKnown() && !l.IsNull() {
			for k, v := range l.AsValueMap() {
				if v.IsKnown() && !v.IsNull() {
					hc.Labels[k] = v.AsString()
				}
			}
		}
		if t := attr(h, "tls"); t.IsKnown() && !t.IsNull() {
			hc.TLS = &engine.TLSFiles{CAFile: app.Str(t, "ca_file"), CertFile: app.Str(t, "cert_file"), KeyFile: app.Str(t, "key_file")}
		}
		out.Hosts = append(out.Hosts, hc)
	}
	return out, nil
}

// checkCluster: every endpoint is one berth can talk to.
func checkCluster(settings cty.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	hl := attr(settings, "host")
	if !hl.IsKnown() || hl.IsNull() || !hl.CanIterateElements() {
		return nil
	}
	i := 0
	for it := hl.ElementIterator(); it.Next(); i++ {
		_, hv := it.Element()
		ep := attr(hv, "endpoint")
		if !ep.IsKnown() || ep.IsNull() || ep.Type() != cty.String {
			continue
		}
		scheme, _, _ := strings.Cut(ep.AsString(), "://")
		if scheme == "unix" || scheme == "tcp" {
			continue
		}
		detail := fmt.Sprintf("Docker host %q has endpoint %q: berth talks to engines over unix:// (a local socket) or tcp:// (with a tls block for TLS).", app.Str(hv, "name"), ep.AsString())
		if scheme == "ssh" {
			detail += " ssh:// is not supported yet: expose the engine on tcp:// with TLS, or forward its socket (ssh -L /tmp/edge.sock:/var/run/docker.sock host) and use unix:// on the forwarded socket."
		}
		diags = append(diags, providers.AttributeError("Unsupported Docker endpoint", detail, cty.GetAttrPath("host").IndexInt(i).GetAttr("endpoint")))
	}
	return diags
}

// checkApp holds what Docker hosts cannot do. Unknown values are skipped.
func checkApp(v cty.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	for _, probe := range []string{"readiness", "liveness", "startup"} {
		pv := attr(v, probe)
		if pv.IsNull() || !pv.IsKnown() {
			continue
		}
		if g := attr(pv, "grpc"); !g.IsNull() {
			diags = append(diags, providers.AttributeError(fmt.Sprintf("gRPC %s probe not supported on Docker hosts", probe),
				fmt.Sprintf("berth probes apps on Docker hosts with http, tcp or exec checks; use one of them for %s (an exec probe can run grpc_health_probe inside the container).", probe),
				cty.GetAttrPath(probe).GetAttr("grpc")))
		}
	}
	diags = append(diags, checkFixedPorts(v)...)
	return append(diags, checkZoneSpread(v)...)
}

// checkZoneSpread: spread = "zone" balances the instances over the
// hosts' zone label, so every host the app may run on (its cluster's
// hosts that match its node selector) must have one. Hosts whose labels
// are unknown are skipped; the scheduler refuses them at plan.
func checkZoneSpread(v cty.Value) hcl.Diagnostics {
	p := attr(v, "placement")
	if s := attr(p, "spread"); !s.IsKnown() || s.IsNull() || s.AsString() != app.SpreadZone {
		return nil
	}
	sel := attr(p, "node_selector")
	if !sel.IsKnown() {
		return nil
	}
	selector := map[string]string{}
	if !sel.IsNull() {
		for k, sv := range sel.AsValueMap() {
			if !sv.IsKnown() || sv.IsNull() {
				return nil
			}
			selector[k] = sv.AsString()
		}
	}
	hosts := attr(attr(attr(v, "cluster"), Kind), "host")
	if !hosts.IsKnown() || hosts.IsNull() || !hosts.CanIterateElements() {
		return nil
	}
	var missing []string
	for it := hosts.ElementIterator(); it.Next(); {
		_, h := it.Element()
		l := attr(h, "labels")
		if !l.IsKnown() || !l.IsWhollyKnown() {
			continue
		}
		labels := map[string]string{}
		if !l.IsNull() {
			for k, lv := range l.AsValueMap() {
				if !lv.IsNull() {
					labels[k] = lv.AsString()
				}
			}
		}
		if !scheduler.Matches(labels, selector) {
			continue
		}
		if _, ok := labels[scheduler.ZoneLabel]; !ok {
			missing = append(missing, strconv.Quote(app.Str(h, "name")))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	hostsText, verb := "host "+missing[0], "has"
	if len(missing) > 1 {
		hostsText, verb = "hosts "+strings.Join(missing, ", "), "have"
	}
	cl := app.Str(attr(v, "cluster"), "name")
	return hcl.Diagnostics{providers.AttributeError("Spread by zone on hosts without a zone",
		fmt.Sprintf("spread = %q spreads the app's instances over the values of the %q label of the Docker hosts it runs on, but %s of cluster %q %s no %q label. Add one to each host (labels = { %s = \"eu-1a\" }), or use spread = %q.",
			app.SpreadZone, scheduler.ZoneLabel, hostsText, cl, verb, scheduler.ZoneLabel, scheduler.ZoneLabel, app.SpreadHost),
		cty.GetAttrPath("placement").GetAttr("spread"))}
}

// validateApp is the provider's own check of an app at plan: checkApp,
// and checkCluster on the app's cluster with paths from the app.
func validateApp(v cty.Value) hcl.Diagnostics {
	diags := checkApp(v)
	c := attr(v, "cluster")
	if c.IsKnown() && !c.IsNull() {
		if k := attr(c, "kind"); k.IsKnown() && !k.IsNull() && k.AsString() != Kind {
			return append(diags, providers.AttributeError("Cluster is not a set of Docker hosts",
				fmt.Sprintf("The docker provider deploys onto clusters with a docker block; this cluster is %q.", k.AsString()), cty.GetAttrPath("cluster")))
		}
		for _, d := range checkCluster(attr(c, Kind)) {
			if p := providers.DiagnosticPath(d); len(p) > 0 {
				d.Extra = providers.AttributePath{Path: append(cty.GetAttrPath("cluster").GetAttr(Kind), p...)}
			}
			diags = append(diags, d)
		}
	}
	return diags
}
