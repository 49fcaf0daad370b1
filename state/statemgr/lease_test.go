package statemgr

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/state/backend"
	"github.com/berth-sh/berth/state/statetest"
)

// leaseBackend is a memBackend whose lock is a lease: an expired lock is
// taken over by the next Lock.
type leaseBackend struct {
	*memBackend
	duration time.Duration

	lmu     sync.Mutex
	expires time.Time
	renews  int
}

func (b *leaseBackend) LeaseDuration() time.Duration { return b.duration }

func (b *leaseBackend) Lock(ctx context.Context, info backend.LockInfo) error {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	b.mu.Lock()
	if b.lock != nil && time.Now().After(b.expires) {
		b.lock = nil // expired: taken over
	}
	b.mu.Unlock()
	if err := b.memBackend.Lock(ctx, info); err != nil {
		return err
	}
	b.expires = time.Now().Add(b.duration)
	return nil
}

func (b *leaseBackend) RenewLock(ctx context.Context, id string) error {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lock == nil || b.lock.ID != id {
		return &backend.LostLockError{ID: id, Holder: b.lock}
	}
	b.expires = time.Now().Add(b.duration)
	b.renews++
	return nil
}

func (b *leaseBackend) renewCount() int {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	return b.renews
}

// TestLeaseRenewed: a lease lock stays held for several lease durations
// while its manager runs (renewed), and is taken over once the holder
// stops renewing; the former holder then refuses to write and its Unlock
// says the lock was lost.
func TestLeaseRenewed(t *testing.T) {
	ctx := t.Context()
	b := &leaseBackend{memBackend: &memBackend{}, duration: 300 * time.Millisecond}
	holder := New(b)
	id, err := holder.Lock(ctx, NewLockInfo("apply"), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Several lease durations later, the lock is still held: renewed.
	time.Sleep(4 * b.duration)
	if _, err := New(b).Lock(ctx, NewLockInfo("plan"), 0); err == nil {
		t.Fatal("another manager took a lock that was being renewed")
	}
	if b.renewCount() < 3 {
		t.Errorf("%d renewals in four lease durations", b.renewCount())
	}

	// The holder hangs: its renewal stops without the lock released.
	// Once the lease ends, another takes the lock.
	holder.renewal.stop()
	<-holder.renewal.done

	other := New(b)
	start := time.Now()
	if _, err := other.Lock(ctx, NewLockInfo("apply"), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 30*time.Second {
		t.Errorf("took %s", waited)
	}

	// The former holder, renewing again, finds the lock lost.
	holder.mu.Lock()
	holder.renewal = startRenewal(ctx, b, id)
	r := holder.renewal
	holder.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for r.err() == nil && time.Now().Before(deadline) {
		time.Sleep(b.duration / 3)
	}
	var lost *backend.LostLockError
	if err := holder.Write(ctx, statetest.Big(1)); !errors.As(err, &lost) {
		t.Errorf("the former holder wrote: %v", err)
	}
	if err := holder.Unlock(ctx, id); !errors.As(err, &lost) {
		t.Errorf("the former holder's unlock: %v", err)
	}
}
