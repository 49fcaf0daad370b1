package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// A JSON codec for cty values, compatible with cty/json (files written here
// are read by ctyjson.Unmarshal and the other way round) but several times
// faster: it appends to one buffer instead of calling encoding/json for
// every string and number, parses with a type-directed scanner instead of a
// token stream, and records or restores sensitive marks in the same pass
// instead of separate walks over every value. At 10,000 objects this is the
// difference between a state write that costs as much as the whole plan and
// one that is noise.

// pathStep is a cheap, allocation-free stand-in for cty.PathStep, turned
// into a real cty.Path only when a path is needed.
type pathStep struct {
	name  string    // attribute name or map key
	index int       // list/tuple index
	elem  cty.Value // set element
	kind  uint8     // stepAttr, stepMapKey, stepIndex, stepSetElem
}

const (
	stepAttr uint8 = iota
	stepMapKey
	stepIndex
	stepSetElem
)

func toPath(steps []pathStep) cty.Path {
	p := make(cty.Path, len(steps))
	for i, s := range steps {
		switch s.kind {
		case stepAttr:
			p[i] = cty.GetAttrStep{Name: s.name}
		case stepMapKey:
			p[i] = cty.IndexStep{Key: cty.StringVal(s.name)}
		case stepIndex:
			p[i] = cty.IndexStep{Key: cty.NumberIntVal(int64(s.index))}
		case stepSetElem:
			p[i] = cty.IndexStep{Key: s.elem}
		}
	}
	return p
}

// valueEncoder appends cty values as JSON and collects the paths of values
// marked sensitive.
type valueEncoder struct {
	path      []pathStep
	sensitive []cty.Path
	names     [][]string // per depth: attribute names being encoded
}

func (e *valueEncoder) marshal(b []byte, v cty.Value, ty cty.Type) ([]byte, error) {
	if v.IsMarked() {
		var marks cty.ValueMarks
		v, marks = v.Unmark()
		// Any layer's "sensitive" mark: no sensitive value is ever
		// written without its path being listed.
		if providers.HasSensitiveMark(marks) {
			e.sensitive = append(e.sensitive, toPath(e.path))
		}
	}
	if ty == cty.DynamicPseudoType && v.Type() != cty.DynamicPseudoType {
		return e.marshalDynamic(b, v)
	}
	if !v.IsKnown() {
		return nil, errors.New("value is not known")
	}
	if v.IsNull() {
		return append(b, "null"...), nil
	}
	switch {
	case ty == cty.String:
		return appendString(b, v.AsString()), nil
	case ty == cty.Number:
		f := v.AsBigFloat()
		if f.IsInf() {
			return nil, errors.New("infinity cannot be stored")
		}
		return appendNumber(b, f), nil
	case ty == cty.Bool:
		return strconv.AppendBool(b, v.True()), nil
	case ty.IsListType() || ty.IsSetType():
		ety := ty.ElementType()
		set := ty.IsSetType()
		b = append(b, '[')
		for i, ev := range v.AsValueSlice() { // no cty number per index
			if i > 0 {
				b = append(b, ',')
			}
			st := pathStep{kind: stepIndex, index: i}
			if set {
				st = pathStep{kind: stepSetElem, elem: ev}
			}
			e.path = append(e.path, st)
			var err error
			if b, err = e.marshal(b, ev, ety); err != nil {
				return nil, err
			}
			e.path = e.path[:len(e.path)-1]
		}
		return append(b, ']'), nil
	case ty.IsTupleType():
		etys := ty.TupleElementTypes()
		b = append(b, '[')
		for i, ev := range v.AsValueSlice() {
			if i > 0 {
				b = append(b, ',')
			}
			e.path = append(e.path, pathStep{kind: stepIndex, index: i})
			var err error
			if b, err = e.marshal(b, ev, etys[i]); err != nil {
				return nil, err
			}
			e.path = e.path[:len(e.path)-1]
		}
		return append(b, ']'), nil
	case ty.IsMapType():
		ety := ty.ElementType()
		b = append(b, '{')
		i := 0
		for k, ev := range v.Elements() { // cty iterates maps in key order
			if i > 0 {
				b = append(b, ',')
			}
			ks := k.AsString()
			b = appendString(b, ks)
			b = append(b, ':')
			e.path = append(e.path, pathStep{kind: stepMapKey, name: ks})
			var err error
			if b, err = e.marshal(b, ev, ety); err != nil {
				return nil, err
			}
			e.path = e.path[:len(e.path)-1]
			i++
		}
		return append(b, '}'), nil
	case ty.IsObjectType():
		// Attribute names in order, without cty's iterator, which builds a
		// cty string (NFC-normalized) for every name it yields.
		atys := ty.AttributeTypes()
		depth := len(e.path)
		for len(e.names) <= depth {
			e.names = append(e.names, nil)
		}
		names := e.names[depth][:0]
		for k := range atys {
			names = append(names, k)
		}
		slices.Sort(names)
		e.names[depth] = names
		b = append(b, '{')
		for i, name := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, name)
			b = append(b, ':')
			e.path = append(e.path, pathStep{kind: stepAttr, name: name})
			var err error
			if b, err = e.marshal(b, v.GetAttr(name), atys[name]); err != nil {
				return nil, err
			}
			e.path = e.path[:len(e.path)-1]
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("values of type %s cannot be stored", ty.FriendlyName())
}

// marshalDynamic writes cty/json's wrapping for a value whose type is only
// known at run time: {"value": …, "type": …}.
func (e *valueEncoder) marshalDynamic(b []byte, v cty.Value) ([]byte, error) {
	tj, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return nil, err
	}
	b = append(b, `{"value":`...)
	if b, err = e.marshal(b, v, v.Type()); err != nil {
		return nil, err
	}
	b = append(b, `,"type":`...)
	b = append(b, tj...)
	return append(b, '}'), nil
}

func appendNumber(b []byte, f *big.Float) []byte {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return strconv.AppendInt(b, i, 10)
		}
	}
	return f.Append(b, 'f', -1)
}

// valueDecoder parses the JSON of a value of a known type. When sensitive
// paths are given it marks the values at those paths as it builds them.
type valueDecoder struct {
	data      []byte
	pos       int
	path      []pathStep
	sensitive []cty.Path
	marked    int // how many of sensitive were applied
}

func unmarshalValue(data []byte, ty cty.Type, sensitive []cty.Path) (cty.Value, error) {
	d := valueDecoder{data: data, sensitive: sensitive}
	v, err := d.value(ty)
	if err != nil {
		return cty.NilVal, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return cty.NilVal, d.errorf("unexpected data after the value")
	}
	if d.marked < len(sensitive) {
		v = markRest(v, sensitive)
	}
	return v, nil
}

// markRest applies the sensitive paths the scanner could not match as it
// went (through sets, or naming absent parts) the slow way, through cty.
func markRest(v cty.Value, sensitive []cty.Path) cty.Value {
	pvm := make([]cty.PathValueMarks, len(sensitive))
	for i, p := range sensitive {
		pvm[i] = cty.PathValueMarks{Path: p, Marks: cty.NewValueMarks(state.SensitiveMark)}
	}
	return v.MarkWithPaths(pvm)
}

// syntaxError is a parse error at a byte offset of the decoder's data.
type syntaxError struct {
	data []byte
	off  int
	msg  string
}

func (e *syntaxError) Error() string {
	if e.off >= len(e.data) {
		return fmt.Sprintf("the file is truncated: the JSON ends unexpectedly after %d bytes (%s)", len(e.data), e.msg)
	}
	return fmt.Sprintf("invalid JSON at byte offset %d (line %d): %s", e.off, lineOf(e.data, int64(e.off)), e.msg)
}

func (d *valueDecoder) errorf(format string, args ...any) error {
	return &syntaxError{data: d.data, off: d.pos, msg: fmt.Sprintf(format, args...)}
}

func (d *valueDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *valueDecoder) peek() byte {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

func (d *valueDecoder) expect(c byte) error {
	if d.peek() != c {
		if d.pos >= len(d.data) {
			return d.errorf("unexpected end, expected %q", c)
		}
		return d.errorf("expected %q, found %q", c, d.data[d.pos])
	}
	d.pos++
	return nil
}

// atSensitivePath reports whether the current path is one of the
// sensitive ones.
func (d *valueDecoder) atSensitivePath() bool {
	for _, p := range d.sensitive {
		if len(p) != len(d.path) {
			continue
		}
		match := true
		for i, step := range p {
			s := d.path[i]
			switch st := step.(type) {
			case cty.GetAttrStep:
				match = s.kind == stepAttr && s.name == st.Name
			case cty.IndexStep:
				switch s.kind {
				case stepMapKey:
					match = st.Key.Type() == cty.String && st.Key.AsString() == s.name
				case stepIndex:
					match = st.Key.Type() == cty.Number && st.Key.Equals(cty.NumberIntVal(int64(s.index))).True()
				default:
					match = false
				}
			default:
				match = false
			}
			if !match {
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func (d *valueDecoder) value(ty cty.Type) (cty.Value, error) {
	v, err := d.rawValue(ty)
	if err == nil && len(d.sensitive) > 0 && d.atSensitivePath() {
		v = v.Mark(state.SensitiveMark)
		d.marked++
	}
	return v, err
}

func (d *valueDecoder) rawValue(ty cty.Type) (cty.Value, error) {
	c := d.peek()
	if c == 'n' {
		if err := d.literal("null"); err != nil {
			return cty.NilVal, err
		}
		return cty.NullVal(ty), nil
	}
	switch {
	case ty == cty.DynamicPseudoType:
		return d.dynamic()
	case ty == cty.String:
		if c != '"' {
			return d.primitiveFromOther(ty)
		}
		s, err := d.str()
		if err != nil {
			return cty.NilVal, err
		}
		return cty.StringVal(s), nil
	case ty == cty.Number:
		if c == '"' {
			// cty/json accepts numbers written as strings.
			s, err := d.str()
			if err != nil {
				return cty.NilVal, err
			}
			return cty.ParseNumberVal(s)
		}
		return d.number()
	case ty == cty.Bool:
		switch c {
		case 't':
			return cty.True, d.literal("true")
		case 'f':
			return cty.False, d.literal("false")
		}
		return d.primitiveFromOther(ty)
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		return d.sequence(ty)
	case ty.IsMapType():
		return d.mapping(ty)
	case ty.IsObjectType():
		return d.object(ty)
	}
	return cty.NilVal, d.errorf("values of type %s cannot be read", ty.FriendlyName())
}

// primitiveFromOther handles the conversions cty/json allows (a bool or
// number where a string is expected, a "true" string for a bool) by
// delegating the rare case to it.
func (d *valueDecoder) primitiveFromOther(ty cty.Type) (cty.Value, error) {
	raw, err := d.skipValue()
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(raw, ty)
}

func (d *valueDecoder) literal(word string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(word)) {
		return d.errorf("invalid literal")
	}
	d.pos += len(word)
	return nil
}

func (d *valueDecoder) number() (cty.Value, error) {
	start := d.pos
	isInt := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c >= '0' && c <= '9' || c == '-' {
			d.pos++
			continue
		}
		if c == '.' || c == 'e' || c == 'E' || c == '+' {
			isInt = false
			d.pos++
			continue
		}
		break
	}
	tok := string(d.data[start:d.pos])
	if tok == "" {
		return cty.NilVal, d.errorf("a number is required")
	}
	if isInt {
		if i, err := strconv.ParseInt(tok, 10, 64); err == nil {
			return cty.NumberIntVal(i), nil
		}
	}
	v, err := cty.ParseNumberVal(tok)
	if err != nil {
		return cty.NilVal, d.errorf("invalid number %q", tok)
	}
	return v, nil
}

// str parses a JSON string at the current position.
func (d *valueDecoder) str() (string, error) {
	if err := d.expect('"'); err != nil {
		return "", err
	}
	start := d.pos
	high := false
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			raw := d.data[start:d.pos]
			d.pos++
			if high && !utf8.Valid(raw) {
				// encoding/json turns invalid UTF-8 into U+FFFD: do the same.
				return strings.ToValidUTF8(string(raw), "\ufffd"), nil
			}
			return string(raw), nil
		case c == '\\':
			// Escapes are rare in state: let encoding/json do them.
			d.pos = start - 1
			raw, err := d.skipString()
			if err != nil {
				return "", err
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				d.pos = start - 1
				return "", d.errorf("invalid string: %v", err)
			}
			return s, nil
		case c < 0x20:
			return "", d.errorf("control character %#x in a string", c)
		case c >= utf8.RuneSelf:
			high = true
		}
		d.pos++
	}
	return "", d.errorf("unterminated string")
}

// skipString moves past a JSON string starting at pos and returns it raw.
func (d *valueDecoder) skipString() ([]byte, error) {
	start := d.pos
	d.pos++
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '\\':
			d.pos += 2
			continue
		case '"':
			d.pos++
			return d.data[start:d.pos], nil
		}
		d.pos++
	}
	return nil, d.errorf("unterminated string")
}

// skipValue moves past any JSON value and returns it raw.
func (d *valueDecoder) skipValue() ([]byte, error) {
	d.skipSpace()
	start := d.pos
	depth := 0
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch c {
		case '"':
			if _, err := d.skipString(); err != nil {
				return nil, err
			}
			if depth == 0 {
				return d.data[start:d.pos], nil
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return d.data[start:d.pos], nil
			}
			if depth == 0 {
				d.pos++
				return d.data[start:d.pos], nil
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return d.data[start:d.pos], nil
			}
		}
		d.pos++
	}
	if depth != 0 {
		return nil, d.errorf("unexpected end of value")
	}
	return d.data[start:d.pos], nil
}

func (d *valueDecoder) dynamic() (cty.Value, error) {
	raw, err := d.skipValue()
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(raw, cty.DynamicPseudoType)
}

func (d *valueDecoder) sequence(ty cty.Type) (cty.Value, error) {
	if err := d.expect('['); err != nil {
		return cty.NilVal, err
	}
	var etys []cty.Type
	var ety cty.Type
	tuple := ty.IsTupleType()
	if tuple {
		etys = ty.TupleElementTypes()
	} else {
		ety = ty.ElementType()
	}
	var elems []cty.Value
	for i := 0; ; i++ {
		if d.peek() == ']' {
			d.pos++
			break
		}
		if i > 0 {
			if err := d.expect(','); err != nil {
				return cty.NilVal, err
			}
		}
		et := ety
		if tuple {
			if i >= len(etys) {
				return cty.NilVal, d.errorf("too many tuple elements")
			}
			et = etys[i]
		}
		d.path = append(d.path, pathStep{kind: stepIndex, index: i})
		if ty.IsSetType() {
			d.path[len(d.path)-1].kind = stepSetElem // matched by MarkWithPaths later
		}
		ev, err := d.value(et)
		if err != nil {
			return cty.NilVal, err
		}
		d.path = d.path[:len(d.path)-1]
		elems = append(elems, ev)
	}
	switch {
	case tuple:
		if len(elems) != len(etys) {
			return cty.NilVal, d.errorf("a tuple of %d elements is required, found %d", len(etys), len(elems))
		}
		return cty.TupleVal(elems), nil
	case len(elems) == 0 && ty.IsListType():
		return cty.ListValEmpty(ety), nil
	case len(elems) == 0:
		return cty.SetValEmpty(ety), nil
	case ty.IsListType():
		return cty.ListVal(elems), nil
	}
	return cty.SetVal(elems), nil
}

func (d *valueDecoder) mapping(ty cty.Type) (cty.Value, error) {
	ety := ty.ElementType()
	m := map[string]cty.Value{}
	err := d.members(func(k string) error {
		d.path = append(d.path, pathStep{kind: stepMapKey, name: k})
		ev, err := d.value(ety)
		d.path = d.path[:len(d.path)-1]
		m[k] = ev
		return err
	})
	if err != nil {
		return cty.NilVal, err
	}
	if len(m) == 0 {
		return cty.MapValEmpty(ety), nil
	}
	return cty.MapVal(m), nil
}

func (d *valueDecoder) object(ty cty.Type) (cty.Value, error) {
	atys := ty.AttributeTypes()
	m := make(map[string]cty.Value, len(atys))
	err := d.members(func(k string) error {
		aty, ok := atys[k]
		if !ok {
			return d.errorf("unsupported attribute %q", k)
		}
		d.path = append(d.path, pathStep{kind: stepAttr, name: k})
		ev, err := d.value(aty)
		d.path = d.path[:len(d.path)-1]
		m[k] = ev
		return err
	})
	if err != nil {
		return cty.NilVal, err
	}
	if len(atys) == 0 {
		return cty.EmptyObjectVal, nil
	}
	for k, aty := range atys {
		if _, ok := m[k]; !ok {
			m[k] = cty.NullVal(aty)
		}
	}
	return cty.ObjectVal(m), nil
}

// members parses a JSON object, calling fn with each key positioned at
// its value.
func (d *valueDecoder) members(fn func(key string) error) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	for i := 0; ; i++ {
		if d.peek() == '}' {
			d.pos++
			return nil
		}
		if i > 0 {
			if err := d.expect(','); err != nil {
				return err
			}
			d.skipSpace()
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
	}
}
