package elbv2emulator

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// attrSpec is one attribute a resource has: its key, its default value
// and the check of a new value.
type attrSpec struct {
	key, def string
	check    func(v string) bool
	expect   string // what check wants, for the error message
}

// attributes are a resource's attribute values, listed in spec order.
type attributes struct {
	specs  []attrSpec
	values map[string]string
}

func newAttributes(specs []attrSpec) *attributes {
	a := &attributes{specs: specs, values: map[string]string{}}
	for _, sp := range specs {
		a.values[sp.key] = sp.def
	}
	return a
}

func (a *attributes) get(key string) string { return a.values[key] }

func (a *attributes) spec(key string) (attrSpec, bool) {
	for _, sp := range a.specs {
		if sp.key == key {
			return sp, true
		}
	}
	return attrSpec{}, false
}

// set checks every key and value first and applies them all, or none.
// what names the resource type in messages ("Load balancer").
func (a *attributes) set(what string, kvs [][2]string) error {
	for _, kv := range kvs {
		sp, ok := a.spec(kv[0])
		if !ok {
			return validationErr("%s attribute key '%s' is not recognized", what, kv[0])
		}
		if !sp.check(kv[1]) {
			return validationErr("%s attribute '%s' value '%s' is not valid; it must be %s", what, kv[0], kv[1], sp.expect)
		}
	}
	for _, kv := range kvs {
		a.values[kv[0]] = kv[1]
	}
	return nil
}

func (a *attributes) list() [][2]string {
	out := make([][2]string, 0, len(a.specs))
	for _, sp := range a.specs {
		out = append(out, [2]string{sp.key, a.values[sp.key]})
	}
	return out
}

// modifyAttributes is a Modify*Attributes call on a: the Key and Value
// of each of in (read by kv), at least one, set all or none.
func modifyAttributes[A any](a *attributes, what string, in []A, kv func(A) (key, value *string)) error {
	if len(in) == 0 {
		return validationErr("At least one attribute must be specified")
	}
	kvs := make([][2]string, 0, len(in))
	for _, x := range in {
		k, v := kv(x)
		kvs = append(kvs, [2]string{aws.ToString(k), aws.ToString(v)})
	}
	return a.set(what, kvs)
}

// attributeList is a's attributes as the SDK's type for them, made by mk.
func attributeList[A any](a *attributes, mk func(key, value *string) A) []A {
	out := []A{}
	for _, kv := range a.list() {
		out = append(out, mk(aws.String(kv[0]), aws.String(kv[1])))
	}
	return out
}

func boolAttr(key, def string) attrSpec {
	return attrSpec{key: key, def: def, check: func(v string) bool { return v == "true" || v == "false" }, expect: "true or false"}
}

func intAttr(key, def string, lo, hi int) attrSpec {
	return attrSpec{key: key, def: def, expect: "an integer from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi), check: func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && n <= hi
	}}
}

func enumAttr(key, def string, values ...string) attrSpec {
	return attrSpec{key: key, def: def, expect: "one of " + strings.Join(values, ", "), check: func(v string) bool {
		for _, x := range values {
			if v == x {
				return true
			}
		}
		return false
	}}
}

func stringAttr(key, def string) attrSpec {
	return attrSpec{key: key, def: def, check: func(v string) bool { return len(v) <= 1024 }, expect: "at most 1024 characters"}
}

// percentOrOff is "off" or 1-100.
func percentOrOff(key string) attrSpec {
	return attrSpec{key: key, def: "off", expect: "off or an integer from 1 to 100", check: func(v string) bool {
		if v == "off" {
			return true
		}
		n, err := strconv.Atoi(v)
		return err == nil && n >= 1 && n <= 100
	}}
}

// slowStart is 0 (off) or 30-900 seconds.
var slowStart = attrSpec{key: "slow_start.duration_seconds", def: "0", expect: "0 or an integer from 30 to 900", check: func(v string) bool {
	n, err := strconv.Atoi(v)
	return err == nil && (n == 0 || n >= 30 && n <= 900)
}}

// The attributes ELBv2 lists for each kind of resource, with its defaults.
var (
	albAttributes = []attrSpec{
		boolAttr("access_logs.s3.enabled", "false"),
		stringAttr("access_logs.s3.bucket", ""),
		stringAttr("access_logs.s3.prefix", ""),
		intAttr("client_keep_alive.seconds", "3600", 60, 604800),
		boolAttr("connection_logs.s3.enabled", "false"),
		stringAttr("connection_logs.s3.bucket", ""),
		stringAttr("connection_logs.s3.prefix", ""),
		boolAttr("deletion_protection.enabled", "false"),
		intAttr("idle_timeout.timeout_seconds", "60", 1, 4000),
		boolAttr("load_balancing.cross_zone.enabled", "true"),
		enumAttr("routing.http.desync_mitigation_mode", "defensive", "monitor", "defensive", "strictest"),
		boolAttr("routing.http.drop_invalid_header_fields.enabled", "false"),
		boolAttr("routing.http.preserve_host_header.enabled", "false"),
		boolAttr("routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false"),
		boolAttr("routing.http.xff_client_port.enabled", "false"),
		enumAttr("routing.http.xff_header_processing.mode", "append", "append", "preserve", "remove"),
		boolAttr("routing.http2.enabled", "true"),
		boolAttr("waf.fail_open.enabled", "false"),
		boolAttr("zonal_shift.config.enabled", "false"),
	}
	nlbAttributes = []attrSpec{
		boolAttr("access_logs.s3.enabled", "false"),
		stringAttr("access_logs.s3.bucket", ""),
		stringAttr("access_logs.s3.prefix", ""),
		boolAttr("deletion_protection.enabled", "false"),
		enumAttr("dns_record.client_routing_policy", "any_availability_zone", "availability_zone_affinity", "partial_availability_zone_affinity", "any_availability_zone"),
		boolAttr("load_balancing.cross_zone.enabled", "false"),
		boolAttr("zonal_shift.config.enabled", "false"),
	}
	httpTargetGroupAttributes = []attrSpec{
		intAttr("deregistration_delay.timeout_seconds", "300", 0, 3600),
		enumAttr("load_balancing.algorithm.anomaly_mitigation", "off", "on", "off"),
		enumAttr("load_balancing.algorithm.type", "round_robin", "round_robin", "least_outstanding_requests", "weighted_random"),
		enumAttr("load_balancing.cross_zone.enabled", "use_load_balancer_configuration", "true", "false", "use_load_balancer_configuration"),
		slowStart,
		stringAttr("stickiness.app_cookie.cookie_name", ""),
		intAttr("stickiness.app_cookie.duration_seconds", "86400", 1, 604800),
		boolAttr("stickiness.enabled", "false"),
		intAttr("stickiness.lb_cookie.duration_seconds", "86400", 1, 604800),
		enumAttr("stickiness.type", "lb_cookie", "lb_cookie", "app_cookie"),
		intAttr("target_group_health.dns_failover.minimum_healthy_targets.count", "1", 1, 1000),
		percentOrOff("target_group_health.dns_failover.minimum_healthy_targets.percentage"),
		intAttr("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1", 1, 1000),
		percentOrOff("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"),
	}
	tcpTargetGroupAttributes = []attrSpec{
		boolAttr("deregistration_delay.connection_termination.enabled", "false"),
		intAttr("deregistration_delay.timeout_seconds", "300", 0, 3600),
		enumAttr("load_balancing.cross_zone.enabled", "use_load_balancer_configuration", "true", "false", "use_load_balancer_configuration"),
		boolAttr("preserve_client_ip.enabled", "true"),
		boolAttr("proxy_protocol_v2.enabled", "false"),
		boolAttr("stickiness.enabled", "false"),
		enumAttr("stickiness.type", "source_ip", "source_ip"),
		intAttr("target_group_health.dns_failover.minimum_healthy_targets.count", "1", 1, 1000),
		percentOrOff("target_group_health.dns_failover.minimum_healthy_targets.percentage"),
		intAttr("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1", 1, 1000),
		percentOrOff("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"),
		boolAttr("target_health_state.unhealthy.connection_termination.enabled", "true"),
		intAttr("target_health_state.unhealthy.draining_interval_seconds", "0", 0, 360000),
	}
)
