package elbv2emulator

import (
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// formNode is one level of an awsQuery request's dotted keys:
// "Targets.member.1.Id=x" is root → Targets → member → 1 → Id (value x).
type formNode struct {
	value    string
	hasValue bool
	children map[string]*formNode
}

// parseForm turns a request's form values, less Action and Version, into a
// tree of formNodes.
func parseForm(vals url.Values) (*formNode, error) {
	root := &formNode{}
	for k, vs := range vals {
		if k == "Action" || k == "Version" {
			continue
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("parameter %s is given %d times", k, len(vs))
		}
		n := root
		for _, part := range strings.Split(k, ".") {
			if part == "" {
				return nil, fmt.Errorf("malformed parameter name %q", k)
			}
			if n.children == nil {
				n.children = map[string]*formNode{}
			}
			c := n.children[part]
			if c == nil {
				c = &formNode{}
				n.children[part] = c
			}
			n = c
		}
		n.value, n.hasValue = vs[0], true
	}
	return root, nil
}

// decodeForm fills *out, an SDK input structure, from a parsed form. The
// keys are the structure's Go field names, which are the API's member
// names (ELBv2's model has no @xmlName renames); lists are
// Name.member.N, maps Name.entry.N.key / .value, and an empty list is
// sent as "Name=". A key no field takes is an error: the emulator must
// understand every parameter the SDK sends.
func decodeForm(n *formNode, out any) error {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decodeForm: %T is not a pointer to a structure", out)
	}
	return decodeValue(n, v.Elem(), "")
}

func decodeValue(n *formNode, v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if err := decodeValue(n, nv.Elem(), path); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	case reflect.Struct:
		if n.hasValue && n.value != "" {
			return fmt.Errorf("parameter %s must have members", path)
		}
		for _, name := range slices.Sorted(maps.Keys(n.children)) {
			f, ok := v.Type().FieldByName(name)
			if !ok || !f.IsExported() || len(f.Index) != 1 {
				return fmt.Errorf("unknown parameter %s", join(path, name))
			}
			if err := decodeValue(n.children[name], v.Field(f.Index[0]), join(path, name)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		items, err := indexed(n, "member", path)
		if err != nil {
			return err
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, it := range items {
			if err := decodeValue(it, s.Index(i), fmt.Sprintf("%s.member.%d", path, i+1)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		entries, err := indexed(n, "entry", path)
		if err != nil {
			return err
		}
		m := reflect.MakeMapWithSize(v.Type(), len(entries))
		for i, e := range entries {
			p := fmt.Sprintf("%s.entry.%d", path, i+1)
			k, val := e.children["key"], e.children["value"]
			if k == nil || val == nil || len(e.children) != 2 {
				return fmt.Errorf("parameter %s must have exactly a key and a value", p)
			}
			kv := reflect.New(v.Type().Key()).Elem()
			if err := decodeValue(k, kv, p+".key"); err != nil {
				return err
			}
			vv := reflect.New(v.Type().Elem()).Elem()
			if err := decodeValue(val, vv, p+".value"); err != nil {
				return err
			}
			m.SetMapIndex(kv, vv)
		}
		v.Set(m)
		return nil
	}
	if len(n.children) > 0 || !n.hasValue {
		return fmt.Errorf("parameter %s must be a single value", path)
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.value)
		if err != nil || (n.value != "true" && n.value != "false") {
			return fmt.Errorf("parameter %s: %q is not a boolean", path, n.value)
		}
		v.SetBool(b)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		i, err := strconv.ParseInt(n.value, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("parameter %s: %q is not an integer", path, n.value)
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(n.value, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("parameter %s: %q is not a number", path, n.value)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("parameter %s: the emulator cannot decode a %s", path, v.Type())
	}
	return nil
}

// indexed returns the numbered children 1..N of n's child named wrapper
// ("member" or "entry"), in order; "Name=" with no children is an empty
// list.
func indexed(n *formNode, wrapper, path string) ([]*formNode, error) {
	if len(n.children) == 0 {
		if n.hasValue && n.value == "" {
			return nil, nil
		}
		return nil, fmt.Errorf("parameter %s must be a list (%s.%s.N)", path, path, wrapper)
	}
	w := n.children[wrapper]
	if w == nil || len(n.children) != 1 || n.hasValue {
		return nil, fmt.Errorf("parameter %s must be a list (%s.%s.N)", path, path, wrapper)
	}
	items := make([]*formNode, len(w.children))
	for k, c := range w.children {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > len(items) || strconv.Itoa(i) != k {
			return nil, fmt.Errorf("parameter %s.%s.%s: list indexes must run 1..%d", path, wrapper, k, len(items))
		}
		items[i-1] = c
	}
	return items, nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
