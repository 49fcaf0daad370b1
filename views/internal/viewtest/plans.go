// Package viewtest holds what the views' tests share: plans of every shape
// a view must render, and the check that no secret of theirs is shown.
package viewtest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/core/plans"
	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

// The secrets of the plans, which CheckNoSecret checks never appear in any
// output.
const (
	testSecret    = "hunter2-s3cr3t"
	testNewSecret = "n3w-hunter2"
)

func str(s string) cty.Value       { return cty.StringVal(s) }
func num(n int64) cty.Value        { return cty.NumberIntVal(n) }
func secretVal(s string) cty.Value { return cty.StringVal(s).Mark(providers.SensitiveMark) }
func obj(m map[string]cty.Value) cty.Value {
	return cty.ObjectVal(m)
}
func strList(ss ...string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vs := make([]cty.Value, len(ss))
	for i, s := range ss {
		vs[i] = str(s)
	}
	return cty.ListVal(vs)
}

// Inst is the address of a managed resource instance.
func Inst(typ, name string, key addrs.InstanceKey) addrs.Instance {
	return addrs.Resource{Mode: addrs.Managed, Type: typ, Name: name}.Instance(key)
}

func port(name string, container int64) cty.Value {
	return obj(map[string]cty.Value{"name": str(name), "container": num(container)})
}

// webApp is an app object as the docker provider would plan it; mutate
// adjusts a copy.
func webApp(mutate func(m map[string]cty.Value)) cty.Value {
	m := map[string]cty.Value{
		"id":       str("web"),
		"cluster":  str("edge"),
		"image":    str("127.0.0.1:5000/shop/web:v1@sha256:aaa111"),
		"replicas": num(6),
		"command":  strList("/web"),
		"env":      cty.MapVal(map[string]cty.Value{"LOG_LEVEL": str("info"), "REGION": str("eu")}),
		"ports":    cty.ListVal([]cty.Value{port("http", 8080), port("admin", 9090)}),
		"resources": obj(map[string]cty.Value{
			"cpu": num(2), "memory": str("2Gi"), "cpu_overcommit": num(4),
		}),
		"labels":     cty.SetVal([]cty.Value{str("team=shop"), str("tier=front")}),
		"entrypoint": cty.NullVal(cty.String),
	}
	if mutate != nil {
		mutate(m)
	}
	return obj(m)
}

func webRollout() *providers.Rollout {
	return &providers.Rollout{
		Waves: []providers.Wave{
			{Instances: []providers.WaveInstance{{Name: "web-1", Host: "edge-1"}}},
			{Instances: []providers.WaveInstance{{Name: "web-2", Host: "edge-2"}, {Name: "web-3", Host: "edge-1"}}},
			{Instances: []providers.WaveInstance{{Name: "web-4", Host: "edge-2"}, {Name: "web-5", Host: "edge-1"}, {Name: "web-6", Host: "edge-2"}}},
		},
		MinHealthy: 10 * time.Second, HealthyDeadline: 5 * time.Minute, AutoRevert: true,
	}
}

func updateChange() *plans.ResourceChange {
	return &plans.ResourceChange{
		Addr:     Inst("app", "web", nil),
		Provider: "cluster.edge",
		Action:   plans.Update,
		Before:   webApp(nil),
		After: webApp(func(m map[string]cty.Value) {
			m["image"] = str("127.0.0.1:5000/shop/web:v2@sha256:bbb222")
			m["command"] = strList("/web", "--verbose")
			m["env"] = cty.MapVal(map[string]cty.Value{"LOG_LEVEL": str("debug"), "REGION": str("eu"), "TRACE": str("1")})
			m["ports"] = cty.ListVal([]cty.Value{port("http", 8081), port("admin", 9090)})
			m["resources"] = obj(map[string]cty.Value{"cpu": num(4), "memory": str("2Gi"), "cpu_overcommit": num(4)})
			m["labels"] = cty.SetVal([]cty.Value{str("team=shop"), str("tier=edge")})
		}),
		Rollout: webRollout(),
	}
}

// routedChange is updateChange with a load balancer in front of the app:
// each wave drains and admits through it.
func routedChange() *plans.ResourceChange {
	c := updateChange()
	c.Routers = []addrs.Instance{Inst("load_balancer", "web", nil)}
	return c
}

// canaryChanges are the parts of a canary rollout of app.web behind
// load_balancer.web: the canary (1 instance at 10%), its promote, its
// abort (the recorded spec stays: no rollout), and a replan.
func canaryChanges() []*plans.ResourceChange {
	start := routedChange()
	start.Rollout.Canary = &providers.Canary{Instances: 1, Weight: 10}
	start.Canary = plans.CanaryStart
	promote := routedChange()
	promote.Addr, promote.Canary = Inst("app", "api", nil), plans.CanaryPromote
	abort := routedChange()
	abort.Addr, abort.Canary, abort.After, abort.Rollout = Inst("app", "shop", nil), plans.CanaryAbort, abort.Before, nil
	replan := routedChange()
	replan.Addr, replan.Canary = Inst("app", "cart", nil), plans.CanaryReplan
	return []*plans.ResourceChange{start, promote, abort, replan}
}

func dnsType() cty.Type {
	return cty.Object(map[string]cty.Type{"id": cty.String, "name": cty.String, "target": cty.String, "ttl": cty.Number, "tags": cty.Set(cty.String)})
}

func createChange() *plans.ResourceChange {
	return &plans.ResourceChange{
		Addr:     Inst("acmedns_record", "www", addrs.StringKey("eu")),
		Provider: "provider.acmedns",
		Action:   plans.Create,
		Before:   cty.NullVal(dnsType()),
		After: obj(map[string]cty.Value{
			"id":     cty.UnknownVal(cty.String),
			"name":   str("www"),
			"target": cty.UnknownVal(cty.String),
			"ttl":    num(300),
			"tags":   cty.SetVal([]cty.Value{str("public")}),
		}),
	}
}

func replaceChange() *plans.ResourceChange {
	return &plans.ResourceChange{
		Addr:     Inst("app", "api", addrs.IntKey(0)),
		Provider: "cluster.edge",
		Action:   plans.DeleteThenCreate,
		Reason:   plans.ReasonCannotUpdate,
		Before: webApp(func(m map[string]cty.Value) {
			m["id"] = str("api")
		}),
		After: webApp(func(m map[string]cty.Value) {
			m["id"] = cty.UnknownVal(cty.String)
			m["cluster"] = str("prod")
			m["ports"] = cty.ListVal([]cty.Value{port("http", 8080), port("grpc", 9090)})
		}),
		RequiresReplace: []cty.Path{cty.GetAttrPath("cluster"), cty.GetAttrPath("ports").IndexInt(1).GetAttr("name")},
	}
}

func cbdChange() *plans.ResourceChange {
	return &plans.ResourceChange{
		Addr:     Inst("load_balancer", "web", nil),
		Provider: "provider.aws",
		Action:   plans.CreateThenDelete,
		Reason:   plans.ReasonReplaceRequested,
		Before: obj(map[string]cty.Value{
			"arn": str("arn:aws:elb:1"), "type": str("application"), "dns_name": str("web-1.elb.local"),
			"subnets": strList("subnet-a", "subnet-b"),
		}),
		After: obj(map[string]cty.Value{
			"arn": cty.UnknownVal(cty.String), "type": str("network"), "dns_name": cty.UnknownVal(cty.String),
			"subnets": strList("subnet-a", "subnet-c", "subnet-b"),
		}),
		RequiresReplace: []cty.Path{cty.GetAttrPath("type")},
	}
}

func destroyChanges() []*plans.ResourceChange {
	return []*plans.ResourceChange{
		{
			Addr: Inst("app", "legacy", nil), Provider: "cluster.edge", Action: plans.Delete, Reason: plans.ReasonNoConfig,
			Before: obj(map[string]cty.Value{
				"id": str("legacy"), "replicas": num(1), "env": cty.MapVal(map[string]cty.Value{"A": str("b")}),
				"command": strList("/legacy", "serve"), "script": str("#!/bin/sh\necho start\nexec /legacy\n"),
			}),
			After: cty.NullVal(cty.DynamicPseudoType),
		},
		{
			Addr: Inst("app", "worker", addrs.IntKey(2)), Provider: "cluster.edge", Action: plans.Delete, Reason: plans.ReasonCountIndex,
			Before: obj(map[string]cty.Value{"id": str("worker-2"), "replicas": num(1)}),
		},
		{
			Addr: Inst("app", "region", addrs.StringKey("us")), Provider: "cluster.edge", Action: plans.Delete, Reason: plans.ReasonEachKey,
			Before: obj(map[string]cty.Value{"id": str("region-us"), "empty": cty.ListValEmpty(cty.String)}),
		},
	}
}

func heredocChange() *plans.ResourceChange {
	job := func(script string) cty.Value {
		return obj(map[string]cty.Value{"id": str("migrate"), "script": str(script), "note": str("one line")})
	}
	return &plans.ResourceChange{
		Addr:     Inst("app", "migrate", nil),
		Provider: "cluster.edge",
		Action:   plans.Update,
		Before:   job("#!/bin/sh\nset -e\necho v1\nexec /migrate\n"),
		After:    job("#!/bin/sh\nset -e\necho v2\necho twice\nexec /migrate\n"),
	}
}

func readChange() *plans.ResourceChange {
	return &plans.ResourceChange{
		Addr:     addrs.Resource{Mode: addrs.Data, Type: "acmedns_zone", Name: "main"}.Instance(nil),
		Provider: "provider.acmedns",
		Action:   plans.Read,
		Before:   cty.NullVal(cty.Object(map[string]cty.Type{"name": cty.String, "id": cty.String})),
		After:    obj(map[string]cty.Value{"name": str("example.com"), "id": cty.UnknownVal(cty.String)}),
	}
}

func sensitiveChange() *plans.ResourceChange {
	reg := func(pw cty.Value, token cty.Value) cty.Value {
		return obj(map[string]cty.Value{
			"id":       str("cfg"),
			"username": str("robot$deploy"),
			"password": pw,
			"env":      cty.MapVal(map[string]cty.Value{"TOKEN": token, "MODE": str("a")}),
			"creds":    obj(map[string]cty.Value{"user": str("u"), "key": secretVal(testSecret)}).Mark(providers.SensitiveMark),
		})
	}
	return &plans.ResourceChange{
		Addr:     Inst("acmedns_secret", "registry", nil),
		Provider: "provider.acmedns",
		Action:   plans.Update,
		Before:   reg(secretVal(testSecret), secretVal(testSecret)),
		After:    reg(secretVal(testNewSecret), secretVal(testNewSecret)),
	}
}

func sensitiveCreate() *plans.ResourceChange {
	return &plans.ResourceChange{
		Addr:     Inst("acmedns_secret", "new", nil),
		Provider: "provider.acmedns",
		Action:   plans.Create,
		Before:   cty.NullVal(cty.DynamicPseudoType),
		After: obj(map[string]cty.Value{
			"id":       cty.UnknownVal(cty.String),
			"password": secretVal(testSecret),
			"pending":  cty.UnknownVal(cty.String).Mark(providers.SensitiveMark),
			"keys":     cty.ListVal([]cty.Value{str("public"), secretVal(testSecret)}),
			"groups":   cty.SetVal([]cty.Value{str("admins"), secretVal(testSecret)}),
		}),
	}
}

func driftChanges() []*plans.ResourceChange {
	return []*plans.ResourceChange{
		{
			Addr: Inst("app", "web", nil), Provider: "cluster.edge", Action: plans.Update,
			Before: webApp(nil),
			After:  webApp(func(m map[string]cty.Value) { m["replicas"] = num(4) }),
		},
		{
			Addr: Inst("acmedns_record", "old", nil), Provider: "provider.acmedns", Action: plans.Delete,
			Before: obj(map[string]cty.Value{"id": str("r-1"), "name": str("old")}),
			After:  cty.NullVal(cty.Object(map[string]cty.Type{"id": cty.String, "name": cty.String})),
		},
	}
}

func outputChanges() []*plans.OutputChange {
	return []*plans.OutputChange{
		{Name: "url", Action: plans.Create, Before: cty.NullVal(cty.String), After: cty.UnknownVal(cty.String)},
		{Name: "replicas", Action: plans.Update, Before: num(6), After: num(8)},
		{Name: "db_password", Action: plans.Update, Sensitive: true, Before: str(testSecret), After: str(testNewSecret)},
		{Name: "hosts", Action: plans.Update, Before: strList("edge-1"), After: strList("edge-1", "edge-2")},
		{Name: "old", Action: plans.Delete, Before: str("gone"), After: cty.NullVal(cty.String)},
		{Name: "same", Action: plans.NoOp, Before: str("x"), After: str("x")},
	}
}

// BigRolloutChange updates app.web in five waves, more instances a wave
// than the plan names.
func BigRolloutChange() *plans.ResourceChange {
	c := updateChange()
	var waves []providers.Wave
	n := 1
	for _, size := range []int{1, 2, 4, 8, 5} {
		var names []providers.WaveInstance
		for range size {
			names = append(names, providers.WaveInstance{Name: "web-" + strconv.Itoa(n), Host: "edge-" + strconv.Itoa(1+n%2)})
			n++
		}
		waves = append(waves, providers.Wave{Instances: names})
	}
	c.Rollout = &providers.Rollout{Waves: waves, MinHealthy: 30 * time.Second, MaxUnavailable: 2}
	c.After = c.After.Mark(providers.ValueMark("other")) // a non-sensitive mark is ignored
	return c
}

// scaleAndRollChange: 2 instances on v1 become 3 on v2: web-1 and web-2
// are replaced, web-3 is new.
func scaleAndRollChange() *plans.ResourceChange {
	in := func(name, host, digest string, id cty.Value) cty.Value {
		return obj(map[string]cty.Value{"name": str(name), "host": str(host), "image_digest": str(digest), "container_id": id})
	}
	unknown := cty.UnknownVal(cty.String)
	before := obj(map[string]cty.Value{"instances": cty.ListVal([]cty.Value{
		in("web-1", "edge-1", "sha256:aaa", str("c1")), in("web-2", "edge-2", "sha256:aaa", str("c2"))})})
	after := obj(map[string]cty.Value{"instances": cty.ListVal([]cty.Value{
		in("web-1", "edge-1", "sha256:bbb", unknown), in("web-2", "edge-2", "sha256:bbb", unknown), in("web-3", "edge-1", "sha256:bbb", unknown)})})
	return &plans.ResourceChange{Addr: Inst("app", "web", nil), Provider: "docker", Action: plans.Update, Before: before, After: after}
}

// midRolloutChange: web-1 has its old and its new container (a rollout
// was interrupted); the plan keeps one web-1, changes web-2 and adds
// web-3.
func midRolloutChange() *plans.ResourceChange {
	in := func(name, digest string, id cty.Value) cty.Value {
		return obj(map[string]cty.Value{"name": str(name), "image_digest": str(digest), "container_id": id})
	}
	unknown := cty.UnknownVal(cty.String)
	before := obj(map[string]cty.Value{"instances": cty.ListVal([]cty.Value{
		in("web-1", "sha256:aaa", str("c1")), in("web-1", "sha256:bbb", str("c9")), in("web-2", "sha256:aaa", str("c2"))})})
	after := obj(map[string]cty.Value{"instances": cty.ListVal([]cty.Value{
		in("web-1", "sha256:bbb", str("c9")), in("web-2", "sha256:bbb", unknown), in("web-3", "sha256:bbb", unknown)})})
	return &plans.ResourceChange{Addr: Inst("app", "web", nil), Provider: "docker", Action: plans.Update, Before: before, After: after}
}

// appReferenceChanges: an app created with its cluster and registry, shown
// as references; an app whose registry's password changed (shown in full)
// while its cluster did not (hidden).
func appReferenceChanges() []*plans.ResourceChange {
	cluster := obj(map[string]cty.Value{"name": str("edge"), "kind": str("docker"),
		"docker": obj(map[string]cty.Value{"host": cty.ListVal([]cty.Value{obj(map[string]cty.Value{"name": str("edge-1"), "endpoint": str("tcp://10.0.0.11:2376")})})})})
	registry := func(user string) cty.Value {
		return obj(map[string]cty.Value{"name": str("harbor"), "address": str("harbor.example.com"), "username": str(user)})
	}
	in := func(name string, id cty.Value) cty.Value {
		return obj(map[string]cty.Value{"name": str(name), "host": str("edge-1"), "id": id})
	}
	app := func(user string, instances ...cty.Value) cty.Value {
		return obj(map[string]cty.Value{"cluster": cluster, "registry": registry(user), "image": str("harbor.example.com/shop/web:v1"),
			"instances": cty.ListVal(instances)})
	}
	unknown := cty.UnknownVal(cty.String)
	return []*plans.ResourceChange{
		{Addr: Inst("app", "api", nil), Provider: "docker", Action: plans.Create,
			Before: cty.NullVal(app("ci", in("api-1", unknown)).Type()), After: app("ci", in("api-1", unknown), in("api-2", unknown))},
		{Addr: Inst("app", "web", nil), Provider: "docker", Action: plans.Update,
			Before: app("ci", in("web-1", str("c1"))), After: app("deploy", in("web-1", str("c1")))},
	}
}

// FullPlan has a change of every kind, drift, outputs, variables (one
// sensitive) and a target.
func FullPlan() *plans.Plan {
	changes := []*plans.ResourceChange{updateChange(), createChange(), replaceChange(), cbdChange(), readChange(), sensitiveChange()}
	changes = append(changes, destroyChanges()...)
	changes = append(changes, &plans.ResourceChange{
		Addr: Inst("app", "noop", nil), Action: plans.NoOp, Before: obj(map[string]cty.Value{"id": str("n")}), After: obj(map[string]cty.Value{"id": str("n")}),
	})
	return &plans.Plan{
		Mode:         plans.NormalMode,
		Changes:      changes,
		Drift:        driftChanges(),
		Outputs:      outputChanges(),
		StateLineage: "8a0c1f0e-0000-4000-8000-000000000000",
		StateSerial:  11,
		ConfigHash:   "sha256:abc",
		Variables:    map[string]cty.Value{"tag": str("v2"), "password": secretVal(testSecret)},
		Targets:      []addrs.Instance{Inst("app", "web", nil)},
	}
}

// Case is a plan a view must render, by name (the golden file's).
type Case struct {
	Name  string
	Plan  *plans.Plan
	Color bool
}

// Cases are the plans of every shape the plan views must render.
func Cases() []Case {
	one := func(cs ...*plans.ResourceChange) *plans.Plan { return &plans.Plan{Mode: plans.NormalMode, Changes: cs} }
	noop := &plans.ResourceChange{Addr: Inst("app", "web", nil), Action: plans.NoOp, Before: webApp(nil), After: webApp(nil)}
	return []Case{
		{"create", one(createChange()), false},
		{"update", one(updateChange()), false},
		{"replace", one(replaceChange()), false},
		{"create_before_destroy", one(cbdChange()), false},
		{"destroy", one(destroyChanges()...), false},
		{"destroy_mode", &plans.Plan{Mode: plans.DestroyMode, Changes: []*plans.ResourceChange{{
			Addr: Inst("app", "web", nil), Action: plans.Delete, Reason: plans.ReasonDestroyMode, Before: webApp(nil)}}}, false},
		{"read", one(readChange()), false},
		{"instances_by_name", one(scaleAndRollChange()), false},
		{"instances_mid_rollout", one(midRolloutChange()), false},
		{"app_references", one(appReferenceChanges()...), false},
		{"deposed", one(cbdChange(), &plans.ResourceChange{
			Addr: Inst("acmedns_record", "www", nil), Provider: "acmedns", Action: plans.Delete, Deposed: "1a2b3c4d",
			Before: obj(map[string]cty.Value{"id": str("r-1"), "ttl": num(60)}),
			After:  cty.NullVal(cty.Object(map[string]cty.Type{"id": cty.String, "ttl": cty.Number})),
		}), false},
		{"heredoc", one(heredocChange()), false},
		{"sensitive", one(sensitiveChange(), sensitiveCreate()), false},
		{"unknown", one(createChange(), cbdChange(), &plans.ResourceChange{
			Addr: Inst("acmedns_record", "later", nil), Action: plans.Update,
			Before: obj(map[string]cty.Value{"id": str("r-9"), "ttl": num(60)}),
			After:  cty.UnknownVal(cty.Object(map[string]cty.Type{"id": cty.String, "ttl": cty.Number})),
		}), false},
		{"drift", &plans.Plan{Mode: plans.NormalMode, Changes: []*plans.ResourceChange{noop}, Drift: driftChanges()}, false},
		{"refresh_only", &plans.Plan{Mode: plans.RefreshOnlyMode, Drift: driftChanges()}, false},
		{"refresh_only_no_drift", &plans.Plan{Mode: plans.RefreshOnlyMode}, false},
		{"outputs", &plans.Plan{Mode: plans.NormalMode, Outputs: outputChanges()}, false},
		{"rollout", one(BigRolloutChange()), false},
		{"rollout_routed", one(routedChange()), false},
		{"rollout_canary", one(canaryChanges()...), false},
		{"recovered", &plans.Plan{Mode: plans.NormalMode, Changes: []*plans.ResourceChange{createChange()}, Recovered: Recoveries()}, false},
		{"no_changes", &plans.Plan{Mode: plans.NormalMode, Changes: []*plans.ResourceChange{noop}}, false},
		{"errored", &plans.Plan{Mode: plans.NormalMode, Changes: []*plans.ResourceChange{createChange()}, Errored: true}, false},
		{"full", FullPlan(), false},
		{"full_color", FullPlan(), true},
	}
}

// Recoveries are what a plan after an interrupted apply tells, one of
// each outcome.
func Recoveries() []plans.Recovery {
	at := func(s string) addrs.Instance {
		a, err := addrs.ParseInstance(s)
		if err != nil {
			panic(err)
		}
		return a
	}
	return []plans.Recovery{
		{Addr: at("app.api"), Action: "create", Outcome: plans.RecoveredCreated, ID: "api-7f3c"},
		{Addr: at(`dns_record.www["eu"]`), Action: "create", Outcome: plans.RecoveredNotCreated},
		{Addr: at("dns_record.mx"), Action: "create", Outcome: plans.RecoveredPossibleOrphan},
		{Addr: at("dns_record.old[0]"), Action: "delete", Outcome: plans.RecoveredDestroyed, ID: "r-1"},
		{Addr: at("dns_record.old[1]"), Deposed: "0a1b2c3d", Action: "delete", Outcome: plans.RecoveredStillExists, ID: "r-2"},
	}
}

// CheckNoSecret fails t when out holds a secret of the plans.
func CheckNoSecret(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{testSecret, testNewSecret} {
		if strings.Contains(out, s) {
			t.Errorf("output holds the secret %q", s)
		}
	}
}
