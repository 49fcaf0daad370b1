package kube

import (
	"encoding/json"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
)

// bookkeeping are the metadata fields the server keeps for itself: never
// a difference.
var bookkeeping = map[string]bool{
	"managedFields": true, "resourceVersion": true, "generation": true,
	"uid": true, "creationTimestamp": true,
}

// OwnedDiff compares what the server would make of berth's object
// (dryRun, the result of a dry-run apply of applied) with what exists
// (live), only where applied sets something, and returns the paths that
// differ, sorted: ".spec.replicas", ".spec.template.spec.containers".
//
// Maps are walked along applied's keys; any other value (a list
// included) is compared whole, as the server made it, so that a quantity
// written "1000m" and stored "1" is no difference, and items another
// manager added to a list berth sets are in both dryRun and live. A field
// of a map berth sets that live has and dryRun has not (one berth no
// longer sets, which the apply removes) is a difference too; a field only
// other managers set is in both alike and never is. metadata.managedFields,
// resourceVersion, generation, uid, creationTimestamp and status are never
// compared. OwnedDiff is pure.
func OwnedDiff(applied, dryRun, live map[string]any) []string {
	var diffs []string
	walk(&diffs, "", applied, dryRun, live, 0)
	slices.Sort(diffs)
	return diffs
}

// walk compares dryRun and live under the map applied sets at path; depth
// 0 is the object, 1 its top-level fields.
func walk(diffs *[]string, path string, applied, dryRun, live map[string]any, depth int) {
	for k, a := range applied {
		if skipped(path, k, depth) {
			continue
		}
		p := path + segment(k)
		d, dok := dryRun[k]
		l, lok := live[k]
		if am, ok := a.(map[string]any); ok {
			dm, dIsMap := d.(map[string]any)
			lm, lIsMap := l.(map[string]any)
			if (dIsMap || !dok) && (lIsMap || !lok) {
				walk(diffs, p, am, dm, lm, depth+1)
				continue
			}
		}
		if dok != lok || !equal(d, l) {
			*diffs = append(*diffs, p)
		}
	}
	// What the apply would remove under a map berth sets.
	for k := range live {
		if _, set := applied[k]; set || skipped(path, k, depth) {
			continue
		}
		if _, kept := dryRun[k]; !kept {
			*diffs = append(*diffs, path+segment(k))
		}
	}
}

func skipped(path, key string, depth int) bool {
	return (depth == 0 && key == "status") || (path == ".metadata" && bookkeeping[key])
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// segment is the path element of key: ".replicas", or
// `["app.kubernetes.io/name"]` for a key that is not an identifier.
func segment(key string) string {
	if identifier.MatchString(key) {
		return "." + key
	}
	return "[" + strconv.Quote(key) + "]"
}

// equal compares two decoded JSON values, numbers by value whatever
// their Go type (int64 from the API's decoder, float64 from
// encoding/json, json.Number).
func equal(a, b any) bool {
	if na, ok := number(a); ok {
		nb, ok := number(b)
		return ok && na.Cmp(nb) == 0
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !equal(x, y) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !equal(av[i], bv[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// number returns v as an exact number if it is one.
func number(v any) (*big.Rat, bool) {
	r := new(big.Rat)
	switch n := v.(type) {
	case int:
		return r.SetInt64(int64(n)), true
	case int32:
		return r.SetInt64(int64(n)), true
	case int64:
		return r.SetInt64(n), true
	case float64:
		if r.SetFloat64(n) == nil {
			return nil, false
		}
		return r, true
	case json.Number:
		if _, ok := r.SetString(n.String()); !ok {
			return nil, false
		}
		return r, true
	}
	return nil, false
}
