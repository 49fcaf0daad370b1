package install

import (
	"context"
	"fmt"
)

// Status is what "berth providers" reports about one provider: what the
// configuration requires, what is locked, what is installed, and what is
// wrong with that combination.
type Status struct {
	Source Source
	// Requirement is nil for a provider that is locked but no longer
	// required.
	Requirement *Requirement
	Locked      *LockedProvider
	// Installed are the versions found in the plugin directories, newest
	// first; nil for a built-in provider.
	Installed []Installed
	// Problems are sentences for the user, each saying what to do; empty
	// when the provider would launch as things stand.
	Problems []string
}

// Check reports the status of every required provider, in the order of
// reqs, then of every locked provider that is no longer required, sorted.
// Only I/O errors while scanning are returned as an error: everything else
// is a Problem of its provider.
func Check(ctx context.Context, reqs []Requirement, dirs []string, lock *Lock) ([]Status, error) {
	var out []Status
	required := map[Source]bool{}
	for _, r := range reqs {
		required[r.Source] = true
		st := Status{Source: r.Source, Requirement: &r, Locked: lock.Provider(r.Source)}
		if r.Source.IsBuiltin() {
			out = append(out, st)
			continue
		}
		installed, err := Scan(dirs, r.Source)
		if err != nil {
			return nil, err
		}
		st.Installed = installed
		switch {
		case st.Locked == nil:
			st.Problems = append(st.Problems, fmt.Sprintf("not locked in %s: run \"berth init\"", LockFileName))
			if _, ok := Select(installed, r.Constraints); !ok {
				st.Problems = append(st.Problems, fmt.Sprintf("no installed version meets %q", FormatConstraints(r.Constraints)))
			}
		case !r.Constraints.Check(st.Locked.Version):
			st.Problems = append(st.Problems, fmt.Sprintf("locked version %s does not meet %q: run \"berth init\" to select another", st.Locked.Version, FormatConstraints(r.Constraints)))
		default:
			if _, err := Resolve(ctx, dirs, lock, r.Source); err != nil {
				st.Problems = append(st.Problems, err.Error())
			}
		}
		out = append(out, st)
	}
	for _, p := range lock.Providers() {
		if required[p.Source] {
			continue
		}
		installed, err := Scan(dirs, p.Source)
		if err != nil {
			return nil, err
		}
		out = append(out, Status{Source: p.Source, Locked: p, Installed: installed,
			Problems: []string{"locked but no longer required: \"berth init\" removes it from " + LockFileName}})
	}
	return out, nil
}
