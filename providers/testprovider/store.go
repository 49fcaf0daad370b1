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
		return &Store{Objects: map[string]*Object{}}, nil
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
// re-read only when the file's modification time or size changed, and the
// encoding of each object is kept too, so that a change costs a copy of
// the other objects' bytes rather than a decoding and an encoding of the
// whole store: benchmarks of one call per object then measure the calls,
// not JSON. Caching is opt-in because file timestamps are coarse: an edit
// of the same size within one clock tick would go unseen, and drift tests
// must see every edit.
//
// Objects in a store held here are never modified in place (put stores a
// copy), so the pointers get returns stay valid after the lock is
// released, and an encoding cached by pointer stays right.
type storeCache struct {
	mu     sync.Mutex
	path   string
	cached bool
	mtime  time.Time
	size   int64
	store  *Store // cached: the store as the file (mtime, size) holds it

	ids   []string           // cached: the store's IDs, sorted
	frags map[*Object][]byte // cached: the JSON encoding of each object
	buf   []byte             // the last encoding, reused
}

// current returns the store as on disk. The caller holds c.mu and may
// modify the store only through put and remove.
func (c *storeCache) current() (*Store, error) {
	if !c.cached {
		return ReadStore(c.path)
	}
	st, err := os.Stat(c.path)
	if err == nil && c.store != nil && st.ModTime().Equal(c.mtime) && st.Size() == c.size {
		return c.store, nil
	}
	s, err := ReadStore(c.path)
	if err != nil {
		return nil, err
	}
	c.store, c.frags = s, map[*Object][]byte{}
	c.ids = c.ids[:0]
	for id := range s.Objects {
		c.ids = append(c.ids, id)
	}
	slices.Sort(c.ids)
	if st != nil {
		c.mtime, c.size = st.ModTime(), st.Size()
	} else {
		c.store = nil // missing file: nothing to cache
	}
	return s, nil
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
// and writes the store.
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
	if _, ok := s.Objects[o.ID]; !ok && c.cached {
		c.ids = insertSorted(c.ids, o.ID)
	}
	s.Objects[o.ID] = &o
	return c.write(s)
}

// remove deletes the object of the ID and writes the store.
func (c *storeCache) remove(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.current()
	if err != nil {
		return err
	}
	if _, ok := s.Objects[id]; ok && c.cached {
		if i, found := slices.BinarySearch(c.ids, id); found {
			c.ids = slices.Delete(c.ids, i, i+1)
		}
	}
	delete(s.Objects, id)
	return c.write(s)
}

func insertSorted(ids []string, id string) []string {
	i, _ := slices.BinarySearch(ids, id)
	return slices.Insert(ids, i, id)
}

// write replaces the file with s. When cached, s is c's store; a failed
// write drops it, so that the next call re-reads the file.
func (c *storeCache) write(s *Store) error {
	if !c.cached {
		return WriteStore(c.path, s)
	}
	data, err := c.encode(s)
	if err == nil {
		var st os.FileInfo
		st, err = writeFile(c.path, data)
		if err == nil {
			c.store, c.mtime, c.size = s, st.ModTime(), st.Size()
			return nil
		}
	}
	c.store = nil
	return err
}

// encode returns what json.Marshal(s) would (the same bytes: IDs sorted),
// encoding only the objects it has not encoded before.
func (c *storeCache) encode(s *Store) ([]byte, error) {
	b := append(c.buf[:0], `{"next_id":`...)
	b = strconv.AppendInt(b, int64(s.NextID), 10)
	b = append(b, `,"objects":{`...)
	next := make(map[*Object][]byte, len(s.Objects))
	for i, id := range c.ids {
		o := s.Objects[id]
		frag, ok := c.frags[o]
		if !ok {
			var err error
			if frag, err = json.Marshal(o); err != nil {
				return nil, err
			}
		}
		next[o] = frag
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(id)
		if err != nil {
			return nil, err
		}
		b = append(b, k...)
		b = append(b, ':')
		b = append(b, frag...)
	}
	b = append(b, "}}"...)
	c.frags, c.buf = next, b
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
