// Package state holds berth's recorded state: what berth believes exists in
// the real systems, the file format it is persisted in, the backends that
// store it, locking, and the machinery that persists it during an apply.
//
// # Model
//
// A State holds resources by address (addrs.Resource); each Resource holds
// its instance objects by instance key. Objects are treated as immutable
// values once stored in a SyncState: a change replaces the *Object, which is
// what makes cheap snapshots for background persistence possible.
//
// Sensitive values are stored in the state in clear (as Terraform does:
// the provider needs them to plan) but their paths are listed in the file
// (sensitive_paths) and their cty marks (SensitiveMark) are restored when
// the state is read, so every renderer redacts them. The file is written
// with mode 0600 for that reason.
//
// # File format
//
// Versioned JSON (format_version 1), described at Encode. Each object
// carries its cty type (attributes_type), so a state decodes without any
// provider's schema (state show, plan files, drift reports). Resources and
// instances are sorted, so equal states encode to equal bytes. Values are
// encoded and decoded by this package's own cty JSON codec, byte-for-byte
// compatible with cty/json but several times faster: a 10,000-object state
// is written or read in a few tens of milliseconds.
//
// # Backends and locking
//
// A Backend reads, writes and locks one state. Local, the default, keeps
// berth.state in the working directory, writes it atomically, keeps the
// state from before the run in berth.state.backup, refuses (and never
// overwrites) a file it cannot read, and locks with berth.state.lock. Lock
// (the function) waits for a lock with a timeout (-lock-timeout); a
// *LockError names the holder and says when it is a dead process.
//
// # Serial and lineage
//
// The lineage (a UUID) identifies a state's history: it is set once by New
// and never changes. The serial counts versions of one lineage; the backend,
// not the engine, bumps it: Write increments it when, and only when, the
// content differs from what the backend last wrote or read (so a no-op
// apply leaves the serial alone, and a saved plan bound to a serial is
// refused as soon as anything was written since).
//
// # Persisting during apply
//
// The engine records every changed object into a SyncState and calls
// Persister.Changed; the Persister writes snapshots in the background,
// one at a time, coalescing the changes made meanwhile. Writes are paced
// so that persisting costs a bounded share of an apply whatever the
// state's size: after a write that took d, the next one starts no sooner
// than max(3·d, 10ms) after it ended. Persister.Flush writes at once and
// waits until everything reported is written (at the end of an apply and
// on interrupt).
//
// The guarantee: every change reported is in a write that starts after
// it, no later than max(3·d, 10ms) after the end of the write in flight
// when it was made (d that write's duration, or the last one's); the
// change is therefore on disk within about 4·d plus the duration of its
// own write, about 5·d, of being made (10ms + 2·d for a small state), and
// always once Flush has returned without error.
//
// A write re-encodes only the objects that changed since the previous
// one: Local caches each object's encoding by *Object, which is sound
// because objects in a SyncState are never modified in place (a change
// replaces the *Object). So the cost of a write is a copy of the other
// objects' bytes and the disk write, not an encoding of every value; with
// the pacing, persisting an apply of N objects costs O(N) encoding and at
// most a quarter of the apply's wall time, instead of O(N²).
package state

import (
	"crypto/rand"
	"fmt"
	"iter"
	"reflect"
	"slices"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/version"
	"github.com/zclconf/go-cty/cty"
)

// FormatVersion is the version of the state file format this build writes
// and the only one it reads.
const FormatVersion = 1

// SensitiveMark is the cty mark the state restores on sensitive values
// when reading: providers.SensitiveMark, berth's one definition of
// "sensitive". When writing, any mark that means sensitive (see
// isSensitiveMark) has its path recorded.
const SensitiveMark = providers.SensitiveMark

// isSensitiveMark reports whether m flags a sensitive value: SensitiveMark,
// or any other mark whose underlying type is a string "sensitive" (a
// layer's own constant, like lang's), so no sensitive value is ever written
// without its path being listed.
func isSensitiveMark(m any) bool {
	if m == any(SensitiveMark) {
		return true
	}
	rv := reflect.ValueOf(m)
	return rv.Kind() == reflect.String && rv.String() == "sensitive"
}

func hasSensitiveMark(marks cty.ValueMarks) bool {
	for m := range marks {
		if isSensitiveMark(m) {
			return true
		}
	}
	return false
}

// ObjectStatus says whether an object is usable.
type ObjectStatus uint8

// Object statuses.
const (
	// ObjectReady is an object that was created (or updated) successfully.
	ObjectReady ObjectStatus = iota
	// ObjectTainted is an object whose create failed part way, or that the
	// user marked for replacement: the next plan replaces it.
	ObjectTainted
)

// String returns the status as written in the state file.
func (s ObjectStatus) String() string {
	if s == ObjectTainted {
		return "tainted"
	}
	return "ready"
}

// State is the whole recorded state.
type State struct {
	// FormatVersion is the file format version the state was read from
	// (FormatVersion for a new state); writes always use FormatVersion.
	FormatVersion int
	// BerthVersion is the version of berth that last wrote the state.
	BerthVersion string
	// Serial counts the versions of this lineage; see the package doc.
	Serial uint64
	// Lineage identifies the state's history (a UUID).
	Lineage string
	// Resources by address. Use SortedResources for a stable order.
	Resources map[addrs.Resource]*Resource
	// Outputs by name.
	Outputs map[string]*Output
	// Deposed lists the objects instances no longer are that still exist
	// (see Deposed), in address and key order.
	Deposed []*Deposed
}

// Resource is the recorded state of one resource block.
type Resource struct {
	Addr addrs.Resource
	// Provider is the local name of the provider that manages the
	// resource ("docker", "kubernetes", "aws", "acmedns").
	Provider string
	// Instances by key (addrs.NoKey, an IntKey or a StringKey).
	Instances map[addrs.InstanceKey]*Object
}

// Object is the recorded state of one instance.
type Object struct {
	// Value is the object's attributes, wholly known, with SensitiveMark on
	// the sensitive parts when read from a file.
	Value cty.Value
	// SchemaVersion is the version of the provider's schema the value
	// conforms to, for upgrades.
	SchemaVersion uint64
	// SensitivePaths lists the paths of sensitive attributes. Writing
	// records the union of these and the paths marked with SensitiveMark.
	SensitivePaths []cty.Path
	// Private is the provider's opaque data for the object.
	Private []byte
	// Dependencies are the resources this object depended on when it was
	// last applied, so it can be destroyed in the right order after its
	// configuration is gone.
	Dependencies []addrs.Resource
	Status       ObjectStatus
}

// Output is the recorded value of a root output.
type Output struct {
	Value     cty.Value
	Sensitive bool
}

// New returns an empty state with a fresh lineage.
func New() *State {
	return &State{
		FormatVersion: FormatVersion,
		BerthVersion:  version.String(),
		Lineage:       NewLineage(),
		Resources:     map[addrs.Resource]*Resource{},
		Outputs:       map[string]*Output{},
	}
}

// NewLineage returns a random (version 4) UUID.
func NewLineage() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Empty reports whether the state records no resources and no outputs.
func (s *State) Empty() bool {
	return s == nil || (len(s.Resources) == 0 && len(s.Outputs) == 0 && len(s.Deposed) == 0)
}

// Resource returns the resource at addr, or nil.
func (s *State) Resource(addr addrs.Resource) *Resource {
	return s.Resources[addr]
}

// Instance returns the object of the instance at addr, or nil.
func (s *State) Instance(addr addrs.Instance) *Object {
	r := s.Resources[addr.Resource]
	if r == nil {
		return nil
	}
	return r.Instances[addr.Key]
}

// SetInstance records obj as the object of the instance at addr, managed by
// provider, creating the resource if needed. A nil obj removes the instance.
// The state keeps obj itself: callers must not modify it afterwards.
func (s *State) SetInstance(addr addrs.Instance, provider string, obj *Object) {
	if obj == nil {
		s.RemoveInstance(addr)
		return
	}
	if s.Resources == nil {
		s.Resources = map[addrs.Resource]*Resource{}
	}
	r := s.Resources[addr.Resource]
	if r == nil {
		r = &Resource{Addr: addr.Resource, Instances: map[addrs.InstanceKey]*Object{}}
		s.Resources[addr.Resource] = r
	}
	if provider != "" {
		r.Provider = provider
	}
	r.Instances[addr.Key] = obj
}

// RemoveInstance forgets the instance at addr, and its resource when that
// was its last instance.
func (s *State) RemoveInstance(addr addrs.Instance) {
	r := s.Resources[addr.Resource]
	if r == nil {
		return
	}
	delete(r.Instances, addr.Key)
	if len(r.Instances) == 0 {
		delete(s.Resources, addr.Resource)
	}
}

// RemoveResource forgets a resource and all its instances.
func (s *State) RemoveResource(addr addrs.Resource) {
	delete(s.Resources, addr)
}

// MoveInstance gives the object at from the address to (`berth state mv`).
// Moving onto an existing instance, or from a missing one, is an error.
// The object keeps the provider of its old resource.
func (s *State) MoveInstance(from, to addrs.Instance) error {
	obj := s.Instance(from)
	if obj == nil {
		return fmt.Errorf("no object is recorded at %s", from)
	}
	if s.Instance(to) != nil {
		return fmt.Errorf("an object is already recorded at %s", to)
	}
	if from.Resource.Mode != to.Resource.Mode {
		return fmt.Errorf("cannot move %s to %s: one is a data source", from, to)
	}
	provider := s.Resources[from.Resource].Provider
	s.RemoveInstance(from)
	s.SetInstance(to, provider, obj)
	return nil
}

// SetOutput records an output; a nil o removes it.
func (s *State) SetOutput(name string, o *Output) {
	if o == nil {
		delete(s.Outputs, name)
		return
	}
	if s.Outputs == nil {
		s.Outputs = map[string]*Output{}
	}
	s.Outputs[name] = o
}

// SortedResources returns the resources in address order (addrs.Resource.Less).
func (s *State) SortedResources() []*Resource {
	rs := make([]*Resource, 0, len(s.Resources))
	for _, r := range s.Resources {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *Resource) int { return a.Addr.Compare(b.Addr) })
	return rs
}

// SortedKeys returns the resource's instance keys in order (addrs.KeyLess).
func (r *Resource) SortedKeys() []addrs.InstanceKey {
	keys := make([]addrs.InstanceKey, 0, len(r.Instances))
	for k := range r.Instances {
		keys = append(keys, k)
	}
	if len(keys) > 1 {
		slices.SortFunc(keys, addrs.CompareKeys)
	}
	return keys
}

// AllInstances iterates over every instance object in address order.
func (s *State) AllInstances() iter.Seq2[addrs.Instance, *Object] {
	return func(yield func(addrs.Instance, *Object) bool) {
		for _, r := range s.SortedResources() {
			for _, k := range r.SortedKeys() {
				if !yield(r.Addr.Instance(k), r.Instances[k]) {
					return
				}
			}
		}
	}
}

// InstanceCount returns the number of instance objects.
func (s *State) InstanceCount() int {
	n := 0
	for _, r := range s.Resources {
		n += len(r.Instances)
	}
	return n
}

// DeepCopy returns a copy of s that shares nothing mutable with it (cty
// values are immutable and are shared).
func (s *State) DeepCopy() *State {
	if s == nil {
		return nil
	}
	c := s.shallowCopy()
	for a, r := range c.Resources {
		nr := &Resource{Addr: r.Addr, Provider: r.Provider, Instances: make(map[addrs.InstanceKey]*Object, len(r.Instances))}
		for k, o := range r.Instances {
			nr.Instances[k] = o.DeepCopy()
		}
		c.Resources[a] = nr
	}
	for n, o := range c.Outputs {
		oc := *o
		c.Outputs[n] = &oc
	}
	for i, d := range c.Deposed {
		dc := *d
		dc.Object = d.Object.DeepCopy()
		c.Deposed[i] = &dc
	}
	return c
}

// shallowCopy copies the maps of s (so the copy can be changed and
// iterated independently) but shares the Resources and Objects.
func (s *State) shallowCopy() *State {
	c := *s
	c.Resources = make(map[addrs.Resource]*Resource, len(s.Resources))
	for a, r := range s.Resources {
		c.Resources[a] = r
	}
	c.Outputs = make(map[string]*Output, len(s.Outputs))
	for n, o := range s.Outputs {
		c.Outputs[n] = o
	}
	c.Deposed = slices.Clone(s.Deposed)
	return &c
}

// DeepCopy returns a copy of o that shares no slices with it.
func (o *Object) DeepCopy() *Object {
	if o == nil {
		return nil
	}
	c := *o
	c.Private = slices.Clone(o.Private)
	c.Dependencies = slices.Clone(o.Dependencies)
	if o.SensitivePaths != nil {
		c.SensitivePaths = make([]cty.Path, len(o.SensitivePaths))
		for i, p := range o.SensitivePaths {
			c.SensitivePaths[i] = p.Copy()
		}
	}
	return &c
}
