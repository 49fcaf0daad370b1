package providers

import (
	"context"
	"sync"
)

// Stopper is how a provider's Stop cancels the calls in flight: each call
// works under Context(ctx), which Stop cancels; later calls run normally.
// The zero value is ready to use.
type Stopper struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *Stopper) current() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Stop cancels the contexts Context gave so far.
func (s *Stopper) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
	}
	s.ch = make(chan struct{})
}

// Context is ctx, also cancelled by Stop.
func (s *Stopper) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	ch := s.current()
	go func() {
		select {
		case <-ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
