package redact

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

func sensitive(v cty.Value) cty.Value { return v.Mark(providers.SensitiveMark) }

// TestString: a secret echoed in a provider's message is replaced where
// it stands as a word of its own; a short one inside a longer word (a
// path) is left, so that the text is not mangled into pointing at it; a
// long one is replaced everywhere; short ones and numbers are left alone.
func TestString(t *testing.T) {
	var s Secrets
	s.AddValues(cty.ObjectVal(map[string]cty.Value{
		"short": sensitive(cty.StringVal("berth-test")),
		"long":  sensitive(cty.StringVal("s3cr3t-t0ken-0123456789")),
		"tiny":  sensitive(cty.StringVal("abc")),
		"num":   sensitive(cty.NumberIntVal(1234)),
		"quote": sensitive(cty.StringVal(`pa"ss\word-0123456789`)),
		"plain": cty.StringVal("not-a-secret"),
		"deep": cty.ObjectVal(map[string]cty.Value{"l": cty.ListVal([]cty.Value{
			cty.MapVal(map[string]cty.Value{"k": sensitive(cty.StringVal("nested-secret-9876543210"))}),
		})}),
	}))
	for _, c := range []struct{ msg, want string }{
		{"login as berth with berth-test: denied", "login as berth with (sensitive value): denied"},
		{`password "berth-test" rejected`, `password "(sensitive value)" rejected`},
		{"https://berth:berth-test@registry/v2/", "https://berth:(sensitive value)@registry/v2/"},
		{"dial unix /tmp/berth-testenv/b/d.sock: no such file", "dial unix /tmp/berth-testenv/b/d.sock: no such file"},
		{"xberth-test and berth-test", "xberth-test and (sensitive value)"},
		{"berth-test", "(sensitive value)"},
		{"token=s3cr3t-t0ken-0123456789abc", "token=(sensitive value)abc"},
		{"1234 is no secret, abc neither", "1234 is no secret, abc neither"},
		{"not-a-secret", "not-a-secret"},
		{`got "pa\"ss\\word-0123456789"`, `got "(sensitive value)"`},
		{"got nested-secret-9876543210", "got (sensitive value)"},
		{"", ""},
	} {
		if got := s.String(c.msg); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
}

// TestContainsMarked agrees with cty's ContainsMarked on every shape.
func TestContainsMarked(t *testing.T) {
	m := sensitive(cty.StringVal("x"))
	for _, v := range []cty.Value{
		cty.StringVal("x"), m, cty.NullVal(cty.String), cty.NullVal(cty.String).Mark(providers.SensitiveMark),
		cty.UnknownVal(cty.String), cty.UnknownVal(cty.String).Mark(providers.SensitiveMark),
		cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")}), cty.ObjectVal(map[string]cty.Value{"a": m}),
		cty.TupleVal([]cty.Value{cty.True, cty.ObjectVal(map[string]cty.Value{"a": m})}),
		cty.ListVal([]cty.Value{cty.MapVal(map[string]cty.Value{"k": m})}),
		cty.MapVal(map[string]cty.Value{"k": cty.ListVal([]cty.Value{cty.StringVal("a"), m})}),
		cty.SetVal([]cty.Value{cty.StringVal("a"), m}),
		cty.ListValEmpty(cty.String), cty.EmptyObjectVal,
	} {
		if got, want := containsMarked(v), v.ContainsMarked(); got != want {
			t.Errorf("containsMarked(%#v) = %v, want %v", v, got, want)
		}
	}
}

// TestLongestFirst: a secret that contains another is replaced whole, not
// cut around the shorter one.
func TestLongestFirst(t *testing.T) {
	var s Secrets
	s.Add("hunter2x", "hunter2x-and-more-than-16")
	if got := s.String("pw hunter2x-and-more-than-16 end"); got != "pw (sensitive value) end" {
		t.Errorf("got %q", got)
	}
}

// TestMultilineSecret: a secret of several lines (a private key) is
// replaced whole, and each of its lines is replaced where a log carries it
// a line at a time.
func TestMultilineSecret(t *testing.T) {
	key := "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\n-----END KEY-----\n"
	var s Secrets
	s.Add(key)
	if got := s.String("key: " + key); strings.Contains(got, "MIIEvQ") {
		t.Errorf("the whole key: %q", got)
	}
	if got := s.String("[DEBUG] plugin: MIIEvQIBADANBgkqhkiG9w0BAQEF"); got != "[DEBUG] plugin: (sensitive value)" {
		t.Errorf("one line of the key: %q", got)
	}
}

// TestWriter: what goes through the writer comes out redacted, also when
// a secret is split across writes, and with the secrets known when the
// text is written.
func TestWriter(t *testing.T) {
	const secret = "tok-3f9a8b7c6d5e4f3a2b1c"
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"one entry", []string{"[ERROR] panic: " + secret + "\n"}, "[ERROR] panic: (sensitive value)\n"},
		{"split secret", []string{"[ERROR] panic: tok-3f9a8b", "7c6d5e4f3a2b1c\n"}, "[ERROR] panic: (sensitive value)\n"},
		{"split by bytes", strings.Split("a "+secret+" b\n", ""), "a (sensitive value) b\n"},
		{"two entries in one write", []string{"x\n" + secret + "\ny\n"}, "x\n(sensitive value)\ny\n"},
		{"unterminated line held", []string{"first\n", "partial " + secret}, "first\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Secrets
			s.Add(secret)
			var out bytes.Buffer
			w := s.Writer(&out)
			for _, p := range tt.writes {
				if n, err := w.Write([]byte(p)); err != nil || n != len(p) {
					t.Fatalf("Write(%q) = %d, %v", p, n, err)
				}
			}
			if out.String() != tt.want {
				t.Errorf("got %q, want %q", out.String(), tt.want)
			}
		})
	}
}

// TestWriterBound: an endless line is written anyway once it is long.
func TestWriterBound(t *testing.T) {
	var s Secrets
	var out bytes.Buffer
	w := s.Writer(&out)
	big := strings.Repeat("x", maxHeld)
	if _, err := w.Write([]byte(big)); err != nil {
		t.Fatal(err)
	}
	if out.Len() != maxHeld {
		t.Errorf("%d bytes written of an unterminated %d", out.Len(), maxHeld)
	}
}

// TestConcurrent: secrets added while text is redacted (the core adds
// them as it calls providers, the log writes from other goroutines); run
// with -race.
func TestConcurrent(t *testing.T) {
	var s Secrets
	var out bytes.Buffer
	w := s.Writer(&out)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				sec := fmt.Sprintf("secret-%d-%d-padding-xyz", i, j)
				s.Add(sec)
				fmt.Fprintf(w, "line %s\n", sec)
				if got := s.String("is " + sec); got != "is "+Placeholder {
					t.Errorf("got %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
	if strings.Contains(out.String(), "secret-") {
		t.Errorf("a secret went through the writer")
	}
}

// BenchmarkString measures a log line against many secrets (an apply of
// many objects that each have one).
func BenchmarkString(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var s Secrets
			for i := range n {
				s.Add(fmt.Sprintf("generated-password-%08d", i))
			}
			line := `2026-12-02T14:15:04.805Z [DEBUG] berth.berth-test/test.berth-provider-test: stored o-123 in /tmp/store.json after 3 attempts`
			b.ResetTimer()
			for b.Loop() {
				s.String(line)
			}
		})
	}
}
