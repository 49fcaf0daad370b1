package statemgr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statefile"
)

// runStart is the state as the run first found it, and what becomes of
// it as a backup.
type runStart struct {
	data []byte // the stored bytes; nil when no state was stored
	// plain is the plaintext of data when data is not stored as the
	// manager stores now (encryption: a fallback key, plaintext), nil
	// otherwise; the backup is then plain written as the manager
	// writes, not data, with its serial and lineage.
	plain    []byte
	serial   uint64
	lineage  string
	backupTo string // the name of the backup to write (backend.Backups)
	// backedUp: nothing is left to back up this run (done, or nothing to
	// do: no state, no backups, or no place that is not taken).
	backedUp bool
	foreign  *ForeignBackup
}

// ForeignBackup is a backup the manager does not write over: it holds
// another lineage than the stored state, or no state is stored, or it
// cannot be read.
type ForeignBackup struct {
	// Location names the backup; State names the stored state.
	Location, State string
	// Lineage and Serial are the backup's; Lineage is "" when Err says
	// why it could not be read.
	Lineage string
	Serial  uint64
	Err     error
	// StateLineage is the stored state's, "" when none is stored.
	StateLineage string
	// Beside names where this run backs up the state instead; "" when
	// it keeps no backup (no state is stored, or that place is taken
	// by another lineage too).
	Beside string
}

// Summary is the warning's one line.
func (f *ForeignBackup) Summary() string {
	switch {
	case f.StateLineage == "":
		return "A backup exists, but no state"
	case f.Err != nil:
		return "The state's backup cannot be read"
	}
	return "The state's backup belongs to another state"
}

// Detail says what the backup is, what berth does with it and how to
// restore it. The commands are on lines of their own, for the renderer
// not to break them.
func (f *ForeignBackup) Detail() string {
	what := fmt.Sprintf("%s holds a state of lineage %s (serial %d)", f.Location, f.Lineage, f.Serial)
	if f.Err != nil {
		what = fmt.Sprintf("%s cannot be read (%v)", f.Location, f.Err)
	}
	restore := fmt.Sprintf("\n\n    cp %s %s\n\n", f.Location, f.State)
	if f.StateLineage == "" {
		return fmt.Sprintf("There is no state at %s, but %s. If the state was lost, restore it before applying, while no berth runs:%sOtherwise berth starts a new state, which knows nothing of the objects the backup records. berth never writes over the backup.",
			f.State, what, restore)
	}
	msg := fmt.Sprintf("%s, not the lineage of %s (%s): it may be the only copy of a state that was lost. berth never writes over it", what, f.State, f.StateLineage)
	if f.Beside != "" {
		msg += fmt.Sprintf("; the backups of %s go to %s instead", f.State, f.Beside)
	} else {
		msg += fmt.Sprintf(", and keeps no backup of %s (the place beside it is taken too)", f.State)
	}
	return msg + fmt.Sprintf(". To restore it, while no berth runs, move %s aside (berth then no longer knows the objects it records):\n\n    mv %s %s.%s%sOnce the backup is not needed, delete it.",
		f.State, f.State, f.State, besideName(f.StateLineage), restore[1:])
}

// ForeignBackup returns the backup the first read found that the manager
// will not write over, or nil when there is none (see the package doc).
func (m *Manager) ForeignBackup() *ForeignBackup {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.start == nil {
		return nil
	}
	return m.start.foreign
}

// begin records the state the run's first read found (data nil when none
// is stored), and decides where its backup goes. It fails only when ctx
// ends meanwhile: then the next read begins again.
func (m *Manager) begin(ctx context.Context, data []byte, lineage string) error {
	b, ok := m.backend.(backend.Backups)
	if !ok {
		m.start = &runStart{backedUp: true}
		return nil
	}
	st := &runStart{data: data, backedUp: true}
	h, found, err := backupHeader(ctx, b, "")
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	m.start = st
	switch {
	case err == nil && !found:
		st.backedUp = data == nil // a state to back up, if any, and no warning
		return nil
	case err == nil && data != nil && h.Lineage == lineage:
		st.backedUp = false // the previous backup of this state
		return nil
	}
	f := &ForeignBackup{Location: b.BackupLocation(""), State: m.backend.Location(),
		Lineage: h.Lineage, Serial: h.Serial, Err: err, StateLineage: lineage}
	st.foreign = f
	if data == nil {
		return nil
	}
	name := besideName(lineage)
	bh, found, err := backupHeader(ctx, b, name)
	if cerr := ctx.Err(); cerr != nil {
		m.start = nil
		return cerr
	}
	if err == nil && (!found || bh.Lineage == lineage) {
		st.backupTo, st.backedUp = name, false
		f.Beside = b.BackupLocation(name)
	}
	return nil
}

// backupHeader reads the header of the backup called name.
func backupHeader(ctx context.Context, b backend.Backups, name string) (statefile.Header, bool, error) {
	data, found, err := b.GetBackup(ctx, name)
	if err != nil || !found {
		return statefile.Header{}, found, err
	}
	h, err := statefile.DecodeHeader(data)
	return h, true, err
}

// besideName is the name of the backup of a state of lineage kept
// beside a backup of another lineage: the lineage's first letters and
// digits (a UUID's first group), or a hash of an unusual lineage.
func besideName(lineage string) string {
	var b strings.Builder
	for _, r := range lineage {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') || b.Len() == 8 {
			break
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		sum := sha256.Sum256([]byte(lineage))
		return hex.EncodeToString(sum[:4])
	}
	return b.String()
}

// backUp writes the backup of the run's start, once per run, before the
// run's first write.
func (m *Manager) backUp(ctx context.Context) error {
	st := m.start
	if st == nil || st.backedUp {
		return nil
	}
	data := st.data
	if st.plain != nil {
		var err error
		if data, err = m.seal(ctx, st.plain, st.serial, st.lineage); err != nil {
			return err
		}
	}
	if err := m.backend.(backend.Backups).PutBackup(ctx, st.backupTo, data); err != nil {
		return err
	}
	st.backedUp, st.data, st.plain = true, nil, nil
	return nil
}
