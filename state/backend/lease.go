package backend

import (
	"context"
	"time"
)

// Leases is a Backend whose lock is a lease: it expires unless its holder
// renews it, so that a holder that died (kill -9, a cancelled CI job, a
// host that went away) loses the lock after LeaseDuration, whatever host
// the next run is on. The state manager renews the lock while berth holds
// it (statemgr.Manager.Lock), the same way for every such backend.
//
// Lock takes over a lease that expired; LockInfo.Expires says when the
// lease ends if not renewed.
type Leases interface {
	Backend
	// LeaseDuration is how long the lock outlives its last renewal.
	LeaseDuration() time.Duration
	// RenewLock extends the lease of the lock whose ID is id from now.
	// It returns a *LostLockError when the lock is no longer held with
	// that ID (it expired and was taken, or was force-unlocked).
	RenewLock(ctx context.Context, id string) error
}

// LostLockError says the lock berth held was taken from it.
type LostLockError struct {
	ID string
	// Holder is who holds it now, when known.
	Holder *LockInfo
}

func (e *LostLockError) Error() string {
	msg := "the state lock " + e.ID + " was lost (its lease expired before it was renewed, or it was force-unlocked)"
	if e.Holder != nil {
		msg += "; it is now held by " + e.Holder.Who + " for " + e.Holder.Operation + ", lock ID " + e.Holder.ID
	}
	return msg
}
