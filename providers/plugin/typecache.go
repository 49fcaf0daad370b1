package plugin

import (
	"sync"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Every value crosses the wire with its type in JSON, and a batch of
// thousands of objects usually has only a handful of distinct types:
// decoding or encoding the same type JSON over and over was most of the
// cost of a batched read. These caches remember recent types; they are
// bounded so that a provider with many types cannot grow them without
// limit.
const (
	maxDecodedTypes = 512
	maxEncodedTypes = 16
)

var typeDecodeCache = struct {
	sync.RWMutex
	m map[string]cty.Type
}{m: map[string]cty.Type{}}

func unmarshalType(b []byte) (cty.Type, error) {
	typeDecodeCache.RLock()
	ty, ok := typeDecodeCache.m[string(b)]
	typeDecodeCache.RUnlock()
	if ok {
		return ty, nil
	}
	ty, err := ctyjson.UnmarshalType(b)
	if err != nil {
		return cty.NilType, err
	}
	typeDecodeCache.Lock()
	if len(typeDecodeCache.m) >= maxDecodedTypes {
		clear(typeDecodeCache.m)
	}
	typeDecodeCache.m[string(b)] = ty
	typeDecodeCache.Unlock()
	return ty, nil
}

type encodedType struct {
	ty   cty.Type
	json []byte
}

// cty.Type is not comparable (object types hold maps), so the encode
// cache is a short list searched with Equals, most recent first.
var typeEncodeCache struct {
	sync.Mutex
	recent []encodedType
}

func marshalType(ty cty.Type) ([]byte, error) {
	typeEncodeCache.Lock()
	for i, e := range typeEncodeCache.recent {
		if e.ty.Equals(ty) {
			if i > 0 {
				copy(typeEncodeCache.recent[1:i+1], typeEncodeCache.recent[:i])
				typeEncodeCache.recent[0] = e
			}
			typeEncodeCache.Unlock()
			return e.json, nil
		}
	}
	typeEncodeCache.Unlock()
	b, err := ctyjson.MarshalType(ty)
	if err != nil {
		return nil, err
	}
	typeEncodeCache.Lock()
	if len(typeEncodeCache.recent) < maxEncodedTypes {
		typeEncodeCache.recent = append(typeEncodeCache.recent, encodedType{})
	}
	copy(typeEncodeCache.recent[1:], typeEncodeCache.recent[:len(typeEncodeCache.recent)-1])
	typeEncodeCache.recent[0] = encodedType{ty, b}
	typeEncodeCache.Unlock()
	return b, nil
}
