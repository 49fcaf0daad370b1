package core

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-sh/berth/state/statemgr"
	"github.com/hashicorp/hcl/v2"
)

// errStateNotWritten is why the walk of an apply stops when a write of
// the state fails.
var errStateNotWritten = errors.New("the state could not be written")

// StateWriteFailure is what an apply did when the state could not be
// written: the Extra of its "The state could not be written" diagnostic
// (see StateWriteFailureOf), so that the command can say where the state
// went and print it when no file could hold it.
type StateWriteFailure struct {
	// Location names the stored state (the backend's Location).
	Location string
	// Err is why the state could not be stored: the final write's error,
	// or the first failed write's when a later one succeeded.
	Err error
	// Unfinished is set when the apply stopped before every change was
	// made (nothing new starts once a write fails).
	Unfinished bool
	// Stored is set when a later write succeeded: Location records what
	// exists, and the rest below is empty.
	Stored bool
	// ErroredPath is the file the state was written to instead
	// (statemgr.ErroredStateFile in the working directory); "" when that
	// failed too (ErroredErr), and the state must be printed.
	ErroredPath string
	ErroredErr  error
	// Data is the state that records what exists, as the backend would
	// have stored it.
	Data []byte
}

// Printed lines around the state when it is printed (the command prints
// them; the diagnostic names them).
const (
	StateBeginLine = "-----BEGIN BERTH STATE-----"
	StateEndLine   = "-----END BERTH STATE-----"
)

// StateWriteFailureOf returns the StateWriteFailure of an apply's
// diagnostics, nil when the state was written.
func StateWriteFailureOf(diags hcl.Diagnostics) *StateWriteFailure {
	for _, d := range diags {
		if f, ok := d.Extra.(*StateWriteFailure); ok {
			return f
		}
	}
	return nil
}

// pushBack is the command that puts an errored state back (berth state
// push, then the file removed: while it exists, apply refuses).
func pushBack(from string) string {
	return fmt.Sprintf("berth state push %s && rm %s", from, from)
}

// PushBack is the command that puts the state back once the problem is
// fixed: from the errored state file, or from the file the user saves the
// printed state to (statemgr.ErroredStateFile, as the message says). ""
// when the state was stored.
func (f *StateWriteFailure) PushBack() string {
	switch {
	case f.Stored:
		return ""
	case f.ErroredPath != "":
		return pushBack(f.ErroredPath)
	default:
		return pushBack(statemgr.ErroredStateFile)
	}
}

func (f *StateWriteFailure) diagnostic() *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "The state could not be written", Extra: f}
	what := "berth made every change,"
	if f.Unfinished {
		what = "berth stopped starting changes at once and let the calls in flight finish;"
	}
	switch {
	case f.Stored && !f.Unfinished:
		d.Severity = hcl.DiagWarning
		d.Summary = "A write of the state failed"
		d.Detail = fmt.Sprintf("Writing the state to %s failed: %v. A later write succeeded: %s records what exists.", f.Location, f.Err, f.Location)
	case f.Stored:
		d.Detail = fmt.Sprintf("Writing the state to %s failed: %v. %s a later write succeeded, so %s records what exists. Run berth apply again to finish.", f.Location, f.Err, what, f.Location)
	case f.ErroredPath != "":
		d.Detail = fmt.Sprintf("Writing the state to %s failed: %v. %s %s does not record every object that exists now: the state that does was written to %s.\n\n"+
			"Once the problem is fixed, put it back before running berth again:\n  %s\n"+
			"An apply before that would not know these objects and would create them again: berth refuses to apply while %s exists.",
			f.Location, f.Err, what, f.Location, f.ErroredPath, f.PushBack(), f.ErroredPath)
	default:
		d.Detail = fmt.Sprintf("Writing the state to %s failed: %v, and writing it to a file failed too: %v. %s %s does not record every object that exists now: the state that does is printed on standard error, between the lines %s and %s.\n\n"+
			"Save it now, without those two lines (for example as %s, on a disk with space), and once the problem is fixed put it back before running berth again:\n  %s\n"+
			"An apply before that would not know these objects and would create them again.",
			f.Location, f.Err, f.ErroredErr, what, f.Location, StateBeginLine, StateEndLine, statemgr.ErroredStateFile, f.PushBack())
	}
	return d
}

// CheckErroredState refuses to apply while an errored state (see
// StateWriteFailure) is in the configuration's directory: it records
// objects the stored state does not know, which an apply would create
// again.
func (o *Operation) CheckErroredState() hcl.Diagnostics {
	if o.Engine == nil || o.Engine.Config == nil {
		return nil
	}
	path := filepath.Join(o.Engine.Config.Dir, statemgr.ErroredStateFile)
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	location := o.State.Location()
	if err != nil {
		return errDiag("Cannot check for an errored state", fmt.Sprintf("%s: %v.", path, err), nil)
	}
	return errDiag("An errored state is waiting to be put back",
		fmt.Sprintf("%s holds the state of an apply that could not write it to %s: objects that exist and that %s does not record. "+
			"Applying now would create them again. Put it back first:\n  %s\n"+
			"or, if it was already put back, remove it.", path, location, location, pushBack(path)), nil)
}
