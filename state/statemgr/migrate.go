package statemgr

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-sh/berth/state/backend"
)

// Migration copies the states of every workspace from one backend to
// another ("berth init -migrate-state"), keeping each state's lineage and
// serial, under both backends' locks.
type Migration struct {
	From, To backend.Workspaces
	// Options open the managers of the workspaces' states (their
	// encryption), on both sides.
	Options []Option
	// Overwrite replaces a newer state of the same lineage stored at the
	// destination; otherwise such a workspace is refused (and nothing of
	// it copied). A state of another lineage there is always refused:
	// another history, to be removed by hand if it is to go.
	Overwrite   bool
	LockTimeout time.Duration
}

// MigratedWorkspace says what became of one workspace.
type MigratedWorkspace struct {
	Name string
	// Outcome is "copied", "unchanged" (the destination held this very
	// state already) or "empty" (nothing stored at the source).
	Outcome string
	Serial  uint64
	From    string // locations, for messages
	To      string
}

// Run copies every workspace, stopping at the first error: the workspaces
// copied before it stay copied (copying them again is harmless).
func (g *Migration) Run(ctx context.Context) ([]MigratedWorkspace, error) {
	names, err := g.From.Workspaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the workspaces to migrate: %w", err)
	}
	var done []MigratedWorkspace
	for _, name := range names {
		r, err := g.one(ctx, name)
		if err != nil {
			return done, fmt.Errorf("migrating workspace %q: %w", name, err)
		}
		done = append(done, r)
	}
	return done, nil
}

func (g *Migration) one(ctx context.Context, name string) (r MigratedWorkspace, err error) {
	r.Name = name
	fb, err := g.From.Workspace(name)
	if err != nil {
		return r, err
	}
	tb, err := g.To.Workspace(name)
	if err != nil {
		return r, err
	}
	r.From, r.To = fb.Location(), tb.Location()
	if fb.Location() == tb.Location() {
		r.Outcome = "unchanged"
		return r, nil
	}
	src, dst := New(fb, g.Options...), New(tb, g.Options...)
	for _, m := range []*Manager{src, dst} {
		id, err := m.Lock(ctx, NewLockInfo("init -migrate-state"), g.LockTimeout)
		if err != nil {
			return r, err
		}
		defer func() {
			if uerr := m.Unlock(context.WithoutCancel(ctx), id); uerr != nil && err == nil {
				err = uerr
			}
		}()
	}
	// An apply cut short leaves intents whose outcome only the source's
	// journal knows: copying the state without them would lose objects.
	if j, err := src.Journal().Open(ctx); err != nil {
		return r, err
	} else if len(j) > 0 {
		return r, fmt.Errorf("%s has %d unsettled intents of an interrupted apply: run berth plan with the old backend first, so that berth finds out what they did", src.Backend().JournalLocation(), len(j))
	}
	st, err := src.Read(ctx)
	if err != nil {
		return r, err
	}
	if st == nil {
		r.Outcome = "empty"
		return r, nil
	}
	r.Serial = st.Serial
	existing, err := dst.Read(ctx)
	if err != nil {
		return r, err
	}
	if existing != nil {
		switch {
		case existing.Lineage == st.Lineage && existing.Serial == st.Serial:
			r.Outcome = "unchanged"
			return r, nil
		case existing.Lineage != st.Lineage:
			return r, fmt.Errorf("%s already holds a state of another lineage (%s, serial %d): another history; nothing was copied", tb.Location(), existing.Lineage, existing.Serial)
		case !g.Overwrite && existing.Serial > st.Serial:
			return r, fmt.Errorf("%s already holds a newer state of this lineage (serial %d, the source's is %d); nothing was copied (-force-copy replaces it)", tb.Location(), existing.Serial, st.Serial)
		}
	}
	if err := dst.Write(ctx, st); err != nil {
		return r, err
	}
	r.Outcome, r.Serial = "copied", st.Serial // Write may have raised it
	return r, nil
}
