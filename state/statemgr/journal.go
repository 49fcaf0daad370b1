package statemgr

import (
	"context"
	"fmt"
	"sync"

	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/encryption"
	"github.com/berth-sh/berth/state/statefile"
)

// Journal is the write-ahead intent journal of a state, kept by its
// backend beside the state (see state.Intent): the engine records each
// create and destroy before it asks a provider for it, and Persister.Flush
// rewrites the journal to what is still open once the outcomes are
// stored in the state. Intents left in it belong to an apply that was
// killed; the next run resolves them (core.Recover) before it plans.
//
// Records made at once by concurrent operations are appended and synced
// together (a group commit): with parallelism 10, one sync covers up to
// ten creates, so the journal costs an apply a sync per batch of calls,
// not per object.
type Journal struct {
	backend backend.Backend
	keys    *encryption.Target // each line is encrypted on its own

	mu      sync.Mutex
	pending []byte       // lines waiting for the next append
	waiters []chan error // the callers of Record whose lines are in pending
	writing bool         // a Record call is appending (the leader)

	// io orders appends and rewrites: a rewrite must not replace the file
	// while an append to it is in flight.
	io sync.Mutex
}

// Journal returns the intent journal of the state the manager holds.
func (m *Manager) Journal() *Journal {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.journal == nil {
		m.journal = &Journal{backend: m.backend, keys: m.keys}
	}
	return m.journal
}

// Location names the journal in messages.
func (j *Journal) Location() string { return j.backend.JournalLocation() }

// Record appends in to the journal and returns once it is stored durably.
// Concurrent calls share one append.
func (j *Journal) Record(ctx context.Context, in state.Intent) error {
	line, err := statefile.EncodeIntent(in)
	if err != nil {
		return err
	}
	if line, err = j.sealLine(ctx, line); err != nil {
		return err
	}
	done := make(chan error, 1)
	j.mu.Lock()
	j.pending = append(j.pending, line...)
	j.waiters = append(j.waiters, done)
	lead := !j.writing
	j.writing = true
	j.mu.Unlock()
	if lead {
		// The leader appends batches until none is waiting; the lines
		// that arrive during an append go in the next one.
		for {
			j.mu.Lock()
			batch, waiters := j.pending, j.waiters
			j.pending, j.waiters = nil, nil
			if len(waiters) == 0 {
				j.writing = false
				j.mu.Unlock()
				break
			}
			j.mu.Unlock()
			j.io.Lock()
			err := j.backend.AppendJournal(context.WithoutCancel(ctx), batch)
			j.io.Unlock()
			for _, w := range waiters {
				w <- err
			}
		}
	}
	return <-done
}

// Open returns the intents in the journal, in the order recorded; none
// when there is no journal.
func (j *Journal) Open(ctx context.Context) ([]state.Intent, error) {
	j.io.Lock()
	defer j.io.Unlock()
	data, found, err := j.backend.GetJournal(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the intent journal %s: %w", j.Location(), err)
	}
	if !found {
		return nil, nil
	}
	if data, err = j.openLines(ctx, data); err != nil {
		return nil, fmt.Errorf("the intent journal %s cannot be read: %w", j.Location(), err)
	}
	intents, err := statefile.DecodeJournal(data)
	if err != nil {
		return nil, fmt.Errorf("the intent journal %s cannot be read: %w", j.Location(), err)
	}
	return intents, nil
}

// Rewrite replaces the journal with the intents keep returns (none: the
// journal is removed). keep is called with appends held off, so an intent
// recorded meanwhile is either in what keep returns or appended after the
// rewrite, never lost.
func (j *Journal) Rewrite(ctx context.Context, keep func() []state.Intent) error {
	j.io.Lock()
	defer j.io.Unlock()
	var data []byte
	for _, in := range keep() {
		line, err := statefile.EncodeIntent(in)
		if err != nil {
			return err
		}
		if line, err = j.sealLine(ctx, line); err != nil {
			return err
		}
		data = append(data, line...)
	}
	if err := j.backend.PutJournal(ctx, data); err != nil {
		return fmt.Errorf("rewriting the intent journal %s: %w", j.Location(), err)
	}
	return nil
}
