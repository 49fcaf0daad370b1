package registry

import (
	"context"
	"sync"
)

// Resolutions remembers what image references resolved to, for the life
// of one provider process (one berth command): a plan of 200 apps of one
// image asks the registry once, not 200 times, and every app of a run
// gets the same digest. A failed resolution is not kept. The zero value
// is ready to use.
type Resolutions struct {
	mu sync.Mutex
	m  map[resolutionKey]*resolution
}

type resolutionKey struct {
	reg Registry
	ref string
}

type resolution struct {
	done chan struct{}
	img  ResolvedImage
	err  error
}

// Resolve is reg.Resolve(ctx, ref), once per registry and reference.
func (rs *Resolutions) Resolve(ctx context.Context, reg Registry, ref string) (ResolvedImage, error) {
	k := resolutionKey{reg, ref}
	rs.mu.Lock()
	if rs.m == nil {
		rs.m = map[resolutionKey]*resolution{}
	}
	r, ok := rs.m[k]
	if !ok {
		r = &resolution{done: make(chan struct{})}
		rs.m[k] = r
	}
	rs.mu.Unlock()
	if ok {
		select {
		case <-r.done:
			if r.err == nil {
				return r.img, nil
			}
			return reg.Resolve(ctx, ref)
		case <-ctx.Done():
			return ResolvedImage{}, ctx.Err()
		}
	}
	r.img, r.err = reg.Resolve(ctx, ref)
	if r.err != nil {
		rs.mu.Lock()
		delete(rs.m, k)
		rs.mu.Unlock()
	}
	close(r.done)
	return r.img, r.err
}
