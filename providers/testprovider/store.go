package testprovider

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// Store is the backing store of the test provider: a JSON file holding the
// objects that "exist". Tests write it directly to set up many objects or
// to inject drift.
type Store struct {
	NextID  int                `json:"next_id"`
	Objects map[string]*Object `json:"objects"`
	// Fleets are the "fleet" resources, by ID.
	Fleets map[string]*Fleet `json:"fleets,omitempty"`
}

// Object is one stored object of resource type "object".
type Object struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Value  *string  `json:"value,omitempty"`
	Secret *string  `json:"secret,omitempty"`
	Size   *float64 `json:"size,omitempty"`
	// Status is "creating" while an apply is in progress, then "ready".
	Status string `json:"status"`
	// IdempotencyKey is the key of the create that made the object, as a
	// real provider keeps it in a label: not part of the state.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// ObjectType is the cty type of an "object" resource's state.
var ObjectType = cty.Object(map[string]cty.Type{
	"id":     cty.String,
	"name":   cty.String,
	"value":  cty.String,
	"secret": cty.String,
	"size":   cty.Number,
	"status": cty.String,
})

// State is the object's state as a cty value.
func (o *Object) State() cty.Value {
	str := func(p *string) cty.Value {
		if p == nil {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(*p)
	}
	size := cty.NullVal(cty.Number)
	if o.Size != nil {
		size = cty.NumberFloatVal(*o.Size)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"id":     cty.StringVal(o.ID),
		"name":   cty.StringVal(o.Name),
		"value":  str(o.Value),
		"secret": str(o.Secret),
		"size":   size,
		"status": cty.StringVal(o.Status),
	})
}

// ReadStore reads the store at path; a missing file is an empty store.
func ReadStore(path string) (*Store, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Store{Objects: map[string]*Object{}, Fleets: map[string]*Fleet{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var s Store
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if s.Objects == nil {
		s.Objects = map[string]*Object{}
	}
	if s.Fleets == nil {
		s.Fleets = map[string]*Fleet{}
	}
	return &s, nil
}

// WriteStore replaces the store at path atomically.
func WriteStore(path string, s *Store) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = writeFile(path, b)
	return err
}

// storeCache is the provider's access to its store.
//
// Without cached, every call reads the file afresh and every change is
// written back at once, so tests may edit the file between any two calls.
//
// With cached (cache_store, for benchmarks), the decoded store is kept and
// re-read only when the file's modification time or size changed, and so
// is the encoding of each object, so that a change costs a copy of the
// other objects' bytes rather than a decoding and an encoding of the whole
// store; and changes made by concurrent applies while a write is in flight
// share the next write (a group commit). Benchmarks of one call per object
// then measure the calls, not JSON. Every change is still in the file when
// its call returns. Caching is opt-in because file timestamps are coarse:
// an edit of the same size within one clock tick would go unseen, and
// drift tests must see every edit.
//
// Objects in a store held here are never modified in place (put stores a
// copy), so the pointers get returns stay valid after the lock is
// released.
type storeCache struct {
	mu     sync.Mutex
	path   string
	cached bool

	// The rest is for cached only.
	mtime time.Time
	size  int64
	store *Store  // the store, as the file (mtime, size) holds it but for the changes not yet written
	byID  []entry // store.Objects sorted by ID, with their encodings
	buf   []byte  // the last encoding, reused

	gen     uint64     // count of changes to store
	written uint64     // gen in the file
	writing bool       // a write is in flight (without mu)
	wrote   *sync.Cond // signalled when a write ends
	// The changes failLo+1..failHi were lost by the last failed write.
	failLo, failHi uint64
	failure        error
}

// entry is an object and its encoding as a member of "objects" (nil until
// encoded).
type entry struct {
	id   string
	obj  *Object
	frag []byte
}

// current returns the store; the caller holds c.mu and, when cached,
// changes it only through set.
func (c *storeCache) current() (*Store, error) {
	if !c.cached {
		return ReadStore(c.path)
	}
	if c.store != nil && (c.writing || c.written < c.gen) {
		// The file is being replaced with this store's content.
		return c.store, nil
	}
	st, err := os.Stat(c.path)
	if err == nil && c.store != nil && st.ModTime().Equal(c.mtime) && st.Size() == c.size {
		return c.store, nil
	}
	s, err := ReadStore(c.path)
	if err != nil {
		return nil, err
	}
	c.store = s
	c.byID = c.byID[:0]
	for id, o := range s.Objects {
		c.byID = append(c.byID, entry{id: id, obj: o})
	}
	slices.SortFunc(c.byID, func(a, b entry) int { return strings.Compare(a.id, b.id) })
	if st != nil {
		c.mtime, c.size = st.ModTime(), st.Size()
	} else {
		c.store = nil // missing file: nothing to cache
	}
	return s, nil
}

// set records o (nil: deletes the object of the ID) in the cached store.
func (c *storeCache) set(s *Store, id string, o *Object) {
	i, found := slices.BinarySearchFunc(c.byID, id, func(e entry, id string) int { return strings.Compare(e.id, id) })
	switch {
	case o == nil && found:
		c.byID = slices.Delete(c.byID, i, i+1)
	case o == nil:
	case found:
		c.byID[i] = entry{id: id, obj: o}
	default:
		c.byID = slices.Insert(c.byID, i, entry{id: id, obj: o})
	}
	if o == nil {
		delete(s.Objects, id)
	} else {
		s.Objects[id] = o
	}
	c.store = s
}

// get returns the stored objects of the given IDs (nil for a missing one).
// The objects must not be modified.
func (c *storeCache) get(ids ...string) ([]*Object, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.current()
	if err != nil {
		return nil, err
	}
	objs := make([]*Object, len(ids))
	for i, id := range ids {
		objs[i] = s.Objects[id]
	}
	return objs, nil
}

// put stores a copy of obj, giving obj a new ID first when it has none,
// and returns once the store with it is written.
func (c *storeCache) put(obj *Object) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.current()
	if err != nil {
		return err
	}
	if obj.ID == "" {
		s.NextID++
		obj.ID = fmt.Sprintf("o-%d", s.NextID)
	}
	o := *obj
	if old := s.Objects[o.ID]; old != nil && o.IdempotencyKey == "" {
		// The key stays with the object for its life, as a label would.
		o.IdempotencyKey = old.IdempotencyKey
	}
	if !c.cached {
		s.Objects[o.ID] = &o
		return WriteStore(c.path, s)
	}
	c.set(s, o.ID, &o)
	return c.commit()
}

// view calls fn with the store, which fn must not change or keep.
func (c *storeCache) view(fn func(s *Store)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.current()
	if err != nil {
		return err
	}
	fn(s)
	return nil
}

// remove deletes the object of the ID and returns once the store without
// it is written.
func (c *storeCache) remove(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.current()
	if err != nil {
		return err
	}
	if !c.cached {
		delete(s.Objects, id)
		return WriteStore(c.path, s)
	}
	c.set(s, id, nil)
	return c.commit()
}

// modify changes the store with fn and returns once the store is written;
// fn gets the whole store (it may change its fleets) and must not keep it.
func (c *storeCache) modify(fn func(s *Store) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.current()
	if err != nil {
		return err
	}
	if err := fn(s); err != nil {
		return err
	}
	if !c.cached {
		return WriteStore(c.path, s)
	}
	c.store = s
	return c.commit()
}

// commit waits until the change just made to the cached store is in the
// file, writing it unless a write that will hold it is in flight or
// another caller takes the turn. The caller holds c.mu.
func (c *storeCache) commit() error {
	if c.wrote == nil {
		c.wrote = sync.NewCond(&c.mu)
	}
	c.gen++
	mine := c.gen
	for c.written < mine {
		if c.writing {
			c.wrote.Wait()
			continue
		}
		target := c.gen
		data, err := c.encode(c.store)
		var st os.FileInfo
		if err == nil {
			c.writing = true
			c.mu.Unlock()
			st, err = writeFile(c.path, data)
			c.mu.Lock()
			c.writing = false
		}
		if err != nil {
			// The changes not in the file are lost: fail their calls,
			// and re-read the file next time.
			c.failLo, c.failHi, c.failure = c.written, c.gen, err
			c.written = c.gen
			c.store = nil
		} else {
			c.written = target
			c.mtime, c.size = st.ModTime(), st.Size()
		}
		c.wrote.Broadcast()
	}
	if c.failLo < mine && mine <= c.failHi {
		return c.failure
	}
	return nil
}

// encode returns what json.Marshal(s) would (the same bytes: IDs sorted),
// encoding only the objects it has not encoded before. The result is
// valid until the next call.
func (c *storeCache) encode(s *Store) ([]byte, error) {
	b := append(c.buf[:0], `{"next_id":`...)
	b = strconv.AppendInt(b, int64(s.NextID), 10)
	b = append(b, `,"objects":{`...)
	for i := range c.byID {
		e := &c.byID[i]
		if e.frag == nil {
			k, err := json.Marshal(e.id)
			if err != nil {
				return nil, err
			}
			v, err := json.Marshal(e.obj)
			if err != nil {
				return nil, err
			}
			e.frag = append(append(append(make([]byte, 0, len(k)+1+len(v)), k...), ':'), v...)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.frag...)
	}
	b = append(b, '}')
	if len(s.Fleets) > 0 {
		f, err := json.Marshal(s.Fleets)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"fleets":`...), f...)
	}
	b = append(b, '}')
	c.buf = b
	return b, nil
}

// writeFile replaces the file at path with data atomically and returns
// the new file's information.
func writeFile(path string, data []byte) (os.FileInfo, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".store-*")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (os.FileInfo, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	// The rename keeps the modification time and size: they identify the
	// content written here.
	st, err := tmp.Stat()
	if err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return st, nil
}
