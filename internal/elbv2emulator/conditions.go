package elbv2emulator

import (
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// maxConditionValues is ELBv2's quota of condition values per rule.
const maxConditionValues = 5

// normalizeConditions checks a rule's conditions and returns them as
// ELBv2 describes them: host-header and path-pattern conditions carry
// their values both in Values and in their config.
func normalizeConditions(in []types.RuleCondition) ([]types.RuleCondition, error) {
	if len(in) == 0 {
		return nil, validationErr("A rule must have at least one condition")
	}
	out := make([]types.RuleCondition, 0, len(in))
	seen := map[string]bool{}
	total := 0
	for _, c := range in {
		field := aws.ToString(c.Field)
		switch field {
		case "host-header", "path-pattern", "http-request-method", "source-ip":
			if seen[field] {
				return nil, validationErr("A rule can have only one '%s' condition", field)
			}
		case "http-header", "query-string":
		case "":
			return nil, validationErr("A condition must have a field")
		default:
			return nil, validationErr("Condition field '%s' must be one of host-header, path-pattern, http-header, http-request-method, query-string, source-ip", field)
		}
		seen[field] = true
		n := types.RuleCondition{Field: aws.String(field)}
		var values []string
		var err error
		switch field {
		case "host-header":
			var cfgValues, cfgRegex []string
			if c.HostHeaderConfig != nil {
				cfgValues, cfgRegex = c.HostHeaderConfig.Values, c.HostHeaderConfig.RegexValues
			}
			values, err = legacyOrConfig(field, c.Values, cfgValues, cfgRegex, c.HostHeaderConfig != nil)
			if err == nil && len(cfgRegex) > 0 {
				n.HostHeaderConfig = &types.HostHeaderConditionConfig{RegexValues: slices.Clone(cfgRegex)}
			} else if err == nil {
				n.Values = slices.Clone(values)
				n.HostHeaderConfig = &types.HostHeaderConditionConfig{Values: slices.Clone(values)}
			}
			values = append(values, cfgRegex...)
		case "path-pattern":
			var cfgValues, cfgRegex []string
			if c.PathPatternConfig != nil {
				cfgValues, cfgRegex = c.PathPatternConfig.Values, c.PathPatternConfig.RegexValues
			}
			values, err = legacyOrConfig(field, c.Values, cfgValues, cfgRegex, c.PathPatternConfig != nil)
			if err == nil && len(cfgRegex) > 0 {
				n.PathPatternConfig = &types.PathPatternConditionConfig{RegexValues: slices.Clone(cfgRegex)}
			} else if err == nil {
				n.Values = slices.Clone(values)
				n.PathPatternConfig = &types.PathPatternConditionConfig{Values: slices.Clone(values)}
			}
			values = append(values, cfgRegex...)
		case "http-header":
			hc := c.HttpHeaderConfig
			if hc == nil || aws.ToString(hc.HttpHeaderName) == "" || len(c.Values) > 0 {
				return nil, validationErr("An http-header condition must have an HttpHeaderConfig with a header name, and no Values")
			}
			values = append(slices.Clone(hc.Values), hc.RegexValues...)
			n.HttpHeaderConfig = &types.HttpHeaderConditionConfig{HttpHeaderName: hc.HttpHeaderName, Values: slices.Clone(hc.Values), RegexValues: slices.Clone(hc.RegexValues)}
		case "http-request-method":
			mc := c.HttpRequestMethodConfig
			if mc == nil || len(c.Values) > 0 {
				return nil, validationErr("An http-request-method condition must have an HttpRequestMethodConfig, and no Values")
			}
			for _, m := range mc.Values {
				if m == "" || len(m) > 40 || strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") != "" {
					return nil, validationErr("HTTP request method '%s' must be upper-case letters, '-' and '_'", m)
				}
			}
			values = slices.Clone(mc.Values)
			n.HttpRequestMethodConfig = &types.HttpRequestMethodConditionConfig{Values: slices.Clone(mc.Values)}
		case "query-string":
			qc := c.QueryStringConfig
			if qc == nil || len(c.Values) > 0 {
				return nil, validationErr("A query-string condition must have a QueryStringConfig, and no Values")
			}
			for _, kv := range qc.Values {
				if aws.ToString(kv.Value) == "" {
					return nil, validationErr("A query-string condition's pairs must each have a value")
				}
				values = append(values, aws.ToString(kv.Value))
			}
			n.QueryStringConfig = &types.QueryStringConditionConfig{Values: slices.Clone(qc.Values)}
		case "source-ip":
			sc := c.SourceIpConfig
			if sc == nil || len(c.Values) > 0 {
				return nil, validationErr("A source-ip condition must have a SourceIpConfig, and no Values")
			}
			for _, v := range sc.Values {
				if _, err := netip.ParsePrefix(v); err != nil {
					return nil, validationErr("Source IP '%s' must be a CIDR block", v)
				}
			}
			values = slices.Clone(sc.Values)
			n.SourceIpConfig = &types.SourceIpConditionConfig{Values: slices.Clone(sc.Values)}
		}
		if err != nil {
			return nil, err
		}
		if len(values) == 0 {
			return nil, validationErr("A '%s' condition must have at least one value", field)
		}
		for _, v := range values {
			if len(v) > 128 {
				return nil, validationErr("Condition value '%s' can be at most 128 characters long", v)
			}
		}
		total += len(values)
		out = append(out, n)
	}
	if total > maxConditionValues {
		return nil, validationErr("A rule can have at most %d condition values", maxConditionValues)
	}
	return out, nil
}

// legacyOrConfig takes a host-header or path-pattern condition's values
// from Values or from its config, not both; regexes are checked.
func legacyOrConfig(field string, legacy, cfg, regex []string, hasCfg bool) ([]string, error) {
	if len(legacy) > 0 && hasCfg {
		return nil, validationErr("A '%s' condition cannot have both Values and a config", field)
	}
	if len(cfg) > 0 && len(regex) > 0 {
		return nil, validationErr("A '%s' condition cannot have both values and regex values", field)
	}
	for _, re := range regex {
		if _, err := regexp.Compile(re); err != nil {
			return nil, validationErr("Regex value '%s' is not valid", re)
		}
	}
	if len(legacy) > 0 {
		return slices.Clone(legacy), nil
	}
	return slices.Clone(cfg), nil
}

// matchConditions reports whether a request meets all of a rule's
// conditions (each condition: any of its values).
func matchConditions(conds []types.RuleCondition, r *http.Request) bool {
	for _, c := range conds {
		if !matchCondition(c, r) {
			return false
		}
	}
	return true
}

func matchCondition(c types.RuleCondition, r *http.Request) bool {
	switch aws.ToString(c.Field) {
	case "host-header":
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(host)
		cfg := c.HostHeaderConfig
		return anyGlob(cfg.Values, host, true) || anyRegex(cfg.RegexValues, host)
	case "path-pattern":
		cfg := c.PathPatternConfig
		return anyGlob(cfg.Values, r.URL.Path, false) || anyRegex(cfg.RegexValues, r.URL.Path)
	case "http-header":
		cfg := c.HttpHeaderConfig
		for _, v := range r.Header.Values(aws.ToString(cfg.HttpHeaderName)) {
			if anyGlob(cfg.Values, v, true) || anyRegex(cfg.RegexValues, v) {
				return true
			}
		}
		return false
	case "http-request-method":
		return slices.Contains(c.HttpRequestMethodConfig.Values, r.Method)
	case "query-string":
		q := r.URL.Query()
		for _, kv := range c.QueryStringConfig.Values {
			for k, vs := range q {
				if kv.Key != nil && !glob(strings.ToLower(*kv.Key), strings.ToLower(k)) {
					continue
				}
				for _, v := range vs {
					if glob(strings.ToLower(aws.ToString(kv.Value)), strings.ToLower(v)) {
						return true
					}
				}
			}
		}
		return false
	case "source-ip":
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return false
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return false
		}
		for _, v := range c.SourceIpConfig.Values {
			if p, err := netip.ParsePrefix(v); err == nil && p.Contains(ip.Unmap()) {
				return true
			}
		}
		return false
	}
	return false
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p = strings.ToLower(p)
		}
		if glob(p, s) {
			return true
		}
	}
	return false
}

var regexCache sync.Map // pattern → *regexp.Regexp

func anyRegex(patterns []string, s string) bool {
	for _, p := range patterns {
		v, ok := regexCache.Load(p)
		if !ok {
			re, err := regexp.Compile(p)
			if err != nil {
				continue
			}
			v, _ = regexCache.LoadOrStore(p, re)
		}
		if v.(*regexp.Regexp).MatchString(s) {
			return true
		}
	}
	return false
}

// glob matches ELBv2's wildcards: * any run of characters, ? exactly one.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
