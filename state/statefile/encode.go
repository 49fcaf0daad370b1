// Package statefile is the state file format: versioned JSON
// (format_version 1), described at Encode. Each object carries its cty
// type (attributes_type), so a state decodes without any provider's schema
// (state show, plan files, drift reports). Resources and instances are
// sorted, so equal states encode to equal bytes. Values are encoded and
// decoded by this package's own cty JSON codec, byte-for-byte compatible
// with cty/json but several times faster: a 10,000-object state is
// written or read in a few tens of milliseconds.
package statefile

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/berth-sh/berth/version"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// The state file is JSON:
//
//	{
//	  "format_version": 1,
//	  "berth_version": "0.1.0-dev",
//	  "serial": 3,
//	  "lineage": "8a0c…",
//	  "resources": [
//	    {"mode": "managed", "kind": "app", "type": "app", "name": "web", "provider": "docker",
//	     "instances": [
//	       {"index_key": 0, "schema_version": 1, "status": "ready",
//	        "attributes": {…cty JSON…}, "attributes_type": …cty type JSON…,
//	        "sensitive_paths": [[{"type": "get_attr", "value": "password"}]],
//	        "private": "base64…", "dependencies": ["cluster_thing.x"]}]}
//	  ],
//	  "outputs": {"url": {"value": "http://…", "type": "string", "sensitive": false}},
//	  "deposed": [{"address": "app.web", "deposed_key": "1a2b3c4d", "provider": "docker",
//	               "schema_version": 1, "status": "ready", "attributes": …, …}]
//	}
//
// "deposed" (see state.Deposed) is written only when there are deposed
// objects.
//
// Resources are sorted by address and instances by key, so that the same
// state always encodes to the same bytes: the state manager compares
// encodings to decide whether to bump the serial. attributes_type makes the
// file decodable without the provider's schema (state show, plan files).

// Encode returns the state file encoding of s. Values must be wholly known.
// Encode writes s.Serial as is: serials are the state manager's business
// (package statemgr).
func Encode(s *state.State) ([]byte, error) {
	e := encoder{}
	body, err := e.body(s)
	if err != nil {
		return nil, err
	}
	return Assemble(s.Serial, s.Lineage, body), nil
}

// Assemble puts the header (format version, berth version, serial and
// lineage) in front of a body made by an Encoder, making a state file.
// The serial is kept out of the body so that comparing bodies tells
// whether two states' contents are the same.
func Assemble(serial uint64, lineage string, body []byte) []byte {
	b := make([]byte, 0, len(body)+160)
	b = append(b, "{\n  \"format_version\": "...)
	b = strconv.AppendInt(b, state.FormatVersion, 10)
	b = append(b, ",\n  \"berth_version\": "...)
	b = appendString(b, version.String())
	b = append(b, ",\n  \"serial\": "...)
	b = strconv.AppendUint(b, serial, 10)
	b = append(b, ",\n  \"lineage\": "...)
	b = appendString(b, lineage)
	b = append(b, ",\n"...)
	b = append(b, body...)
	return b
}

// BodyOf returns the body of a state file, as an Encoder makes it, or nil
// when the file is not laid out as this package writes it. The body of a
// file this package wrote compares equal to a fresh encoding of the same
// content; a file from elsewhere (an older berth, a hand edit) merely
// compares unequal.
func BodyOf(data []byte) []byte {
	if i := bytes.Index(data, []byte("\n  \"resources\": [")); i >= 0 {
		return data[i+1:]
	}
	return nil
}

// Encoder encodes the successive versions of one state, as a state
// manager writes them: bodies only (see Assemble), and, for snapshots,
// re-encoding only the objects that changed since the last one.
type Encoder struct {
	// frags holds the encodings of the objects of the last snapshot
	// encoded.
	frags fragmentCache
}

// Body encodes s without its header. sizeHint is the body's expected size
// (0: guess from the state).
func (e *Encoder) Body(s *state.State, sizeHint int) ([]byte, error) {
	enc := encoder{sizeHint: sizeHint}
	return enc.body(s)
}

// SnapshotBody is Body for a state whose objects are never modified in
// place, such as a state.SyncState snapshot: an *Object then stands for
// its content, and the encoding of each object seen in the previous
// snapshot is copied rather than encoded again. Rewriting a state of N
// objects after each of a few changes then costs a copy of the bytes, not
// an encoding of every value. A state whose owner may modify its objects
// in place must go through Body.
func (e *Encoder) SnapshotBody(s *state.State, sizeHint int) ([]byte, error) {
	enc := encoder{sizeHint: sizeHint, frags: &e.frags}
	return enc.body(s)
}

type encoder struct {
	values valueEncoder
	// The last type encoded and its JSON: consecutive instances nearly
	// always share a type, and encoding a type is as costly as a value.
	lastType     cty.Type
	lastTypeJSON []byte
	// frags, when set, reuses the encodings of objects already encoded.
	frags *fragmentCache
	// sizeHint is the expected size of the body (0: guess from the state).
	sizeHint int
}

// fragmentCache holds the encoding of each object of the last snapshot
// encoded, keyed by *Object: during an apply the state is rewritten many
// times while only a few objects change between writes, and objects
// stored in a SyncState are never modified in place (a change replaces
// the *Object), so a pointer seen before stands for the same bytes. A
// write then encodes only the changed objects and copies the rest.
//
// The fragment is everything after the index key (so a moved object
// still hits). It is pruned to the objects of the last state encoded, so
// it holds one state's worth of bytes, and a replaced object's entry goes
// with it.
type fragmentCache struct {
	cur  map[*state.Object][]byte // the last state's objects
	next map[*state.Object][]byte // being filled by the encoding in progress
}

// begin starts an encoding.
func (c *fragmentCache) begin() {
	if c.next == nil {
		c.next = map[*state.Object][]byte{}
	}
	clear(c.next)
}

// commit ends a successful encoding: what it used becomes the cache.
func (c *fragmentCache) commit() {
	c.cur, c.next = c.next, c.cur
	if c.next != nil {
		clear(c.next) // drop the references to pruned objects now
	}
}

func (e *encoder) typeJSON(ty cty.Type) ([]byte, error) {
	if e.lastTypeJSON != nil && ty.Equals(e.lastType) {
		return e.lastTypeJSON, nil
	}
	j, err := ctyjson.MarshalType(ty)
	if err != nil {
		return nil, err
	}
	e.lastType, e.lastTypeJSON = ty, j
	return j, nil
}

// body encodes everything after the header, up to the closing brace.
func (e *encoder) body(s *state.State) ([]byte, error) {
	size := e.sizeHint + e.sizeHint/8
	if size == 0 {
		size = 640*s.InstanceCount() + 64
	}
	b := make([]byte, 0, size)
	if e.frags != nil {
		e.frags.begin()
	}
	b = append(b, "  \"resources\": ["...)
	for i, r := range s.SortedResources() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    {\"mode\": "...)
		b = appendString(b, r.Addr.Mode.String())
		b = append(b, ", \"kind\": "...)
		b = appendString(b, r.Addr.Kind())
		b = append(b, ", \"type\": "...)
		b = appendString(b, r.Addr.Type)
		b = append(b, ", \"name\": "...)
		b = appendString(b, r.Addr.Name)
		b = append(b, ", \"provider\": "...)
		b = appendString(b, r.Provider)
		b = append(b, ", \"instances\": ["...)
		for j, k := range r.SortedKeys() {
			if j > 0 {
				b = append(b, ',')
			}
			var err error
			b, err = e.instance(b, r.Instances[k], k)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.Addr.Instance(k), err)
			}
		}
		b = append(b, "]}"...)
	}
	if len(s.Resources) > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "],\n  \"outputs\": {"...)
	names := make([]string, 0, len(s.Outputs))
	for n := range s.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		o := s.Outputs[n]
		ty := o.Value.Type()
		e.values.sensitive = e.values.sensitive[:0]
		val, err := e.values.marshal(nil, o.Value, ty)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", n, err)
		}
		// An output is sensitive as a whole: any sensitive part makes it so.
		sensitive := o.Sensitive || len(e.values.sensitive) > 0
		tj, err := ctyjson.MarshalType(ty)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", n, err)
		}
		b = append(b, "\n    "...)
		b = appendString(b, n)
		b = append(b, ": {\"value\": "...)
		b = append(b, val...)
		b = append(b, ", \"type\": "...)
		b = append(b, tj...)
		b = append(b, ", \"sensitive\": "...)
		b = strconv.AppendBool(b, sensitive)
		b = append(b, '}')
	}
	if len(names) > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, '}')
	if len(s.Deposed) > 0 {
		// Only when there are some: most states never have any, and their
		// encoding stays as it was.
		b = append(b, ",\n  \"deposed\": ["...)
		for i, d := range s.Deposed {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n    {\"address\": "...)
			b = appendString(b, d.Addr.String())
			b = append(b, ", \"deposed_key\": "...)
			b = appendString(b, d.Key)
			b = append(b, ", \"provider\": "...)
			b = appendString(b, d.Provider)
			var err error
			if b, err = e.object(b, d.Object); err != nil {
				return nil, fmt.Errorf("%s (deposed %s): %w", d.Addr, d.Key, err)
			}
		}
		b = append(b, "\n  ]"...)
	}
	b = append(b, "\n}\n"...)
	if e.frags != nil {
		e.frags.commit()
	}
	return b, nil
}

func (e *encoder) instance(b []byte, o *state.Object, key addrs.InstanceKey) ([]byte, error) {
	b = append(b, "\n      {\"index_key\": "...)
	switch k := key.(type) {
	case nil:
		b = append(b, "null"...)
	case addrs.IntKey:
		b = strconv.AppendInt(b, int64(k), 10)
	case addrs.StringKey:
		b = appendString(b, string(k))
	}
	if e.frags == nil {
		return e.object(b, o)
	}
	if frag, ok := e.frags.cur[o]; ok {
		e.frags.next[o] = frag
		return append(b, frag...), nil
	}
	start := len(b)
	b, err := e.object(b, o)
	if err != nil {
		return nil, err
	}
	e.frags.next[o] = slices.Clone(b[start:])
	return b, nil
}

// object encodes the members of an instance after its index key, up to
// its closing brace.
func (e *encoder) object(b []byte, o *state.Object) ([]byte, error) {
	b = append(b, ", \"schema_version\": "...)
	b = strconv.AppendUint(b, o.SchemaVersion, 10)
	b = append(b, ", \"status\": "...)
	b = appendString(b, o.Status.String())
	b = append(b, ",\n       \"attributes\": "...)
	ty := o.Value.Type()
	e.values.sensitive = e.values.sensitive[:0]
	b, err := e.values.marshal(b, o.Value, ty)
	if err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	tj, err := e.typeJSON(ty)
	if err != nil {
		return nil, fmt.Errorf("attributes type: %w", err)
	}
	b = append(b, ",\n       \"attributes_type\": "...)
	b = append(b, tj...)
	paths := o.SensitivePaths
	for _, p := range e.values.sensitive {
		if !containsPath(paths, p) {
			if len(paths) == len(o.SensitivePaths) {
				paths = slices.Clip(paths) // never append into the caller's slice
			}
			paths = append(paths, p)
		}
	}
	if len(paths) > 0 {
		b = append(b, ",\n       \"sensitive_paths\": ["...)
		for i, p := range paths {
			if i > 0 {
				b = append(b, ", "...)
			}
			b, err = appendPath(b, p)
			if err != nil {
				return nil, fmt.Errorf("sensitive path: %w", err)
			}
		}
		b = append(b, ']')
	}
	if o.CreateKey != "" {
		b = append(b, ",\n       \"create_key\": "...)
		b = appendString(b, o.CreateKey)
	}
	if o.Canary != nil {
		cj, err := json.Marshal(o.Canary)
		if err != nil {
			return nil, fmt.Errorf("canary: %w", err)
		}
		b = append(b, ",\n       \"canary\": "...)
		b = append(b, cj...)
	}
	if len(o.Private) > 0 {
		b = append(b, ",\n       \"private\": \""...)
		b = base64.StdEncoding.AppendEncode(b, o.Private)
		b = append(b, '"')
	}
	if len(o.Dependencies) > 0 {
		deps := slices.Clone(o.Dependencies)
		slices.SortFunc(deps, addrs.Resource.Compare)
		deps = slices.Compact(deps)
		b = append(b, ",\n       \"dependencies\": ["...)
		for i, d := range deps {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendString(b, d.String())
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	return b, nil
}

func containsPath(paths []cty.Path, p cty.Path) bool {
	for _, q := range paths {
		if q.Equals(p) {
			return true
		}
	}
	return false
}

// appendPath encodes a cty.Path as a list of steps:
// {"type": "get_attr", "value": NAME} or {"type": "index", "value": KEY},
// KEY being the index as plain JSON (cty/json's SimpleJSONValue): a number
// for lists and tuples, a string for maps. (Paths into sets name elements
// by value; such keys read back with their JSON-implied type.)
func appendPath(b []byte, p cty.Path) ([]byte, error) {
	b = append(b, '[')
	for i, step := range p {
		if i > 0 {
			b = append(b, ", "...)
		}
		switch s := step.(type) {
		case cty.GetAttrStep:
			b = append(b, "{\"type\": \"get_attr\", \"value\": "...)
			b = appendString(b, s.Name)
		case cty.IndexStep:
			k, err := json.Marshal(ctyjson.SimpleJSONValue{Value: s.Key})
			if err != nil {
				return nil, err
			}
			b = append(b, "{\"type\": \"index\", \"value\": "...)
			b = append(b, k...)
		default:
			return nil, fmt.Errorf("unsupported path step %T", step)
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// appendString appends s as a JSON string exactly as encoding/json writes
// it (HTML-safe escapes, U+2028/U+2029 escaped, invalid UTF-8 as U+FFFD),
// so values encode to the same bytes as through cty/json.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func unsupportedFormat(v int) error {
	if v > state.FormatVersion {
		return fmt.Errorf("unsupported format_version %d: this berth (%s) reads format %d; the state was written by a newer berth", v, version.String(), state.FormatVersion)
	}
	return fmt.Errorf("unsupported format_version %d: this berth (%s) reads format %d", v, version.String(), state.FormatVersion)
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// MarshalPath encodes an attribute path as the state file writes it: a list
// of {"type": "get_attr"|"index", "value": ...} steps. Plan files use the
// same encoding.
func MarshalPath(p cty.Path) (json.RawMessage, error) {
	return appendPath(nil, p)
}

// UnmarshalPath decodes a path written by MarshalPath.
func UnmarshalPath(raw json.RawMessage) (cty.Path, error) {
	return decodePath(raw)
}

func decodePath(raw json.RawMessage) (cty.Path, error) {
	var steps []struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &steps); err != nil {
		return nil, err
	}
	p := make(cty.Path, 0, len(steps))
	for _, st := range steps {
		switch st.Type {
		case "get_attr":
			var name string
			if err := json.Unmarshal(st.Value, &name); err != nil {
				return nil, fmt.Errorf("get_attr: %w", err)
			}
			p = append(p, cty.GetAttrStep{Name: name})
		case "index":
			var k ctyjson.SimpleJSONValue
			if err := json.Unmarshal(st.Value, &k); err != nil {
				return nil, fmt.Errorf("index: %w", err)
			}
			p = append(p, cty.IndexStep{Key: k.Value})
		default:
			return nil, fmt.Errorf("unknown step type %q", st.Type)
		}
	}
	return p, nil
}
