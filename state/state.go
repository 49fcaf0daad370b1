// Package state holds berth's recorded state: what berth believes exists in
// the real systems. The layers around it, as in Terraform:
//
//   - state (this package): the model.
//   - state/statefile: the versioned JSON file format.
//   - state/statemgr: the state manager, which reads and writes a state in
//     a backend: lineage checks, serials, no-op detection, locking and the
//     persister that writes the state while an apply runs.
//   - state/backend: the storage contract (bytes and a lock) and the
//     registry of backends; state/backend/local is the default backend.
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
// # Serial and lineage
//
// The lineage (a UUID) identifies a state's history: it is set once by New
// and never changes. The serial counts versions of one lineage; the state
// manager, not the engine, bumps it (see package statemgr).
package state

import (
	"crypto/rand"
	"fmt"
	"iter"
	"slices"
	"time"

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
// "sensitive". When writing, any mark that means sensitive has its path
// recorded (see package statefile).
const SensitiveMark = providers.SensitiveMark

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
	// CreateKey is the idempotency key of the create that made the
	// object (see Intent): an intent left open by a killed apply whose
	// key an object of the state carries was recorded after all.
	CreateKey string
	// Canary is set while a canary rollout of the object is paused after
	// its canary phase, until it is promoted or aborted.
	Canary *Canary
}

// Canary records a canary rollout in progress: which instances run the
// new spec, with what share of the traffic, since when. berth rollout
// status reads it; berth rollout promote and abort end it.
type Canary struct {
	// Instances names the canary instances (instance names of the app).
	Instances []string `json:"instances"`
	// Weight is the canary's share of the traffic, in percent.
	Weight int `json:"weight"`
	// ImageDigest and ConfigHash are the spec the canary runs: a promote
	// carries out that spec, and a configuration that asks for another
	// one replans the canary.
	ImageDigest string `json:"image_digest,omitempty"`
	ConfigHash  string `json:"config_hash,omitempty"`
	// Started is when the canary phase completed.
	Started time.Time `json:"started"`
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
	if o.Canary != nil {
		k := *o.Canary
		k.Instances = slices.Clone(k.Instances)
		c.Canary = &k
	}
	if o.SensitivePaths != nil {
		c.SensitivePaths = make([]cty.Path, len(o.SensitivePaths))
		for i, p := range o.SensitivePaths {
			c.SensitivePaths[i] = p.Copy()
		}
	}
	return &c
}
