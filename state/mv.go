package state

import (
	"fmt"
	"slices"

	"github.com/berth-sh/berth/addrs"
)

// The operations of `berth state list|rm|mv` on addresses as a user writes
// them. An address without a key ("app.web") names the whole resource
// when the state records one, whatever its instances' keys, as in
// Terraform; with a key ("app.web[0]") it names one instance.

// Select returns, in address order, the instances addr names: every
// instance of the resource for an address without a key, the one instance
// otherwise. It is empty when nothing recorded matches.
func (s *State) Select(addr addrs.Instance) []addrs.Instance {
	if s == nil {
		return nil
	}
	r := s.Resources[addr.Resource]
	if r == nil {
		return nil
	}
	if addr.Key != nil {
		if _, ok := r.Instances[addr.Key]; !ok {
			return nil
		}
		return []addrs.Instance{addr}
	}
	keys := r.SortedKeys()
	out := make([]addrs.Instance, len(keys))
	for i, k := range keys {
		out[i] = r.Addr.Instance(k)
	}
	return out
}

// Addresses returns the address of every resource and every instance
// recorded, in order: the candidates for "did you mean" suggestions.
func (s *State) Addresses() []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, r := range s.SortedResources() {
		out = append(out, r.Addr.String())
		for _, k := range r.SortedKeys() {
			if k != nil {
				out = append(out, r.Addr.Instance(k).String())
			}
		}
	}
	return out
}

// Remove forgets what addr names (see Select) and returns the instances
// removed; nothing recorded there is an error. Their deposed objects stay:
// see RemoveDeposedAt.
func (s *State) Remove(addr addrs.Instance) ([]addrs.Instance, error) {
	removed := s.Select(addr)
	if len(removed) == 0 {
		return nil, fmt.Errorf("no object is recorded at %s", addr)
	}
	for _, a := range removed {
		s.RemoveInstance(a)
	}
	return removed, nil
}

// namesDeposed says whether addr names d: d's instance, or (an address
// without a key) its resource. Also when the instance itself is gone.
func namesDeposed(addr addrs.Instance, d *Deposed) bool {
	return d.Addr == addr || addr.Key == nil && d.Addr.Resource == addr.Resource
}

// DeposedAt returns the deposed objects that addr names.
func (s *State) DeposedAt(addr addrs.Instance) []*Deposed {
	var out []*Deposed
	for _, d := range s.Deposed {
		if namesDeposed(addr, d) {
			out = append(out, d)
		}
	}
	return out
}

// RemoveDeposedAt forgets the deposed objects that addr names, and returns
// them.
func (s *State) RemoveDeposedAt(addr addrs.Instance) []*Deposed {
	out := s.DeposedAt(addr)
	s.Deposed = slices.DeleteFunc(s.Deposed, func(d *Deposed) bool { return namesDeposed(addr, d) })
	return out
}

// moveDeposed gives the deposed objects of the moved instances their new
// addresses.
func (s *State) moveDeposed(moved []Moved) {
	for _, m := range moved {
		for i, d := range s.Deposed {
			if d.Addr == m.From {
				c := *d
				c.Addr = m.To
				s.Deposed[i] = &c
			}
		}
	}
	s.sortDeposed()
}

// Moved is one instance given a new address by Move.
type Moved struct {
	From, To addrs.Instance
}

// Move gives what from names a new address (`berth state mv`) and returns
// the instances moved:
//
//   - a resource to a resource (both without a key): every instance keeps
//     its key; an existing resource at to is an error, so two resources
//     are never merged by accident;
//   - an instance to an instance; a resource address whose only instance
//     has no key counts as that instance, so `a` -> `b[0]` works for a
//     resource without count.
//
// The objects keep their provider. Moving across resource types or
// between a managed resource and a data source is refused: the object's
// attributes belong to its type's schema. On error s is unchanged.
func (s *State) Move(from, to addrs.Instance) ([]Moved, error) {
	if from.Resource.Mode != to.Resource.Mode {
		return nil, fmt.Errorf("cannot move %s to %s: one is a data source and the other a managed resource", from, to)
	}
	if from.Resource.Type != to.Resource.Type {
		return nil, fmt.Errorf("cannot move %s to %s: the resource types differ (%s, %s); an object belongs to its type's schema", from, to, from.Resource.Type, to.Resource.Type)
	}
	if from == to {
		return nil, fmt.Errorf("cannot move %s onto itself", from)
	}
	src := s.Resource(from.Resource)
	if src == nil {
		return nil, fmt.Errorf("no object is recorded at %s", from)
	}

	if from.Key == nil && to.Key == nil {
		if dst := s.Resource(to.Resource); dst != nil {
			return nil, fmt.Errorf("cannot move %s to %s: %s already exists in the state with %d instance(s)", from, to, to, len(dst.Instances))
		}
		var moved []Moved
		for _, k := range src.SortedKeys() {
			moved = append(moved, Moved{From: from.Resource.Instance(k), To: to.Resource.Instance(k)})
		}
		delete(s.Resources, from.Resource)
		src.Addr = to.Resource
		s.Resources[to.Resource] = src
		s.moveDeposed(moved)
		return moved, nil
	}

	if from.Key == nil {
		if _, ok := src.Instances[nil]; !ok || len(src.Instances) != 1 {
			return nil, fmt.Errorf("cannot move %s to the instance %s: %s has %d instances; move them one by one (%s) or move the whole resource to a resource address", from, to, from, len(src.Instances), src.Addr.Instance(src.SortedKeys()[0]))
		}
	}
	// To a key-less address: the resource must not hold other objects (its
	// own only instance may lose its key: `a[0]` -> `a`).
	if dst := s.Resource(to.Resource); to.Key == nil && dst != nil && (dst != src || len(src.Instances) != 1) {
		return nil, fmt.Errorf("cannot move %s to %s: %s already exists in the state", from, to, to.Resource)
	}
	if err := s.MoveInstance(from, to); err != nil {
		return nil, err
	}
	moved := []Moved{{From: from, To: to}}
	s.moveDeposed(moved)
	return moved, nil
}
