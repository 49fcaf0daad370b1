package sdk

import (
	"context"
	"fmt"
	"sync"

	"github.com/berth-sh/berth/providers"
)

type eventsKey struct{}

// eventSink serialises events: authors may emit from several goroutines,
// while the core's callback (and the gRPC stream behind it) expects one
// event at a time.
type eventSink struct {
	mu sync.Mutex
	fn func(providers.ApplyEvent)
}

func withEvents(ctx context.Context, fn func(providers.ApplyEvent)) context.Context {
	if fn == nil {
		return ctx
	}
	return context.WithValue(ctx, eventsKey{}, &eventSink{fn: fn})
}

// Emit streams a progress event to berth while a Create, Update, Delete or
// ApplyStep call runs; berth shows it as it happens (for example each
// instance of a rollout wave becoming healthy). Outside an apply, Emit does
// nothing, so helpers shared with Read may call it freely. Emit is safe for
// concurrent use.
func Emit(ctx context.Context, ev providers.ApplyEvent) {
	sink, _ := ctx.Value(eventsKey{}).(*eventSink)
	if sink == nil {
		return
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	sink.fn(ev)
}

// Progress emits a "progress" event with a formatted message: the common
// case of Emit.
func Progress(ctx context.Context, format string, args ...any) {
	Emit(ctx, providers.ApplyEvent{Kind: "progress", Message: fmt.Sprintf(format, args...)})
}
