package lang

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	ctyyaml "github.com/zclconf/go-cty-yaml"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// moreFunctions are Terraform's functions that cty's stdlib lacks or
// defines differently.
func moreFunctions(baseDir string) map[string]function.Function {
	return map[string]function.Function{
		"abspath":      abspathFunc,
		"alltrue":      allTrueFunc,
		"anytrue":      anyTrueFunc,
		"base64sha256": hashFunc(sha256.New, true),
		"basename":     pathFunc(filepath.Base),
		"cidrhost":     cidrHostFunc,
		"cidrsubnet":   cidrSubnetFunc,
		"coalesce":     coalesceFunc,
		"dirname":      pathFunc(filepath.Dir),
		"filebase64":   fileBase64Func(baseDir),
		"md5":          hashFunc(md5.New, false),
		"one":          oneFunc,
		"pathexpand":   pathExpandFunc,
		"sha1":         hashFunc(sha1.New, false),
		"sha256":       hashFunc(sha256.New, false),
		"strcontains":  strContainsFunc,
		"sum":          sumFunc,
		"timeadd":      stdlib.TimeAddFunc,
		"timestamp":    timestampFunc,
		"urlencode":    urlEncodeFunc,
		"uuid":         uuidFunc,
		"yamldecode":   ctyyaml.YAMLDecodeFunc,
		"yamlencode":   ctyyaml.YAMLEncodeFunc,
	}
}

func strParam(name string) []function.Parameter {
	return []function.Parameter{{Name: name, Type: cty.String}}
}

// hashFunc is md5, sha1, sha256 (hex of the UTF-8 bytes) or, with b64,
// base64sha256.
func hashFunc(h func() hash.Hash, b64 bool) function.Function {
	return function.New(&function.Spec{
		Params: strParam("str"),
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			hh := h()
			hh.Write([]byte(args[0].AsString()))
			sum := hh.Sum(nil)
			if b64 {
				return cty.StringVal(base64.StdEncoding.EncodeToString(sum)), nil
			}
			return cty.StringVal(hex.EncodeToString(sum)), nil
		},
	})
}

func fileBase64Func(baseDir string) function.Function {
	return function.New(&function.Spec{
		Params: strParam("path"),
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			b, err := os.ReadFile(resolvePath(baseDir, p))
			if err != nil {
				if os.IsNotExist(err) {
					return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "no file exists at %s", p)
				}
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "cannot read %s: %s", p, err)
			}
			return cty.StringVal(base64.StdEncoding.EncodeToString(b)), nil
		},
	})
}

// coalesceFunc is Terraform's coalesce: the first argument that is not
// null and not an empty string (cty's skips only nulls).
var coalesceFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "vals", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true, AllowNull: true},
	Type: func(args []cty.Value) (cty.Type, error) {
		types := make([]cty.Type, len(args))
		for i, a := range args {
			types[i] = a.Type()
		}
		t, _ := convert.UnifyUnsafe(types)
		if t == cty.NilType {
			return cty.NilType, errors.New("all arguments must have the same type")
		}
		return t, nil
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		for _, a := range args {
			v, err := convert.Convert(a, retType)
			if err != nil {
				return cty.UnknownVal(retType), errors.New("all arguments must have the same type")
			}
			if !v.IsKnown() {
				return cty.UnknownVal(retType), nil
			}
			if v.IsNull() || retType == cty.String && v.AsString() == "" {
				continue
			}
			return v, nil
		}
		return cty.NilVal, errors.New("no non-null, non-empty-string arguments")
	},
})

// oneFunc is Terraform's one: the element of a list, set or tuple of at
// most one element, or null for none.
var oneFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type: func(args []cty.Value) (cty.Type, error) {
		t := args[0].Type()
		switch {
		case t.IsListType() || t.IsSetType():
			return t.ElementType(), nil
		case t.IsTupleType():
			switch ets := t.TupleElementTypes(); len(ets) {
			case 0:
				return cty.DynamicPseudoType, nil
			case 1:
				return ets[0], nil
			}
		}
		return cty.NilType, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		v := args[0]
		switch n := v.LengthInt(); n {
		case 0:
			return cty.NullVal(retType), nil
		case 1:
			it := v.ElementIterator()
			it.Next()
			_, e := it.Element()
			return e, nil
		}
		return cty.NilVal, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
	},
})

// sumFunc is Terraform's sum of a list, set or tuple of numbers.
var sumFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		t := v.Type()
		if !t.IsListType() && !t.IsSetType() && !t.IsTupleType() {
			return cty.NilVal, function.NewArgErrorf(0, "cannot sum noniterable")
		}
		if v.LengthInt() == 0 {
			return cty.NilVal, function.NewArgErrorf(0, "cannot sum an empty list")
		}
		total := cty.Zero
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() {
				return cty.NilVal, function.NewArgErrorf(0, "argument must be list, set, or tuple of number values; null is not allowed")
			}
			n, err := convert.Convert(e, cty.Number)
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(0, "argument must be list, set, or tuple of number values")
			}
			if !n.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			total = total.Add(n)
		}
		return total, nil
	},
})

// allTrueFunc and anyTrueFunc are Terraform's alltrue and anytrue over a
// list of bools (a null element counts as false).
var allTrueFunc = boolFold(true)
var anyTrueFunc = boolFold(false)

func boolFold(all bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			unknown := false
			for it := args[0].ElementIterator(); it.Next(); {
				_, e := it.Element()
				switch {
				case !e.IsKnown():
					unknown = true
				case e.IsNull() || e.False():
					if all {
						return cty.False, nil
					}
				default:
					if !all {
						return cty.True, nil
					}
				}
			}
			if unknown {
				return cty.UnknownVal(cty.Bool), nil
			}
			return cty.BoolVal(all), nil
		},
	})
}

var strContainsFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.BoolVal(strings.Contains(args[0].AsString(), args[1].AsString())), nil
	},
})

// urlEncodeFunc is Terraform's urlencode: query escaping (a space is "+").
var urlEncodeFunc = function.New(&function.Spec{
	Params: strParam("str"),
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(url.QueryEscape(args[0].AsString())), nil
	},
})

var abspathFunc = function.New(&function.Spec{
	Params: strParam("path"),
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := filepath.Abs(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		return cty.StringVal(filepath.ToSlash(p)), nil
	},
})

func pathFunc(f func(string) string) function.Function {
	return function.New(&function.Spec{
		Params: strParam("path"),
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(f(args[0].AsString())), nil
		},
	})
}

// pathExpandFunc is Terraform's pathexpand: a leading ~ is the home
// directory ("~/.kube/config"); other paths are returned unchanged.
var pathExpandFunc = function.New(&function.Spec{
	Params: strParam("path"),
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p := args[0].AsString()
		if p == "" || p[0] != '~' {
			return cty.StringVal(p), nil
		}
		if len(p) > 1 && p[1] != '/' && p[1] != '\\' {
			return cty.NilVal, function.NewArgErrorf(0, "cannot expand user-specific home dir")
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		return cty.StringVal(home + p[1:]), nil
	},
})

// uuidFunc and timestampFunc are impure, as in Terraform: each call
// returns a new value.
var uuidFunc = function.New(&function.Spec{
	Type: function.StaticReturnType(cty.String),
	Impl: func(_ []cty.Value, _ cty.Type) (cty.Value, error) {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return cty.NilVal, err
		}
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		h := hex.EncodeToString(b[:])
		return cty.StringVal(h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]), nil
	},
})

var timestampFunc = function.New(&function.Spec{
	Type: function.StaticReturnType(cty.String),
	Impl: func(_ []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(time.Now().UTC().Format(time.RFC3339)), nil
	},
})

// cidrHostFunc is Terraform's cidrhost(prefix, hostnum): the address
// numbered hostnum in prefix; a negative number counts from the end (-1
// is the last address).
var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "hostnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		num, err := wholeArg(args[1], 1)
		if err != nil {
			return cty.NilVal, err
		}
		hostBits := p.Addr().BitLen() - p.Bits()
		limit := new(big.Int).Lsh(big.NewInt(1), uint(hostBits)) // number of hosts
		if num.Sign() < 0 {
			num.Add(num, limit)
		}
		if num.Sign() < 0 || num.Cmp(limit) >= 0 {
			return cty.NilVal, function.NewArgErrorf(1, "prefix of %d does not accommodate a host numbered %s", p.Bits(), args[1].AsBigFloat().Text('f', -1))
		}
		return cty.StringVal(addrPlus(p.Addr(), num).String()), nil
	},
})

// cidrSubnetFunc is Terraform's cidrsubnet(prefix, newbits, netnum).
var cidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}, {Name: "newbits", Type: cty.Number}, {Name: "netnum", Type: cty.Number}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parseCIDR(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		nb, err := wholeArg(args[1], 1)
		if err != nil {
			return cty.NilVal, err
		}
		num, err := wholeArg(args[2], 2)
		if err != nil {
			return cty.NilVal, err
		}
		total := p.Addr().BitLen()
		if nb.Sign() < 0 || !nb.IsInt64() || p.Bits()+int(nb.Int64()) > total {
			return cty.NilVal, function.NewArgErrorf(1, "insufficient address space to extend prefix of %d by %s", p.Bits(), nb)
		}
		newLen := p.Bits() + int(nb.Int64())
		if num.Sign() < 0 || num.Cmp(new(big.Int).Lsh(big.NewInt(1), uint(nb.Int64()))) >= 0 {
			return cty.NilVal, function.NewArgErrorf(2, "prefix extension of %s does not accommodate a subnet numbered %s", nb, num)
		}
		offset := new(big.Int).Lsh(num, uint(total-newLen))
		return cty.StringVal(netip.PrefixFrom(addrPlus(p.Addr(), offset), newLen).String()), nil
	},
})

func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR expression: %s", strings.TrimPrefix(err.Error(), "netip.ParsePrefix("+fmt.Sprintf("%q", s)+"): "))
	}
	return p.Masked(), nil
}

func wholeArg(v cty.Value, i int) (*big.Int, error) {
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return nil, function.NewArgErrorf(i, "must be a whole number")
	}
	n, _ := bf.Int(nil)
	return n, nil
}

// addrPlus adds n (0 <= n < the prefix's size) to a.
func addrPlus(a netip.Addr, n *big.Int) netip.Addr {
	b := a.AsSlice()
	sum := new(big.Int).Add(new(big.Int).SetBytes(b), n)
	out := sum.FillBytes(make([]byte, len(b)))
	r, _ := netip.AddrFromSlice(out)
	return r
}
