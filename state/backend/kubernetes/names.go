package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// The objects of one workspace, for secret_suffix S:
//
//	berth-state-<w>-S            Secret: the state's head
//	berth-journal-<w>-S          Secret: the intent journal's head
//	<head>.<random>.<n>          Secrets: chunks a head lists
//	berth-lock-<w>-S             Lease: the lock
//
// where <w> is the workspace's name as objectName writes it. Heads have no
// dot in their names and chunks do, so a chunk's name is never a head's.
// Every object is labelled (managedBy, the suffix, the workspace, its
// role) so that workspaces are listed by label.

const (
	labelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "berth"
	labelSuffix    = "berth.sh/secret-suffix"
	labelWorkspace = "berth.sh/workspace"
	labelRole      = "berth.sh/role"

	roleState        = "state"
	roleStateChunk   = "state-chunk"
	roleJournal      = "journal"
	roleJournalChunk = "journal-chunk"
	roleLock         = "lock"

	// annWorkspace is the workspace's exact name (objectName may hash it).
	annWorkspace = "berth.sh/workspace"
	// annBase, on a chunk, is the resourceVersion of the head its writer
	// read: a chunk that no head lists and whose base is not the head's
	// current version was left by a write that did not finish.
	annBase = "berth.sh/base-version"
	// The state head's summary of what it holds.
	annLineage = "berth.sh/lineage"
	annSerial  = "berth.sh/serial"
	annSHA256  = "berth.sh/sha256"
	// annLockInfo, on the Lease, is the holder's backend.LockInfo (JSON).
	annLockInfo = "berth.sh/lock-info"
)

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// plainWorkspace is a workspace name used as is in object names and
	// label values: a DNS label without "--" (hashed names have one),
	// short enough for a label value.
	plainWorkspace = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$`)
	notDNS         = regexp.MustCompile(`[^a-z0-9]+`)
)

// objectName is the workspace's name as it appears in object names and in
// the workspace label. Kubernetes names are lowercase DNS names, and
// workspace names may hold capitals, '_' and '.': such a name, and a long
// one, becomes a readable prefix, "--" and a hash of the exact name. A
// plain name never holds "--", so it never equals a hashed one.
func objectName(workspace string) string {
	if plainWorkspace.MatchString(workspace) && !strings.Contains(workspace, "--") {
		return workspace
	}
	prefix := strings.Trim(notDNS.ReplaceAllString(strings.ToLower(workspace), "-"), "-")
	if len(prefix) > 36 {
		prefix = strings.TrimRight(prefix[:36], "-")
	}
	sum := sha256.Sum256([]byte(workspace))
	h := hex.EncodeToString(sum[:])[:12]
	if prefix == "" {
		return "w--" + h
	}
	return prefix + "--" + h
}

func stateName(workspace, suffix string) string {
	return "berth-state-" + objectName(workspace) + "-" + suffix
}

func journalName(workspace, suffix string) string {
	return "berth-journal-" + objectName(workspace) + "-" + suffix
}

func leaseName(workspace, suffix string) string {
	return "berth-lock-" + objectName(workspace) + "-" + suffix
}

// labels are the labels of a workspace's object with role.
func labels(workspace, suffix, role string) map[string]string {
	return map[string]string{
		labelManagedBy: managedBy,
		labelSuffix:    suffix,
		labelWorkspace: objectName(workspace),
		labelRole:      role,
	}
}

// selector selects the objects with the labels given, a subset of labels'.
func selector(l map[string]string) string {
	keys := []string{labelManagedBy, labelSuffix, labelWorkspace, labelRole}
	var parts []string
	for _, k := range keys {
		if v, ok := l[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, ",")
}
