package testprovider

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	tmp, err := os.CreateTemp(filepath.Dir(path), ".store-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// storeCache reads the store for each call, or, when cached is set,
// re-reads it only when its modification time or size changed: a
// benchmark of one call per object then measures the calls rather than
// JSON parsing. The cache is opt-in because file timestamps are coarse: an
// edit of the same size within one clock tick would go unseen, and drift
// tests must see every edit.
type storeCache struct {
	mu     sync.Mutex
	path   string
	cached bool
	mtime  time.Time
	size   int64
	store  *Store
}

// load returns the store; callers must not modify it (use clone).
func (c *storeCache) load() (*Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
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
	c.store = s
	if st != nil {
		c.mtime, c.size = st.ModTime(), st.Size()
	} else {
		c.store = nil // missing file: nothing to cache
	}
	return s, nil
}

// update applies f to a fresh copy of the store and writes it back.
func (c *storeCache) update(f func(*Store) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := ReadStore(c.path)
	if err != nil {
		return err
	}
	if err := f(s); err != nil {
		return err
	}
	c.store = nil
	return WriteStore(c.path, s)
}
