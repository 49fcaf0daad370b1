package state

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/berth-sh/berth/addrs"
)

// Deposed is an object an instance no longer is but that still exists:
// the previous object of a create_before_destroy replacement whose destroy
// failed or was interrupted. The state keeps it, so that nothing is lost
// from sight, and the next plan destroys it (as Terraform's deposed
// objects).
type Deposed struct {
	Addr addrs.Instance
	// Key tells apart the deposed objects of one instance.
	Key      string
	Provider string
	Object   *Object
}

// NewDeposedKey returns a random key for a deposed object.
func NewDeposedKey() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// NewIntentKey returns a random key for an intent (state.Intent): the
// idempotency key of a create, unique to the operation.
func NewIntentKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// AddDeposed records d. The state keeps d itself.
func (s *State) AddDeposed(d *Deposed) {
	s.Deposed = append(s.Deposed, d)
	s.sortDeposed()
}

// RemoveDeposed forgets the deposed object key of the instance at addr.
func (s *State) RemoveDeposed(addr addrs.Instance, key string) {
	s.Deposed = slices.DeleteFunc(s.Deposed, func(d *Deposed) bool { return d.Addr == addr && d.Key == key })
}

// sortDeposed keeps deposed objects in address then key order, so that a
// state always encodes to the same bytes.
func (s *State) sortDeposed() {
	slices.SortFunc(s.Deposed, func(a, b *Deposed) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// AddDeposed records d; see State.AddDeposed.
func (ss *SyncState) AddDeposed(d *Deposed) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.s.AddDeposed(d)
}

// RemoveDeposed forgets a deposed object; see State.RemoveDeposed.
func (ss *SyncState) RemoveDeposed(addr addrs.Instance, key string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.s.RemoveDeposed(addr, key)
}

// Deposed returns the deposed object key of the instance at addr, or nil.
// The object must not be modified.
func (ss *SyncState) Deposed(addr addrs.Instance, key string) *Deposed {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	for _, d := range ss.s.Deposed {
		if d.Addr == addr && d.Key == key {
			return d
		}
	}
	return nil
}

// DeposeInstance makes the current object of addr a deposed object, in one
// step (no snapshot sees it twice, or not at all), and returns its key; ""
// when addr has no object. A create_before_destroy replacement deposes
// the previous object before it makes the new one, so that a kill at any
// moment leaves it recorded.
func (ss *SyncState) DeposeInstance(addr addrs.Instance, provider string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	r := ss.s.Resources[addr.Resource]
	if r == nil || r.Instances[addr.Key] == nil {
		return ""
	}
	obj := r.Instances[addr.Key]
	key := NewDeposedKey()
	ss.s.SetInstance(addr, "", nil)
	ss.s.AddDeposed(&Deposed{Addr: addr, Key: key, Provider: provider, Object: obj})
	return key
}

// RestoreDeposed makes the deposed object key of addr its current object
// again, in one step: a replacement that made nothing.
func (ss *SyncState) RestoreDeposed(addr addrs.Instance, key string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, d := range ss.s.Deposed {
		if d.Addr == addr && d.Key == key {
			ss.s.RemoveDeposed(addr, key)
			ss.s.SetInstance(addr, d.Provider, d.Object)
			return
		}
	}
}
