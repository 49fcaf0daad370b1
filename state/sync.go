package state

import (
	"sync"

	"github.com/berth-sh/berth/addrs"
)

// SyncState guards a State for the engine's parallel walk: every mutation
// goes through its methods, and Snapshot gives the Persister a consistent
// copy without stopping the walk for longer than a map copy.
//
// Objects handed to SyncState are owned by it and never modified in place
// (a change replaces the *Object), so snapshots share them safely.
type SyncState struct {
	mu sync.RWMutex
	s  *State
}

// NewSyncState wraps s, which the caller must not use directly afterwards
// (until Close).
func NewSyncState(s *State) *SyncState {
	if s == nil {
		s = New()
	}
	return &SyncState{s: s}
}

// Instance returns the object of the instance at addr, or nil. The object
// must not be modified.
func (ss *SyncState) Instance(addr addrs.Instance) *Object {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	return ss.s.Instance(addr)
}

// Resource returns a copy of the resource at addr (its own Instances map,
// sharing the immutable objects), or nil. It costs O(instances of addr),
// unlike Snapshot, which copies everything: use it in per-vertex code.
func (ss *SyncState) Resource(addr addrs.Resource) *Resource {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	r := ss.s.Resources[addr]
	if r == nil {
		return nil
	}
	c := *r
	c.Instances = make(map[addrs.InstanceKey]*Object, len(r.Instances))
	for k, o := range r.Instances {
		c.Instances[k] = o
	}
	return &c
}

// SetInstance records obj (nil removes the instance); see State.SetInstance.
func (ss *SyncState) SetInstance(addr addrs.Instance, provider string, obj *Object) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.s.SetInstance(addr, provider, obj)
}

// RemoveInstance forgets the instance at addr.
func (ss *SyncState) RemoveInstance(addr addrs.Instance) {
	ss.SetInstance(addr, "", nil)
}

// SetOutput records an output; a nil o removes it.
func (ss *SyncState) SetOutput(name string, o *Output) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.s.SetOutput(name, o)
}

// Snapshot returns a copy of the current state that later mutations do
// not affect. It copies the maps but shares the (immutable) objects, which
// costs about a millisecond for 10,000 objects: far less than encoding.
func (ss *SyncState) Snapshot() *State {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	c := ss.s.shallowCopy()
	for a, r := range c.Resources {
		nr := *r
		nr.Instances = make(map[addrs.InstanceKey]*Object, len(r.Instances))
		for k, o := range r.Instances {
			nr.Instances[k] = o
		}
		c.Resources[a] = &nr
	}
	return c
}

// Serial returns the live state's serial.
func (ss *SyncState) Serial() uint64 {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	return ss.s.Serial
}

// SetSerial records the serial the state manager assigned on write, so
// the live state (and plans made from it) carry it.
func (ss *SyncState) SetSerial(serial uint64) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if serial > ss.s.Serial {
		ss.s.Serial = serial
	}
}

// Close returns the wrapped state; the SyncState must not be used after.
func (ss *SyncState) Close() *State {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.s
	ss.s = nil
	return s
}

// SetCanary records c as the canary rollout in progress of the instance
// at addr (nil: none); an instance not recorded is left alone.
func (ss *SyncState) SetCanary(addr addrs.Instance, c *Canary) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r := ss.s.Resources[addr.Resource]
	if r == nil || r.Instances[addr.Key] == nil {
		return
	}
	o := *r.Instances[addr.Key] // objects are immutable: record a copy
	o.Canary = c
	r.Instances[addr.Key] = &o
}
