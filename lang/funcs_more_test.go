package lang

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestMoreFunctions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bin"), []byte{0xff, 0x00, 'a'}, 0o644); err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	abs, _ := filepath.Abs("x/y")
	tests := []struct {
		expr string
		want cty.Value
		err  string // substring of the error, when one is expected
	}{
		{`coalesce("", "x")`, cty.StringVal("x"), ""},
		{`coalesce(null, "", "y", "z")`, cty.StringVal("y"), ""},
		{`coalesce(1, 2)`, cty.NumberIntVal(1), ""},
		{`coalesce(null, 2)`, cty.NumberIntVal(2), ""},
		{`coalesce("", null)`, cty.NilVal, "no non-null, non-empty-string arguments"},
		{`sha256("hello")`, cty.StringVal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), ""},
		{`sha1("hello")`, cty.StringVal("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"), ""},
		{`md5("hello")`, cty.StringVal("5d41402abc4b2a76b9719d911017c592"), ""},
		{`base64sha256("hello")`, cty.StringVal("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="), ""},
		{`filebase64("bin")`, cty.StringVal("/wBh"), ""},
		{`filebase64("nope")`, cty.NilVal, "no file exists at nope"},
		{`yamldecode("a: [1, 2]\nb: x\n")`, cty.ObjectVal(map[string]cty.Value{"a": cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)}), "b": cty.StringVal("x")}), ""},
		{`yamlencode({a = "x"})`, cty.StringVal("\"a\": \"x\"\n"), ""},
		{`one([])`, cty.NullVal(cty.DynamicPseudoType), ""},
		{`one(["a"])`, cty.StringVal("a"), ""},
		{`one(tolist(["a"]))`, cty.StringVal("a"), ""},
		{`one(["a", "b"])`, cty.NilVal, "either zero or one elements"},
		{`sum([1, 2, 3.5])`, cty.NumberFloatVal(6.5), ""},
		{`sum(toset([1, 2]))`, cty.NumberIntVal(3), ""},
		{`sum([])`, cty.NilVal, "cannot sum an empty list"},
		{`alltrue([true, true])`, cty.True, ""},
		{`alltrue([])`, cty.True, ""},
		{`alltrue([true, false])`, cty.False, ""},
		{`anytrue([false, true])`, cty.True, ""},
		{`anytrue([])`, cty.False, ""},
		{`strcontains("hello world", "o w")`, cty.True, ""},
		{`strcontains("hello", "x")`, cty.False, ""},
		{`urlencode("a b&c=d/é")`, cty.StringVal("a+b%26c%3Dd%2F%C3%A9"), ""},
		{`timeadd("2024-01-01T00:00:00Z", "90m")`, cty.StringVal("2024-01-01T01:30:00Z"), ""},
		{`abspath("x/y")`, cty.StringVal(filepath.ToSlash(abs)), ""},
		{`dirname("a/b/c.txt")`, cty.StringVal("a/b"), ""},
		{`basename("a/b/c.txt")`, cty.StringVal("c.txt"), ""},
		{`pathexpand("~/.kube/config")`, cty.StringVal(home + "/.kube/config"), ""},
		{`pathexpand("/etc/x")`, cty.StringVal("/etc/x"), ""},
		{`pathexpand("~bob/x")`, cty.NilVal, "user-specific"},
		{`cidrhost("10.12.112.0/20", 16)`, cty.StringVal("10.12.112.16"), ""},
		{`cidrhost("10.12.112.0/20", 268)`, cty.StringVal("10.12.113.12"), ""},
		{`cidrhost("10.12.112.0/20", -1)`, cty.StringVal("10.12.127.255"), ""},
		{`cidrhost("10.0.0.0/24", 256)`, cty.NilVal, "prefix of 24 does not accommodate a host numbered 256"},
		{`cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)`, cty.StringVal("fd00:fd12:3456:7890::22"), ""},
		{`cidrhost("10.0.0.5/24", 1)`, cty.StringVal("10.0.0.1"), ""},
		{`cidrhost("nope", 1)`, cty.NilVal, "invalid CIDR expression"},
		{`cidrsubnet("172.16.0.0/12", 4, 2)`, cty.StringVal("172.18.0.0/16"), ""},
		{`cidrsubnet("10.1.2.0/24", 4, 15)`, cty.StringVal("10.1.2.240/28"), ""},
		{`cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)`, cty.StringVal("fd00:fd12:3456:7800:a200::/72"), ""},
		{`cidrsubnet("10.1.2.0/24", 4, 16)`, cty.NilVal, "prefix extension of 4 does not accommodate a subnet numbered 16"},
		{`cidrsubnet("10.1.2.0/24", 9, 0)`, cty.NilVal, "insufficient address space to extend prefix of 24 by 9"},
	}
	s := &Scope{BaseDir: dir}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			expr, diags := parseExpr(tt.expr)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			got, diags := s.EvalExpr(expr, cty.DynamicPseudoType)
			if tt.err != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.err) {
					t.Fatalf("got %#v, %v; want an error with %q", got, diags, tt.err)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if !got.RawEquals(tt.want) && !(got.Type() == cty.Number && tt.want.Type() == cty.Number && got.Equals(tt.want).True()) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestImpureFunctions(t *testing.T) {
	s := &Scope{}
	eval := func(src string) string {
		expr, _ := parseExpr(src)
		v, diags := s.EvalExpr(expr, cty.String)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return v.AsString()
	}
	if u := eval("uuid()"); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(u) || u == eval("uuid()") {
		t.Errorf("uuid() = %q", u)
	}
	if ts := eval("timestamp()"); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(ts) {
		t.Errorf("timestamp() = %q", ts)
	}
}

// TestFunctionsKeepMarksAndRefinements: the wrapper that redacts errors
// passes marks and unknown values through as cty's functions do.
func TestFunctionsKeepMarksAndRefinements(t *testing.T) {
	s := &Scope{Data: mapData{"var.pw": cty.StringVal("abc").Mark(Sensitive), "var.u": cty.UnknownVal(cty.String)}}
	for src, want := range map[string]cty.Value{
		`upper(var.pw)`:    cty.StringVal("ABC").Mark(Sensitive),
		`sha256(var.pw)`:   cty.StringVal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad").Mark(Sensitive),
		`[upper(var.pw)]`:  cty.TupleVal([]cty.Value{cty.StringVal("ABC").Mark(Sensitive)}),
		`coalesce(var.pw)`: cty.StringVal("abc").Mark(Sensitive),
	} {
		expr, _ := parseExpr(src)
		got, diags := s.EvalExpr(expr, cty.DynamicPseudoType)
		if diags.HasErrors() || !got.RawEquals(want) {
			t.Errorf("%s = %#v, %v; want %#v", src, got, diags, want)
		}
	}
	expr, _ := parseExpr(`upper(var.u)`)
	got, _ := s.EvalExpr(expr, cty.DynamicPseudoType)
	if got.IsKnown() || got.Range().CouldBeNull() {
		t.Errorf("upper(unknown) = %#v, want a not-null unknown string", got)
	}
}
