// Package redact holds the secrets berth knows of and takes them out of
// text it did not write. A provider's messages, its log lines and its panic
// messages are such text: a provider may echo a password it was given
// ("open /secrets/hunter2: no such file") or panic with it.
//
// The core registers every sensitive value it hands a provider (sensitive
// variables, sensitive attributes, the provider's configuration) with the
// process's set (AddValues) before the call, so that whatever the provider
// writes while the call runs is redacted both where berth logs it (the
// BERTH_LOG sink writes through NewWriter) and where berth shows it (the
// diagnostics, through String): one set, one set of rules.
//
// The rules: a secret is replaced by "(sensitive value)", as it is and as
// Go would quote it (messages quote values: %q, JSON). Secrets shorter than
// 4 characters and numbers are left alone, they would match everywhere. A
// secret shorter than 16 characters is replaced only where it stands as a
// word of its own, so that a password that happens to be part of a path is
// neither mangled into it nor pointed at by the mangling; a longer one (a
// token, a generated password) is replaced wherever it appears. A secret of
// several lines is also known by each of its lines, since logs carry text
// a line at a time.
package redact

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/berth-sh/berth/providers"
	"github.com/zclconf/go-cty/cty"
)

// Placeholder replaces a secret.
const Placeholder = "(sensitive value)"

// Secrets is a set of secret strings. The zero value is an empty set; a
// Secrets is safe for concurrent use.
type Secrets struct {
	mu sync.RWMutex
	// anywhere maps each form a secret is searched in (as it is, quoted) to
	// whether it is replaced wherever it appears (a long secret) or only
	// as a word.
	anywhere map[string]bool
	// byPrefix indexes the forms by their first minSecretLen bytes, so
	// that a message is searched once whatever the number of secrets.
	byPrefix map[uint32][]string
}

// process is the set of this process's secrets.
var process Secrets

// AddValues adds the sensitive strings of vals to the process's set.
func AddValues(vals ...cty.Value) { process.AddValues(vals...) }

// String returns msg with every secret of the process's set replaced.
func String(msg string) string { return process.String(msg) }

// wholeSecretLen is the length from which a secret is replaced wherever it
// appears: a string that long does not occur inside other text by chance.
const wholeSecretLen = 16

// minSecretLen is the length below which a secret is not searched for.
const minSecretLen = 4

// Add adds secrets to s. Those the rules leave alone (short, numbers) are
// ignored.
func (s *Secrets) Add(secrets ...string) {
	var add []string
	for _, sec := range secrets {
		add = append(add, sec)
		if strings.Contains(sec, "\n") {
			for l := range strings.SplitSeq(sec, "\n") {
				add = append(add, strings.TrimSpace(l))
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range add {
		if len(sec) < minSecretLen || IsNumberText(sec) {
			continue
		}
		q := strconv.Quote(sec)
		for _, form := range []string{sec, q[1 : len(q)-1]} {
			if _, ok := s.anywhere[form]; ok {
				continue
			}
			if s.anywhere == nil {
				s.anywhere, s.byPrefix = map[string]bool{}, map[uint32][]string{}
			}
			s.anywhere[form] = len(sec) >= wholeSecretLen
			p := prefix(form)
			s.byPrefix[p] = append(s.byPrefix[p], form)
		}
	}
}

// AddValues adds the sensitive strings of vals to s (see Leaves).
func (s *Secrets) AddValues(vals ...cty.Value) {
	if leaves := Leaves(vals...); len(leaves) > 0 {
		s.Add(leaves...)
	}
}

// String returns msg with every secret of s replaced by Placeholder.
func (s *Secrets) String(msg string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.anywhere) == 0 {
		return msg
	}
	var found []string
	for i := 0; i+minSecretLen <= len(msg); i++ {
		for _, form := range s.byPrefix[prefix(msg[i:])] {
			if strings.HasPrefix(msg[i:], form) && !slices.Contains(found, form) {
				found = append(found, form)
			}
		}
	}
	// Longest first, so that a secret that contains another is replaced
	// whole.
	slices.SortFunc(found, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	for _, form := range found {
		if s.anywhere[form] {
			msg = strings.ReplaceAll(msg, form, Placeholder)
		} else {
			msg = replaceWord(msg, form, Placeholder)
		}
	}
	return msg
}

// prefix is the index key of a text: its first minSecretLen bytes.
func prefix(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// Leaves returns the text of every primitive value inside vals that
// carries a sensitive mark (directly or through an enclosing value):
// strings as they are, numbers in decimal and in exponent form.
func Leaves(vals ...cty.Value) []string {
	var out []string
	for _, v := range vals {
		if v == cty.NilVal || !containsMarked(v) {
			continue
		}
		u, pvm := providers.UnmarkDeepWithPaths(v)
		for _, pm := range pvm {
			if !providers.HasSensitiveMark(pm.Marks) {
				continue
			}
			sub, err := pm.Path.Apply(u)
			if err != nil {
				continue
			}
			_ = cty.Walk(sub, func(_ cty.Path, e cty.Value) (bool, error) {
				if e.IsNull() || !e.IsKnown() {
					return true, nil
				}
				switch e.Type() {
				case cty.String:
					out = append(out, e.AsString())
				case cty.Number:
					bf := e.AsBigFloat()
					out = append(out, bf.Text('f', -1), bf.Text('g', -1), bf.String())
				}
				return true, nil
			})
		}
	}
	return out
}

// containsMarked is cty's ContainsMarked without its paths and
// iterators, which allocate for every element: the core asks it of every
// value it hands a provider, 10,000 objects a plan, and nearly all hold
// no mark.
func containsMarked(v cty.Value) bool {
	if v.IsMarked() {
		return true
	}
	if v.IsNull() || !v.IsKnown() {
		return false
	}
	ty := v.Type()
	switch {
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			if containsMarked(v.GetAttr(name)) {
				return true
			}
		}
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		for _, e := range v.AsValueSlice() {
			if containsMarked(e) {
				return true
			}
		}
	case ty.IsMapType():
		for _, e := range v.AsValueMap() {
			if containsMarked(e) {
				return true
			}
		}
	}
	return false
}

var numberText = regexp.MustCompile(`^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$`)

// IsNumberText reports whether s is written like a number.
func IsNumberText(s string) bool { return numberText.MatchString(s) }

// replaceWord replaces the occurrences of word in s that are not part of a
// longer run of letters and digits.
func replaceWord(s, word, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, word)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(word)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[end:])
		b.WriteString(s[:i])
		if i > 0 && isWordRune(before) || end < len(s) && isWordRune(after) {
			b.WriteString(word)
		} else {
			b.WriteString(with)
		}
		s = s[end:]
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
