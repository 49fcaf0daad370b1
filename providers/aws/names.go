package aws

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxNameLen is ELBv2's limit on load balancer and target group names.
const maxNameLen = 32

// Tags berth puts on everything it creates.
const (
	tagManagedBy    = "managed-by"
	managedByBerth  = "berth"
	tagLoadBalancer = "berth:load-balancer"
	tagTarget       = "berth:target"
	// tagIdempotencyKey is on the load balancer: the key of the create
	// that made it, which LookupResources finds it by. A canary target
	// group carries the key of the step that made it.
	tagIdempotencyKey = "berth:idempotency-key"
	// tagCanary is "true" on a canary target group (canary.go), which
	// also carries tagTarget: the target whose canary it is.
	tagCanary = "berth:canary"
	// tagCanaryWeight is on a canary target group once the listeners and
	// rules forward its share: the percent they were set to, and read
	// back. It is what the canary is meant to have: refresh carries it
	// to the plan (privateData), and an update keeps it.
	tagCanaryWeight = "berth:canary-weight"
)

// reservedTag reports whether a tag key is berth's own.
func reservedTag(k string) bool { return k == tagManagedBy || strings.HasPrefix(k, "berth:") }

// groupName is the name of the target group of target behind load
// balancer lb: "<lb>-<target>", with suffix after it when given; letters,
// digits and hyphens, at most 32 characters, cut with a short hash of the
// whole when longer, so that two long names stay apart.
func groupName(lb, target, suffix string) string {
	full := lb + "-" + target
	if suffix != "" {
		full += "-" + suffix
	}
	var b strings.Builder
	for _, r := range full {
		if r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) <= maxNameLen && name == full {
		return name
	}
	sum := sha256.Sum256([]byte(full))
	h := hex.EncodeToString(sum[:])[:6]
	if len(name) > maxNameLen-len(h)-1 {
		name = name[:maxNameLen-len(h)-1]
	}
	return strings.Trim(name, "-") + "-" + h
}

// canaryGroupName is the name of the canary target group of target:
// "<lb>-<target>-canary", cut as groupName cuts.
func canaryGroupName(lb, target string) string { return groupName(lb, target, "canary") }

// newGroupName is the name of a new target group for target: the usual
// name, unless the group it replaces (named old) has it; then the usual
// name with the new group's protocol and port after it.
func newGroupName(lb, target string, k groupKey, old string) string {
	n := groupName(lb, target, "")
	if n != old {
		return n
	}
	return groupName(lb, target, strings.ToLower(k.Protocol)+portKey(k.Port))
}
