package elbv2emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"math/big"
	"strconv"
	"time"

	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
	smithytime "github.com/aws/smithy-go/time"
)

// xmlSerializer writes an SDK output structure as the XML of an awsQuery
// response, driven by the structure's own Serialize method and the SDK's
// schemas, so element names are the API's member names. It covers what
// ELBv2's model uses: structures, non-flattened lists (<member>), maps
// (<entry><key/><value/></entry>) and scalars; ELBv2 has no @xmlName,
// @xmlFlattened, @xmlAttribute, unions or documents.
type xmlSerializer struct {
	buf   bytes.Buffer
	root  string // the outermost structure's element, e.g. CreateListenerResult
	stack []xmlFrame
}

type xmlFrameKind int

const (
	frameStruct xmlFrameKind = iota
	frameList
	frameMap
)

type xmlFrame struct {
	kind    xmlFrameKind
	name    string
	inEntry bool // a map's <entry> is open
}

var _ smithy.ShapeSerializer = (*xmlSerializer)(nil)

func newXMLSerializer(root string) *xmlSerializer { return &xmlSerializer{root: root} }

func (s *xmlSerializer) Bytes() []byte { return s.buf.Bytes() }

// name is the element name of a value written now under schema.
func (s *xmlSerializer) name(schema *smithy.Schema) string {
	if len(s.stack) == 0 {
		return s.root
	}
	top := s.stack[len(s.stack)-1]
	switch {
	case top.kind == frameList:
		return "member"
	case top.kind == frameMap && top.inEntry:
		return "value"
	}
	return schema.MemberName()
}

func (s *xmlSerializer) start(name string) {
	s.buf.WriteByte('<')
	s.buf.WriteString(name)
	s.buf.WriteByte('>')
}

func (s *xmlSerializer) end(name string) {
	s.buf.WriteString("</")
	s.buf.WriteString(name)
	s.buf.WriteByte('>')
}

func (s *xmlSerializer) scalar(schema *smithy.Schema, v string) {
	name := s.name(schema)
	s.start(name)
	_ = xml.EscapeText(&s.buf, []byte(v))
	s.end(name)
}

func (s *xmlSerializer) WriteInt8(sc *smithy.Schema, v int8) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}
func (s *xmlSerializer) WriteInt16(sc *smithy.Schema, v int16) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}
func (s *xmlSerializer) WriteInt32(sc *smithy.Schema, v int32) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}
func (s *xmlSerializer) WriteInt64(sc *smithy.Schema, v int64) {
	s.scalar(sc, strconv.FormatInt(v, 10))
}
func (s *xmlSerializer) WriteFloat32(sc *smithy.Schema, v float32) {
	s.scalar(sc, strconv.FormatFloat(float64(v), 'g', -1, 32))
}
func (s *xmlSerializer) WriteFloat64(sc *smithy.Schema, v float64) {
	s.scalar(sc, strconv.FormatFloat(v, 'g', -1, 64))
}
func (s *xmlSerializer) WriteBool(sc *smithy.Schema, v bool)     { s.scalar(sc, strconv.FormatBool(v)) }
func (s *xmlSerializer) WriteString(sc *smithy.Schema, v string) { s.scalar(sc, v) }
func (s *xmlSerializer) WriteBigInt(sc *smithy.Schema, v *big.Int) {
	s.scalar(sc, v.String())
}
func (s *xmlSerializer) WriteBigFloat(sc *smithy.Schema, v *big.Float) {
	s.scalar(sc, v.Text('g', -1))
}
func (s *xmlSerializer) WriteBlob(sc *smithy.Schema, v []byte) {
	if v != nil {
		s.scalar(sc, base64.StdEncoding.EncodeToString(v))
	}
}
func (s *xmlSerializer) WriteTime(sc *smithy.Schema, v time.Time) {
	s.scalar(sc, smithytime.FormatDateTime(v))
}

// WriteUnion and WriteDocument are not used by ELBv2's model.
func (s *xmlSerializer) WriteUnion(schema, variant *smithy.Schema) { s.WriteStruct(schema) }
func (s *xmlSerializer) CloseUnion()                               { s.CloseStruct() }
func (s *xmlSerializer) WriteDocument(*smithy.Schema, document.Value) {
	panic("elbv2emulator: documents are not part of the ELBv2 API")
}
func (s *xmlSerializer) WriteNil(*smithy.Schema) {}

func (s *xmlSerializer) open(kind xmlFrameKind, schema *smithy.Schema) {
	name := s.name(schema)
	s.start(name)
	s.stack = append(s.stack, xmlFrame{kind: kind, name: name})
}

func (s *xmlSerializer) close() {
	f := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	if f.inEntry {
		s.end("entry")
	}
	s.end(f.name)
}

func (s *xmlSerializer) WriteStruct(sc *smithy.Schema) { s.open(frameStruct, sc) }
func (s *xmlSerializer) CloseStruct()                  { s.close() }
func (s *xmlSerializer) WriteList(sc *smithy.Schema)   { s.open(frameList, sc) }
func (s *xmlSerializer) CloseList()                    { s.close() }
func (s *xmlSerializer) WriteMap(sc *smithy.Schema)    { s.open(frameMap, sc) }
func (s *xmlSerializer) CloseMap()                     { s.close() }

func (s *xmlSerializer) WriteKey(_ *smithy.Schema, k string) {
	top := &s.stack[len(s.stack)-1]
	if top.inEntry {
		s.end("entry")
	}
	s.start("entry")
	s.start("key")
	_ = xml.EscapeText(&s.buf, []byte(k))
	s.end("key")
	top.inEntry = true
}

func xmlEscape(w *bytes.Buffer, s string) error { return xml.EscapeText(w, []byte(s)) }
