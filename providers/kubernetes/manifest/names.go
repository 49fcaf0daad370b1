package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The labels and annotations berth puts on the objects it manages.
const (
	// LabelManagedBy is on every object and pod berth manages, with value
	// ManagedBy.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// LabelApp is the app's object name (ObjectName), on every object and
	// pod of the app: the Service selects the app's pods by it.
	LabelApp = "berth.sh/app"
	// LabelRevision is the revision (Revision.ID) a Deployment and its
	// pods run.
	LabelRevision = "berth.sh/revision"
	// AnnotationConfigHash is the config hash of the spec, on the pod
	// template.
	AnnotationConfigHash = "berth.sh/config-hash"
	// AnnotationImageDigest is the image digest of the spec, on the pod
	// template.
	AnnotationImageDigest = "berth.sh/image-digest"
)

// ManagedBy is the value of LabelManagedBy.
const ManagedBy = "berth"

// maxLabel is the longest DNS label, and the longest label value.
const maxLabel = 63

// ObjectName is the name of the Kubernetes objects of the app named app (a
// berth name: "web", "web-0", "web_eu", "Web.EU"): a DNS-1035 label
// (lowercase letters, digits and '-', starting with a letter, at most 63
// characters), which every kind berth creates accepts, Services included.
// A name that is one already is kept; any other is lowercased, its other
// characters turned to '-', trimmed, shortened when too long, and given
// "-" and 8 hex digits of a hash of the original name, so that two app
// names never share an object name ("web_eu" and "web-eu" differ). It is
// stable: the same app name always gives the same object name.
func ObjectName(app string) string {
	if isDNS1035(app) {
		return app
	}
	s := strings.Trim(sanitize(app), "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = strings.TrimRight("app-"+s, "-")
	}
	return withHash(s, app, maxLabel)
}

// DeploymentName is the name of the Deployment running revision of app:
// ObjectName(app) + "-" + revision, at most 63 characters. When that is
// too long the app part is shortened (and hashed, so that it stays
// unique); a revision longer than 40 characters, or not of DNS label
// characters, is shortened and hashed the same way.
func DeploymentName(app, revision string) string {
	rev := strings.Trim(sanitize(revision), "-")
	if rev != revision || len(rev) > 40 {
		rev = withHash(rev, revision, 40)
	}
	name := ObjectName(app)
	if budget := maxLabel - 1 - len(rev); len(name) > budget {
		name = withHash(name, app, budget)
	}
	return name + "-" + rev
}

// PullSecretName is the name of the image pull Secret of app.
func PullSecretName(app string) string { return ObjectName(app) + "-registry" }

// sanitize lowercases s and turns what is not a DNS label character into
// '-'.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// withHash is s, cut so that s + "-" + 8 hex digits of the hash of
// original fits in max, with that suffix.
func withHash(s, original string, max int) string {
	sum := sha256.Sum256([]byte(original))
	suffix := hex.EncodeToString(sum[:4])
	if keep := max - 1 - len(suffix); len(s) > keep {
		s = s[:keep]
	}
	s = strings.TrimRight(s, "-")
	if s == "" {
		return suffix
	}
	return s + "-" + suffix
}

// isDNS1035 reports whether s is a DNS-1035 label.
func isDNS1035(s string) bool {
	if len(s) == 0 || len(s) > maxLabel || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
