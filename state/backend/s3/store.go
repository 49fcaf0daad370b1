package s3

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/berth-sh/berth/state/statefile"
)

// S3 stores one workspace's state in a bucket: the state object, the
// lock object beside it (KEY.lock) and the journal's objects (under
// KEY.journal/). See the package doc and docs/state.md.
type S3 struct {
	cfg    Config
	key    string // the state object's key
	client *client

	// mu guards etag: the ETag of the state as this backend last read or
	// wrote it ("" when there was none), which the next Put requires;
	// known is false until then.
	mu    sync.Mutex
	etag  string
	known bool

	// lmu guards held: the locks this backend took, by ID.
	lmu  sync.Mutex
	held map[string]heldLock

	// jmu guards jnext: the number of the next journal object, once the
	// journal was listed (jknown).
	jmu    sync.Mutex
	jnext  uint64
	jknown bool
}

// newS3 returns the backend of the state object at key.
func newS3(cfg Config, c *client, key string) *S3 {
	return &S3{cfg: cfg, key: key, client: c}
}

// Location names the state object, and the server when it is not AWS's;
// never credentials.
func (b *S3) Location() string {
	return b.location(b.key)
}

func (b *S3) location(key string) string {
	loc := "s3://" + b.cfg.Bucket + "/" + key
	if b.cfg.Endpoint != "" {
		ep := b.cfg.Endpoint
		if u, err := url.Parse(ep); err == nil {
			u.User = nil
			ep = u.String()
		}
		loc += " at " + ep
	}
	return loc
}

// LeaseDuration is the configured lease_duration.
func (b *S3) LeaseDuration() time.Duration { return b.cfg.LeaseDuration }

// Get reads the state object, and remembers its ETag for the next Put.
func (b *S3) Get(ctx context.Context) ([]byte, bool, error) {
	obj, found, err := b.getObject(ctx, b.key)
	if err != nil {
		return nil, false, fmt.Errorf("reading the state from %s: %w", b.Location(), err)
	}
	b.mu.Lock()
	b.etag, b.known = obj.etag, true
	b.mu.Unlock()
	if !found {
		return nil, false, nil
	}
	if obj.data == nil {
		obj.data = []byte{}
	}
	return obj.data, true, nil
}

// StaleWriteError is returned by Put when the state object is not the one
// this backend last read or wrote: another berth wrote it since.
type StaleWriteError struct {
	Location string
	// Found says whether a state is stored now; Lineage and Serial are
	// its header's, when it can be read.
	Found           bool
	Lineage         string
	Serial          uint64
	HeaderReadError error
}

func (e *StaleWriteError) Error() string {
	msg := "refusing to write the state: " + e.Location + " was changed by another berth since this one read it (a stale writer, or one that bypassed the lock)"
	switch {
	case !e.Found:
		msg += "; it was deleted"
	case e.HeaderReadError == nil:
		msg += fmt.Sprintf("; it now holds serial %d of lineage %s", e.Serial, e.Lineage)
	}
	return msg
}

// Put writes the state object on condition that it is still the one this
// backend last read or wrote (If-Match on its ETag; If-None-Match: * when
// there was none, or when this backend has read nothing): so a stale
// writer is refused, lock or no lock, with a *StaleWriteError.
func (b *S3) Put(ctx context.Context, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	pre := absent
	if b.known {
		pre = precondition{ifMatch: b.etag}
	}
	etag, err := b.putObject(ctx, b.key, data, pre)
	if err == nil {
		b.etag, b.known = etag, true
		return nil
	}
	if !conditionFailed(err) {
		return fmt.Errorf("writing the state to %s: %w", b.Location(), err)
	}
	obj, found, gerr := b.getObject(ctx, b.key)
	if gerr != nil {
		return fmt.Errorf("writing the state to %s: refused, as changed since it was read; reading it again failed: %w", b.Location(), gerr)
	}
	if found && bytes.Equal(obj.data, data) {
		// Our own write, whose answer was lost and the request retried,
		// or another's of the very same bytes: stored either way.
		b.etag, b.known = obj.etag, true
		return nil
	}
	se := &StaleWriteError{Location: b.Location(), Found: found}
	if found {
		h, err := statefile.DecodeHeader(obj.data)
		se.Lineage, se.Serial, se.HeaderReadError = h.Lineage, h.Serial, err
	}
	return se
}
