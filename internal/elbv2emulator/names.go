package elbv2emulator

import (
	"fmt"
	"strings"
)

// validName checks a load balancer's or target group's name as ELBv2
// does: 1-32 characters, alphanumerics and hyphens, no hyphen first or
// last. what is "load balancer" or "target group".
func validName(what, name string) error {
	if name == "" {
		return validationErr("The %s name cannot be empty", what)
	}
	if len(name) > 32 {
		return validationErr("%s name '%s' cannot be longer than '32' characters", capitalize(what), name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return validationErr("%s name '%s' can only contain characters that are alphanumeric characters or hyphens(-)", capitalize(what), name)
		}
	}
	if strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
		return validationErr("%s name '%s' cannot begin or end with '-' character", capitalize(what), name)
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// arnKind is the resource type in an ELBv2 ARN.
type arnKind string

const (
	kindLoadBalancer arnKind = "loadbalancer"
	kindTargetGroup  arnKind = "targetgroup"
	kindListener     arnKind = "listener"
	kindRule         arnKind = "listener-rule"
)

func (k arnKind) noun() string {
	switch k {
	case kindLoadBalancer:
		return "load balancer"
	case kindTargetGroup:
		return "target group"
	case kindListener:
		return "listener"
	default:
		return "listener rule"
	}
}

// parseARNKind returns the resource type of an ELBv2 ARN
// (arn:aws:elasticloadbalancing:REGION:ACCOUNT:TYPE/...), or false.
func parseARNKind(arn string) (arnKind, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "elasticloadbalancing" || parts[3] == "" || parts[4] == "" {
		return "", false
	}
	res := parts[5]
	i := strings.IndexByte(res, '/')
	if i <= 0 {
		return "", false
	}
	k := arnKind(res[:i])
	segs := strings.Split(res[i+1:], "/")
	switch k {
	case kindTargetGroup:
		return k, len(segs) == 2 && segs[0] != "" && segs[1] != ""
	case kindLoadBalancer:
		return k, len(segs) == 3 && allNonEmpty(segs)
	case kindListener:
		return k, len(segs) == 4 && allNonEmpty(segs)
	case kindRule:
		return k, len(segs) == 5 && allNonEmpty(segs)
	}
	return "", false
}

func allNonEmpty(ss []string) bool {
	for _, s := range ss {
		if s == "" {
			return false
		}
	}
	return true
}

// checkARN is a ValidationError unless arn is a well-formed ARN of kind.
func checkARN(arn string, kind arnKind) error {
	if k, ok := parseARNKind(arn); !ok || k != kind {
		return validationErr("'%s' is not a valid %s ARN", arn, kind.noun())
	}
	return nil
}

func (s *Server) arn(resource string) string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:%s", s.opts.Region, s.opts.AccountID, resource)
}

// Hosted zones of ELBv2's DNS names, by region (application, network).
var hostedZones = map[string][2]string{
	"us-east-1":      {"Z35SXDOTRQ7X7K", "Z26RNL4JYFTOTI"},
	"us-east-2":      {"Z3AADJGX6KTTL2", "ZLMOA37VPKANP"},
	"us-west-1":      {"Z368ELLRRE2KJ0", "Z24FKFUX50B4VW"},
	"us-west-2":      {"Z1H1FL5HABSF5", "Z18D5FSROUN65G"},
	"eu-west-1":      {"Z32O12XQLNTSW2", "Z2IFOLAFXWLO4F"},
	"eu-central-1":   {"Z215JYRZR1TBD5", "Z3F0SRJ5LGBH90"},
	"ap-northeast-1": {"Z14GRHDCWA56QT", "Z31USIVHYNEOWT"},
	"ap-southeast-1": {"Z1LMS91P8CMLE5", "ZKVM4W9LS7TM"},
}

func (s *Server) hostedZone(network bool) string {
	z, ok := hostedZones[s.opts.Region]
	if !ok {
		z = hostedZones["us-east-1"]
	}
	if network {
		return z[1]
	}
	return z[0]
}
