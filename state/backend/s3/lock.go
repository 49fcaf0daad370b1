package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/berth-sh/berth/state/backend"
)

// The lock is the object KEY.lock, a lease:
//
//   - Lock creates it with If-None-Match: *, holding the LockInfo as JSON
//     with the lease's duration; exactly one of several berths creating
//     it at once succeeds.
//   - The holder renews it (statemgr, every third of the lease) by
//     rewriting it with If-Match on the ETag it last wrote.
//   - A lock whose holder stopped renewing it (killed) expires: when the
//     server's clock says the object was last written more than the lease
//     ago. Expiry is judged on the server's clock (its Last-Modified and
//     Date headers), so the clocks of the berths' hosts do not matter.
//     A taker replaces an expired lock with If-Match on its ETag: of two
//     takers, one wins.
//   - Unlock writes the object empty, with If-Match on the ETag of the
//     record it checked: an empty lock object is a released lock, which
//     Lock takes like an expired one. Releasing by a conditional write
//     rather than a delete never removes a lock taken after the check
//     (S3 servers do not all support conditional deletes).

// lockRecord is the lock object's JSON: who holds it, and the lease.
type lockRecord struct {
	backend.LockInfo
	// Lease is the lease's duration as the holder set it, for takers to
	// judge its expiry.
	Lease string `json:"lease"`
}

// heldLock is a lock this backend took: its record and the ETag it last
// wrote, which the next renewal requires.
type heldLock struct {
	rec  lockRecord
	etag string
}

func (b *S3) lockKey() string { return b.key + ".lock" }

// LockLocation names the lock object in messages.
func (b *S3) LockLocation() string { return b.location(b.lockKey()) }

// newRecord is the record of info's lock, its lease starting now.
func (b *S3) newRecord(info backend.LockInfo) lockRecord {
	info.Expires = time.Now().Add(b.cfg.LeaseDuration).UTC()
	return lockRecord{LockInfo: info, Lease: b.cfg.LeaseDuration.String()}
}

// lockState is what a lock object says.
type lockState int

const (
	lockReleased lockState = iota
	lockUnreadable
	lockHeld
)

// readLock decodes a lock object.
func readLock(data []byte) (lockState, lockRecord, error) {
	var rec lockRecord
	if len(data) == 0 {
		return lockReleased, rec, nil
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return lockUnreadable, rec, err
	}
	if rec.ID == "" {
		return lockUnreadable, rec, errors.New("the lock record has no ID")
	}
	return lockHeld, rec, nil
}

// expired reports whether the lease of rec, read in obj, has ended. On the
// server's clock: the object was last written more than the lease ago
// (plus a second, the resolution of the headers). When the server gave
// no times, on this host's clock: rec.Expires has passed.
func expired(rec lockRecord, obj object) bool {
	lease, err := time.ParseDuration(rec.Lease)
	if err == nil && lease > 0 && !obj.modified.IsZero() && !obj.now.IsZero() {
		return obj.now.Sub(obj.modified) >= lease+time.Second
	}
	return !rec.Expires.IsZero() && time.Now().After(rec.Expires)
}

// Lock takes the lock object, or a released or expired one, or returns a
// *backend.LockError naming the live holder (Info nil, Err set, for an
// object that is not a lock record: berth force-unlock removes it).
func (b *S3) Lock(ctx context.Context, info backend.LockInfo) error {
	if info.ID == "" {
		return errors.New("locking the state: the lock has no ID")
	}
	var holder *backend.LockInfo // the last expired holder seen
	pre := absent
	for range 8 {
		rec := b.newRecord(info)
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		etag, err := b.putObject(ctx, b.lockKey(), data, pre)
		if err == nil {
			b.hold(rec, etag)
			return nil
		}
		if !conditionFailed(err) {
			return fmt.Errorf("locking the state: writing %s: %w", b.LockLocation(), err)
		}
		obj, found, err := b.getObject(ctx, b.lockKey())
		if err != nil {
			return fmt.Errorf("locking the state: reading %s: %w", b.LockLocation(), err)
		}
		if !found {
			pre = absent // deleted meanwhile: create it again
			continue
		}
		st, cur, err := readLock(obj.data)
		switch {
		case st == lockUnreadable:
			return &backend.LockError{Err: fmt.Errorf("the lock object %s is not a lock record (%v): berth force-unlock with any ID removes it", b.LockLocation(), err)}
		case st == lockHeld && cur.ID == info.ID:
			// Our own write, whose answer was lost and the request
			// retried: the lock is ours.
			b.hold(cur, obj.etag)
			return nil
		case st == lockHeld && !expired(cur, obj):
			return &backend.LockError{Info: &cur.LockInfo}
		case st == lockHeld:
			holder = &cur.LockInfo
		}
		// Released or expired: replace it, on condition that nobody else
		// did first.
		pre = precondition{ifMatch: obj.etag}
	}
	if holder != nil {
		return &backend.LockError{Info: holder}
	}
	return &backend.LockError{Err: fmt.Errorf("the lock object %s keeps changing: other berths are taking it", b.LockLocation())}
}

func (b *S3) hold(rec lockRecord, etag string) {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	if b.held == nil {
		b.held = map[string]heldLock{}
	}
	b.held[rec.ID] = heldLock{rec: rec, etag: etag}
}

func (b *S3) drop(id string) {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	delete(b.held, id)
}

// RenewLock rewrites the lock record with a new lease, on condition that
// the object is the one this backend last wrote: when it is not, and its
// record is not ours, the lock was taken or released (*LostLockError).
func (b *S3) RenewLock(ctx context.Context, id string) error {
	b.lmu.Lock()
	h, ok := b.held[id]
	b.lmu.Unlock()
	for try := 0; try < 2; try++ {
		if !ok {
			obj, found, err := b.getObject(ctx, b.lockKey())
			if err != nil {
				return fmt.Errorf("renewing the lock: reading %s: %w", b.LockLocation(), err)
			}
			st, cur, _ := readLock(obj.data)
			if !found || st != lockHeld || cur.ID != id {
				b.drop(id)
				lost := &backend.LostLockError{ID: id}
				if found && st == lockHeld {
					lost.Holder = &cur.LockInfo
				}
				return lost
			}
			h = heldLock{rec: cur, etag: obj.etag}
		}
		rec := b.newRecord(h.rec.LockInfo)
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		etag, err := b.putObject(ctx, b.lockKey(), data, precondition{ifMatch: h.etag})
		if err == nil {
			b.hold(rec, etag)
			return nil
		}
		if !conditionFailed(err) {
			return fmt.Errorf("renewing the lock %s: %w", b.LockLocation(), err)
		}
		// Changed since we wrote it: read who holds it now (our record
		// still, if a renewal's answer was lost).
		ok = false
	}
	return fmt.Errorf("renewing the lock %s: it keeps changing", b.LockLocation())
}

// Unlock releases the lock whose ID is id, whoever took it, by writing
// the object empty on condition that it is still the record checked. A
// lock object that is not a lock record is released whatever the ID
// given, so that berth force-unlock can remove it.
func (b *S3) Unlock(ctx context.Context, id string) error {
	defer b.drop(id)
	obj, found, err := b.getObject(ctx, b.lockKey())
	if err != nil {
		return fmt.Errorf("unlocking the state: reading %s: %w", b.LockLocation(), err)
	}
	st, rec, _ := readLock(obj.data)
	switch {
	case !found || st == lockReleased:
		return fmt.Errorf("the state %s is not locked", b.Location())
	case st == lockHeld && rec.ID != id:
		return fmt.Errorf("the state %s is locked with ID %s, not %s: nothing was unlocked", b.Location(), rec.ID, id)
	}
	_, err = b.putObject(ctx, b.lockKey(), nil, precondition{ifMatch: obj.etag})
	if conditionFailed(err) {
		return fmt.Errorf("the lock %s changed while it was being released: nothing was unlocked (berth state lock show says who holds it now)", b.LockLocation())
	}
	if err != nil {
		return fmt.Errorf("unlocking the state: writing %s: %w", b.LockLocation(), err)
	}
	return nil
}
