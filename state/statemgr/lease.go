package statemgr

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/berth-sh/berth/state/backend"
)

// renewal keeps a lease lock (backend.Leases) alive while this manager
// holds it: the lease is renewed every third of its duration, so a
// renewal that fails can be tried again twice before the lease ends.
type renewal struct {
	stop context.CancelFunc
	done chan struct{}

	mu   sync.Mutex
	lost error // a *backend.LostLockError once the lock was taken from us
}

// startRenewal renews lock id of l until stop is called. ctx is the
// Lock's: the renewal outlives its cancellation (berth still writes the
// state after Ctrl-C, under the lock) and ends with Unlock.
func startRenewal(ctx context.Context, l backend.Leases, id string) *renewal {
	ctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r := &renewal{stop: stop, done: make(chan struct{})}
	every := max(l.LeaseDuration()/3, 10*time.Millisecond)
	go func() {
		defer close(r.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(ctx, every)
			err := l.RenewLock(rctx, id)
			cancel()
			var lost *backend.LostLockError
			if errors.As(err, &lost) {
				r.mu.Lock()
				r.lost = err
				r.mu.Unlock()
				return
			}
			// Any other error (the server unreachable for a moment) is
			// tried again at the next tick; the lease outlives two misses.
		}
	}()
	return r
}

// end stops the renewal and returns the lost-lock error, if the lock was
// lost.
func (r *renewal) end() error {
	r.stop()
	<-r.done
	return r.err()
}

func (r *renewal) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lost
}
