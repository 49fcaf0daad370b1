package statefile

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/berth-sh/berth/addrs"
	"github.com/berth-sh/berth/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Decode parses a state file. Errors say what is wrong and where: the byte
// offset and line of malformed JSON, a truncated file, an unsupported
// format_version, a missing lineage, or the instance whose data is invalid.
//
// The file is parsed by hand with the scanner of the value codec rather
// than with encoding/json, which would validate and copy every attribute
// before the value decoder read it again: at 10,000 objects that is half
// the cost of reading the state.
func Decode(data []byte) (*state.State, error) {
	d := &fileDecoder{
		valueDecoder: valueDecoder{data: data},
		types:        map[string]cty.Type{},
		paths:        map[string]cty.Path{},
		deps:         map[string]addrs.Resource{},
	}
	s, err := d.state()
	if err != nil {
		var se *syntaxError
		if !d.sawVersion && errors.As(err, &se) {
			// A file of another format may not even match this layout:
			// say that rather than where it differs.
			var probe struct {
				FormatVersion *int `json:"format_version"`
			}
			if json.Unmarshal(data, &probe) == nil && probe.FormatVersion != nil && *probe.FormatVersion != state.FormatVersion {
				return nil, unsupportedFormat(*probe.FormatVersion)
			}
		}
		return nil, err
	}
	return s, nil
}

type fileDecoder struct {
	valueDecoder
	sawVersion bool
	// The same types, sensitive paths and dependencies recur across
	// thousands of instances: each is decoded once.
	types map[string]cty.Type
	paths map[string]cty.Path
	deps  map[string]addrs.Resource
}

func (d *fileDecoder) state() (*state.State, error) {
	s := &state.State{
		Resources: map[addrs.Resource]*state.Resource{},
		Outputs:   map[string]*state.Output{},
	}
	var h Header
	if err := d.openObject(); err != nil {
		return nil, err
	}
	err := d.members(func(key string) error {
		if ok, err := d.headerMember(key, &h); ok || err != nil {
			return err
		}
		switch key {
		case "berth_version":
			return d.strInto(&s.BerthVersion)
		case "resources":
			return d.array(func(i int) error { return d.resource(s, i) })
		case "outputs":
			return d.members(func(name string) error { return d.output(s, name) })
		case "deposed":
			return d.array(func(i int) error { return d.deposed(s, i) })
		case "encryption", "encrypted_data":
			// Taken for a state, it would be an empty one.
			return errEncrypted
		default:
			return d.skipUnknown()
		}
	})
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.errorf("unexpected data after the state")
	}
	if err := d.checkHeader(h); err != nil {
		return nil, err
	}
	s.FormatVersion, s.Serial, s.Lineage = state.FormatVersion, h.Serial, h.Lineage
	return s, nil
}

// errEncrypted refuses an encrypted state file (package
// state/encryption), which is to be decrypted first.
var errEncrypted = errors.New("the state file is encrypted: berth reads it with the keys of the configuration's encryption block")

// openObject checks that the file is a JSON object.
func (d *fileDecoder) openObject() error {
	if d.peek() != '{' {
		if d.pos >= len(d.data) {
			return errors.New("the file is empty")
		}
		return d.errorf("a JSON object is required")
	}
	return nil
}

// headerMember decodes the member key into h when it is one of the
// header's (format_version, serial, lineage); ok is false otherwise.
func (d *fileDecoder) headerMember(key string, h *Header) (ok bool, err error) {
	switch key {
	case "format_version":
		v, err := d.uint()
		if err != nil {
			return true, fmt.Errorf("format_version: %w", err)
		}
		d.sawVersion = true
		if v != state.FormatVersion {
			return true, unsupportedFormat(int(v))
		}
	case "serial":
		v, err := d.uint()
		if err != nil {
			return true, fmt.Errorf("serial: %w", err)
		}
		h.Serial = v
	case "lineage":
		return true, d.strInto(&h.Lineage)
	default:
		return false, nil
	}
	return true, nil
}

// checkHeader refuses a file without the header every state has.
func (d *fileDecoder) checkHeader(h Header) error {
	if !d.sawVersion {
		return errors.New("format_version is missing: this is not a berth state file")
	}
	if h.Lineage == "" {
		return errors.New("lineage is missing")
	}
	return nil
}

// skipUnknown skips a member this version does not know (a later minor
// revision of format 1 may add some), checking that it is valid JSON.
func (d *fileDecoder) skipUnknown() error {
	start := d.pos
	raw, err := d.skipValue()
	if err != nil {
		return err
	}
	if !json.Valid(raw) {
		d.pos = start
		return d.errorf("invalid value")
	}
	return nil
}

func (d *fileDecoder) strInto(dst *string) error {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	s, err := d.str()
	*dst = s
	return err
}

func (d *fileDecoder) uint() (uint64, error) {
	d.skipSpace()
	start := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	v, err := strconv.ParseUint(string(d.data[start:d.pos]), 10, 64)
	if err != nil {
		d.pos = start
		return 0, d.errorf("a non-negative whole number is required")
	}
	return v, nil
}

// array parses a JSON array (or null), calling fn positioned at each element.
func (d *fileDecoder) array(fn func(i int) error) error {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	if err := d.expect('['); err != nil {
		return err
	}
	for i := 0; ; i++ {
		if d.peek() == ']' {
			d.pos++
			return nil
		}
		if i > 0 {
			if err := d.expect(','); err != nil {
				return err
			}
		}
		if err := fn(i); err != nil {
			return err
		}
	}
}

// span is the position of a value to decode once its type is known.
type span struct{ start, end int }

type instanceData struct {
	key            addrs.InstanceKey
	attrs, attrsTy span
	obj            state.Object
	status         string
	// A deposed object's own members.
	address, deposedKey, provider string
}

// deposed parses one deposed object: an instance's members with its
// address, key and provider.
func (d *fileDecoder) deposed(s *state.State, i int) error {
	in, err := d.instance()
	if err != nil {
		return err
	}
	addr, err := addrs.ParseInstance(in.address)
	if err != nil {
		return fmt.Errorf("deposed[%d]: address: %w", i, err)
	}
	if in.deposedKey == "" {
		return fmt.Errorf("deposed[%d]: %s: deposed_key is missing", i, addr)
	}
	o, err := d.object(&in)
	if err != nil {
		return fmt.Errorf("%s (deposed %s): %w", addr, in.deposedKey, err)
	}
	s.AddDeposed(&state.Deposed{Addr: addr, Key: in.deposedKey, Provider: in.provider, Object: o})
	return nil
}

func (d *fileDecoder) resource(s *state.State, i int) error {
	var mode, kind string
	var addr addrs.Resource
	var provider string
	var insts []instanceData
	err := d.members(func(key string) error {
		switch key {
		case "mode":
			return d.strInto(&mode)
		case "kind":
			return d.strInto(&kind)
		case "type":
			return d.strInto(&addr.Type)
		case "name":
			return d.strInto(&addr.Name)
		case "provider":
			return d.strInto(&provider)
		case "instances":
			return d.array(func(j int) error {
				in, err := d.instance()
				if err != nil {
					return err
				}
				insts = append(insts, in)
				return nil
			})
		default:
			return d.skipUnknown()
		}
	})
	if err != nil {
		return err
	}
	switch mode {
	case "managed":
		addr.Mode = addrs.Managed
	case "data":
		addr.Mode = addrs.Data
	default:
		return fmt.Errorf("resources[%d]: unknown mode %q", i, mode)
	}
	if addr.Type == "" || addr.Name == "" {
		return fmt.Errorf("resources[%d]: type and name are required", i)
	}
	if kind != "" && kind != addr.Kind() {
		return fmt.Errorf("resources[%d]: %s: kind %q does not match its mode and type (expected %q)", i, addr, kind, addr.Kind())
	}
	if s.Resources[addr] != nil {
		return fmt.Errorf("resource %s is recorded twice", addr)
	}
	r := &state.Resource{Addr: addr, Provider: provider, Instances: make(map[addrs.InstanceKey]*state.Object, len(insts))}
	s.Resources[addr] = r
	for j := range insts {
		in := &insts[j]
		ia := addr.Instance(in.key)
		if r.Instances[in.key] != nil {
			return fmt.Errorf("instance %s is recorded twice", ia)
		}
		o, err := d.object(in)
		if err != nil {
			return fmt.Errorf("%s: %w", ia, err)
		}
		r.Instances[in.key] = o
	}
	return nil
}

// instance parses one instance, leaving its attributes for object (they
// need attributes_type, which may come later).
func (d *fileDecoder) instance() (instanceData, error) {
	var in instanceData
	err := d.members(func(key string) error {
		switch key {
		case "index_key":
			return d.indexKey(&in.key)
		case "address":
			return d.strInto(&in.address)
		case "deposed_key":
			return d.strInto(&in.deposedKey)
		case "provider":
			return d.strInto(&in.provider)
		case "schema_version":
			v, err := d.uint()
			in.obj.SchemaVersion = v
			return err
		case "status":
			return d.strInto(&in.status)
		case "attributes":
			return d.span(&in.attrs)
		case "attributes_type":
			return d.span(&in.attrsTy)
		case "sensitive_paths":
			return d.array(func(int) error {
				p, err := d.path()
				in.obj.SensitivePaths = append(in.obj.SensitivePaths, p)
				return err
			})
		case "create_key":
			return d.strInto(&in.obj.CreateKey)
		case "canary":
			var sp span
			if err := d.span(&sp); err != nil {
				return err
			}
			if raw := d.data[sp.start:sp.end]; string(raw) != "null" {
				c := &state.Canary{}
				if err := json.Unmarshal(raw, c); err != nil {
					return d.errorf("canary: %v", err)
				}
				in.obj.Canary = c
			}
		case "private":
			var s string
			if err := d.strInto(&s); err != nil {
				return err
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return d.errorf("private: %v", err)
			}
			if len(b) > 0 {
				in.obj.Private = b
			}
		case "dependencies":
			return d.array(func(int) error {
				var s string
				if err := d.strInto(&s); err != nil {
					return err
				}
				a, ok := d.deps[s]
				if !ok {
					var err error
					if a, err = addrs.ParseResource(s); err != nil {
						return fmt.Errorf("dependencies: %w", err)
					}
					d.deps[s] = a
				}
				in.obj.Dependencies = append(in.obj.Dependencies, a)
				return nil
			})
		default:
			return d.skipUnknown()
		}
		return nil
	})
	return in, err
}

func (d *fileDecoder) span(sp *span) error {
	d.skipSpace()
	sp.start = d.pos
	if _, err := d.skipValue(); err != nil {
		return err
	}
	sp.end = d.pos
	return nil
}

func (d *fileDecoder) indexKey(key *addrs.InstanceKey) error {
	switch c := d.peek(); {
	case c == 'n':
		*key = addrs.NoKey
		return d.literal("null")
	case c == '"':
		s, err := d.str()
		*key = addrs.StringKey(s)
		return err
	}
	start := d.pos
	v, err := d.uint()
	if err != nil || v > uint64(^uint(0)>>1) {
		d.pos = start
		return d.errorf("index_key must be null, a non-negative whole number or a string")
	}
	*key = addrs.IntKey(int(v))
	return nil
}

// path reads one sensitive path, through the cache.
func (d *fileDecoder) path() (cty.Path, error) {
	d.skipSpace()
	start := d.pos
	raw, err := d.skipValue()
	if err != nil {
		return nil, err
	}
	if p, ok := d.paths[string(raw)]; ok {
		return p, nil // shared between objects: DeepCopy copies it
	}
	p, err := decodePath(raw)
	if err != nil {
		d.pos = start
		return nil, d.errorf("sensitive path: %v", err)
	}
	d.paths[string(raw)] = p
	return p, nil
}

func (d *fileDecoder) typeAt(sp span) (cty.Type, error) {
	raw := d.data[sp.start:sp.end]
	if ty, ok := d.types[string(raw)]; ok {
		return ty, nil
	}
	ty, err := ctyjson.UnmarshalType(raw)
	if err != nil {
		return cty.NilType, err
	}
	d.types[string(raw)] = ty
	return ty, nil
}

// valueAt decodes the value at sp, marking the sensitive paths.
func (d *fileDecoder) valueAt(sp span, ty cty.Type, sensitive []cty.Path) (cty.Value, error) {
	vd := valueDecoder{data: d.data[:sp.end], pos: sp.start, sensitive: sensitive}
	v, err := vd.value(ty)
	if err != nil {
		return cty.NilVal, err
	}
	if vd.skipSpace(); vd.pos != sp.end {
		return cty.NilVal, vd.errorf("unexpected data after the value")
	}
	if vd.marked < len(sensitive) {
		v = markRest(v, sensitive)
	}
	return v, nil
}

func (d *fileDecoder) object(in *instanceData) (*state.Object, error) {
	o := &in.obj
	switch in.status {
	case "", "ready":
		o.Status = state.ObjectReady
	case "tainted":
		o.Status = state.ObjectTainted
	default:
		return nil, fmt.Errorf("unknown status %q", in.status)
	}
	if in.attrsTy.end == 0 {
		return nil, errors.New("attributes_type is missing")
	}
	if in.attrs.end == 0 {
		return nil, errors.New("attributes is missing")
	}
	ty, err := d.typeAt(in.attrsTy)
	if err != nil {
		return nil, fmt.Errorf("attributes_type: %w", err)
	}
	if o.Value, err = d.valueAt(in.attrs, ty, o.SensitivePaths); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	return o, nil
}

func (d *fileDecoder) output(s *state.State, name string) error {
	var val, ty span
	var sensitive bool
	err := d.members(func(key string) error {
		switch key {
		case "value":
			return d.span(&val)
		case "type":
			return d.span(&ty)
		case "sensitive":
			switch d.peek() {
			case 't':
				sensitive = true
				return d.literal("true")
			case 'f':
				return d.literal("false")
			}
			return d.errorf("sensitive must be true or false")
		default:
			return d.skipUnknown()
		}
	})
	if err != nil {
		return err
	}
	if val.end == 0 || ty.end == 0 {
		return fmt.Errorf("output %s: value and type are required", name)
	}
	t, err := d.typeAt(ty)
	if err != nil {
		return fmt.Errorf("output %s: type: %w", name, err)
	}
	v, err := d.valueAt(val, t, nil)
	if err != nil {
		return fmt.Errorf("output %s: value: %w", name, err)
	}
	if sensitive {
		v = v.Mark(state.SensitiveMark)
	}
	s.Outputs[name] = &state.Output{Value: v, Sensitive: sensitive}
	return nil
}

// Header is what identifies a stored state: its history and its version.
type Header struct {
	Lineage string
	Serial  uint64
}

// errHeaderRead stops DecodeHeader once it has what it needs.
var errHeaderRead = errors.New("header read")

// DecodeHeader reads a state file's format version, serial and lineage,
// and no more: it stops as soon as it has them (berth writes them first),
// so that telling whose state a file holds costs little whatever its
// size. The rest of the file is not checked; a file Decode refuses may
// have a header.
func DecodeHeader(data []byte) (Header, error) {
	d := &fileDecoder{valueDecoder: valueDecoder{data: data}}
	var h Header
	if err := d.openObject(); err != nil {
		return h, err
	}
	sawSerial := false
	err := d.members(func(key string) error {
		ok, err := d.headerMember(key, &h)
		switch {
		case err != nil:
			return err
		case !ok:
			_, err = d.skipValue()
			return err
		}
		sawSerial = sawSerial || key == "serial"
		if d.sawVersion && sawSerial && h.Lineage != "" {
			return errHeaderRead
		}
		return nil
	})
	if errors.Is(err, errHeaderRead) {
		return h, nil
	}
	if err == nil {
		err = d.checkHeader(h)
	}
	if err != nil {
		return Header{}, err
	}
	return h, nil
}
