package sdk

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/berth-sh/berth/providers"
)

// Decode copies v into the Go value target points to, matching object
// attributes to struct fields by their `cty:"name"` tags (as
// github.com/zclconf/go-cty/cty/gocty does) and converting leaves with gocty.
//
// Unlike gocty, Decode is lenient where configuration and plans are
// incomplete: null and unknown values leave the target's zero value (a nil
// pointer, an empty string, 0), and marks are ignored. So a struct field for
// a computed attribute is simply empty while the attribute is unknown, and
// pointer fields distinguish "unset" from the zero value.
//
// Attributes without a tagged field are ignored; tagged fields without an
// attribute are left alone. A field may have type cty.Value to receive the
// attribute as is (unknowns and all).
func Decode(v cty.Value, target any) error {
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("sdk.Decode: target must be a non-nil pointer, not %T", target)
	}
	v, _ = v.UnmarkDeep()
	return decode(v, rv.Elem(), nil)
}

var ctyValueType = reflect.TypeFor[cty.Value]()

func decode(v cty.Value, target reflect.Value, path cty.Path) error {
	if target.Type() == ctyValueType {
		target.Set(reflect.ValueOf(v))
		return nil
	}
	if v.IsNull() || !v.IsKnown() {
		target.Set(reflect.Zero(target.Type()))
		return nil
	}
	ty := v.Type()
	switch target.Kind() {
	case reflect.Pointer:
		nv := reflect.New(target.Type().Elem())
		if err := decode(v, nv.Elem(), path); err != nil {
			return err
		}
		target.Set(nv)
		return nil
	case reflect.Struct:
		if !ty.IsObjectType() {
			break
		}
		for name, idx := range fieldsByTag(target.Type()) {
			if !ty.HasAttribute(name) {
				continue
			}
			if err := decode(v.GetAttr(name), target.Field(idx), appendPath(path, cty.GetAttrStep{Name: name})); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if !ty.IsListType() && !ty.IsSetType() && !ty.IsTupleType() {
			break
		}
		s := reflect.MakeSlice(target.Type(), 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			e := reflect.New(target.Type().Elem()).Elem()
			if err := decode(ev, e, appendPath(path, cty.IndexStep{Key: k})); err != nil {
				return err
			}
			s = reflect.Append(s, e)
		}
		target.Set(s)
		return nil
	case reflect.Map:
		if target.Type().Key().Kind() != reflect.String || (!ty.IsMapType() && !ty.IsObjectType()) {
			break
		}
		m := reflect.MakeMapWithSize(target.Type(), v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			e := reflect.New(target.Type().Elem()).Elem()
			if err := decode(ev, e, appendPath(path, cty.IndexStep{Key: k})); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.AsString()).Convert(target.Type().Key()), e)
		}
		target.Set(m)
		return nil
	}
	if err := gocty.FromCtyValue(v, target.Addr().Interface()); err != nil {
		if len(path) > 0 {
			return path.NewError(err)
		}
		return err
	}
	return nil
}

// fieldsByTag maps `cty` struct tags to field indices.
func fieldsByTag(t reflect.Type) map[string]int {
	m := make(map[string]int)
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("cty")
		if !ok || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		m[name] = i
	}
	return m
}

// encode turns an author's Go value into a value of the schema's implied
// type. Optional attributes (not Computed, no Default) held in non-pointer
// fields become null when they hold the zero value: a plain string field
// cannot tell "unset" from "", and treating its zero value as unset is what
// keeps an unset optional attribute from showing a diff on every plan.
func encode[T any](s *Schema, t *T) (cty.Value, error) {
	ty := s.ImpliedType()
	if t == nil {
		return cty.NullVal(ty), nil
	}
	v, err := gocty.ToCtyValue(t, ty)
	if err != nil {
		return cty.NilVal, err
	}
	fields := fieldsByTag(reflect.TypeFor[T]())
	rv := reflect.ValueOf(t).Elem()
	attrs := v.AsValueMap()
	changed := false
	for name, a := range s.Attributes {
		idx, ok := fields[name]
		if !ok || a.Required || a.Computed || a.Default != cty.NilVal {
			continue
		}
		f := rv.Field(idx)
		if f.Kind() != reflect.Pointer && f.Kind() != reflect.Interface && f.IsZero() && !attrs[name].IsNull() {
			attrs[name] = cty.NullVal(a.Type)
			changed = true
		}
	}
	if changed {
		v = cty.ObjectVal(attrs)
	}
	return v, nil
}

// checkModel reports attributes and blocks of s that have no field in T, so
// a typo in a tag is found when the provider starts, not as a value that
// silently never arrives.
func checkModel[T any](s *Schema, where string) []string {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return []string{fmt.Sprintf("%s: model type %s is not a struct", where, t)}
	}
	fields := fieldsByTag(t)
	var errs []string
	for _, name := range sortedKeys(s.Attributes) {
		if _, ok := fields[name]; !ok {
			errs = append(errs, fmt.Sprintf("%s.%s: model type %s has no field tagged `cty:%q`", where, name, t, name))
		}
	}
	for _, name := range sortedKeys(s.Blocks) {
		if _, ok := fields[name]; !ok {
			errs = append(errs, fmt.Sprintf("%s.%s: model type %s has no field tagged `cty:%q`", where, name, t, name))
		}
	}
	for _, name := range sortedKeys(fields) {
		_, isAttr := s.Attributes[name]
		_, isBlock := s.Blocks[name]
		if !isAttr && !isBlock {
			errs = append(errs, fmt.Sprintf("%s: field %s.%s is tagged `cty:%q` but the schema has no such attribute", where, t, t.Field(fields[name]).Name, name))
		}
	}
	return errs
}

// remark applies the marks a value must carry when it leaves the SDK: the
// sensitive attributes of the schema, and the marks the input (config or
// planned state) carried at paths that still exist, so a value the user
// marked sensitive stays sensitive in state.
func remark(b block, v cty.Value, inherited []cty.PathValueMarks) cty.Value {
	if v == cty.NilVal {
		return v
	}
	var pvm []cty.PathValueMarks
	for _, p := range b.sensitivePaths(v, nil) {
		pvm = append(pvm, cty.PathValueMarks{Path: p, Marks: cty.NewValueMarks(providers.SensitiveMark)})
	}
	pvm = append(pvm, inherited...)
	if len(pvm) == 0 {
		return v
	}
	return v.MarkWithPaths(pvm)
}

// unmark strips marks, returning them by path for remark.
func unmark(v cty.Value) (cty.Value, []cty.PathValueMarks) {
	if v == cty.NilVal {
		return v, nil
	}
	return v.UnmarkDeepWithPaths()
}
