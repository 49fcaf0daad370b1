package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// JournalPath returns the path of the intent journal: PATH.journal.
func (l *Local) JournalPath() string { return l.path + ".journal" }

// JournalLocation is the journal's path.
func (l *Local) JournalLocation() string { return l.JournalPath() }

// AppendJournal appends data to PATH.journal and syncs it; a new file's
// directory entry is synced too, so the journal survives a power loss,
// not only a kill. The file stays open between appends (an apply appends
// once per batch of creates), until PutJournal replaces it.
func (l *Local) AppendJournal(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path := l.JournalPath()
	l.jmu.Lock()
	defer l.jmu.Unlock()
	if l.journal == nil {
		if err := l.makeDir(); err != nil {
			return fmt.Errorf("writing the intent journal %s: %w", path, err)
		}
		_, statErr := os.Stat(path)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("writing the intent journal %s: %w", path, err)
		}
		if errors.Is(statErr, fs.ErrNotExist) {
			if err := syncDir(filepath.Dir(path)); err != nil {
				f.Close()
				return fmt.Errorf("writing the intent journal %s: syncing the directory: %w", path, err)
			}
		}
		l.journal = f
	}
	_, err := l.journal.Write(data)
	if err == nil {
		err = l.journal.Sync()
	}
	if err != nil {
		// Opened again next time: a failed write may have left the file
		// in any state.
		l.journal.Close()
		l.journal = nil
		return fmt.Errorf("writing the intent journal %s: %w", path, err)
	}
	return nil
}

// closeJournal closes the journal file kept open by AppendJournal. Call
// with jmu held.
func (l *Local) closeJournal() {
	if l.journal != nil {
		l.journal.Close()
		l.journal = nil
	}
}

// GetJournal reads PATH.journal.
func (l *Local) GetJournal(ctx context.Context) ([]byte, bool, error) {
	return readFile(ctx, l.JournalPath())
}

// PutJournal replaces PATH.journal atomically, or removes it when data is
// empty.
func (l *Local) PutJournal(ctx context.Context, data []byte) error {
	path := l.JournalPath()
	l.jmu.Lock()
	defer l.jmu.Unlock()
	l.closeJournal() // the file is replaced: appends go to the new one
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(data) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clearing the intent journal %s: %w", path, err)
		}
		return nil
	}
	l.removeStaleLocked()
	return l.writeAtomic(ctx, path, data, "writing the intent journal to "+path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	return err
}
