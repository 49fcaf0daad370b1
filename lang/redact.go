package lang

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// redactedMessage replaces an error message that would reveal a sensitive
// value.
const redactedMessage = "the value is derived from a sensitive value, so why it is not valid is not shown"

// sensitiveLeaves returns the text of every primitive value inside vals
// that carries the Sensitive mark (directly or through an enclosing
// value): strings as they are, numbers in decimal and in exponent form.
func sensitiveLeaves(vals ...cty.Value) []string {
	var out []string
	for _, v := range vals {
		if !v.ContainsMarked() {
			continue
		}
		u, pvm := v.UnmarkDeepWithPaths()
		for _, pm := range pvm {
			if _, ok := pm.Marks[Sensitive]; !ok {
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

// revealsSensitive reports whether msg shows any sensitive part of vals.
// It errs on the side of redacting: a short secret matches often.
func revealsSensitive(msg string, vals ...cty.Value) bool {
	lower := strings.ToLower(msg)
	for _, leaf := range sensitiveLeaves(vals...) {
		if leaf == "" {
			if strings.Contains(msg, `""`) {
				return true
			}
			continue
		}
		if isNumberText(leaf) {
			if regexp.MustCompile(`(^|[^0-9.])` + regexp.QuoteMeta(leaf) + `($|[^0-9])`).MatchString(msg) {
				return true
			}
			continue
		}
		if strings.Contains(lower, strings.ToLower(leaf)) {
			return true
		}
		// Messages quote values (%q, JSON): a secret with quotes,
		// backslashes or control characters appears escaped.
		q := strconv.Quote(leaf)
		if strings.Contains(lower, strings.ToLower(q[1:len(q)-1])) {
			return true
		}
	}
	return false
}

var numberText = regexp.MustCompile(`^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$`)

func isNumberText(s string) bool { return numberText.MatchString(s) }

// redactErr replaces err whenever an argument is sensitive, keeping the
// argument an ArgError points at: a function's message may show a
// fragment of its argument ("cannot use "0X..." as day of month"), or
// its first character, which no text search for the whole secret finds.
func redactErr(err error, args []cty.Value) error {
	if err == nil || !anySensitive(args) {
		return err
	}
	var ae function.ArgError
	if errors.As(err, &ae) {
		return function.NewArgErrorf(ae.Index, redactedMessage)
	}
	return errors.New(redactedMessage)
}

// redactingFunc wraps f so that its errors never show a sensitive
// argument (cty's stdlib quotes arguments in its messages: `cannot
// convert "..." to number`). It is otherwise transparent: it passes every
// argument, marked, unknown, null or dynamic, to f, which handles them as
// it always does (including the refinements of unknown results).
func redactingFunc(f function.Function) function.Function {
	open := func(p function.Parameter) function.Parameter {
		p.AllowMarked, p.AllowUnknown, p.AllowNull, p.AllowDynamicType = true, true, true, true
		return p
	}
	spec := &function.Spec{Description: f.Description()}
	for _, p := range f.Params() {
		spec.Params = append(spec.Params, open(p))
	}
	if vp := f.VarParam(); vp != nil {
		p := open(*vp)
		spec.VarParam = &p
	}
	spec.Type = func(args []cty.Value) (cty.Type, error) {
		t, err := f.ReturnTypeForValues(args)
		return t, redactErr(err, args)
	}
	spec.Impl = func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v, err := f.Call(args)
		return v, redactErr(err, args)
	}
	return function.New(spec)
}

// marksArgs reports whether a function handles marked arguments itself
// (or takes expressions, as try and can do): those are not wrapped.
func marksArgs(f function.Function) bool {
	ps := f.Params()
	if vp := f.VarParam(); vp != nil {
		ps = append(ps, *vp)
	}
	for _, p := range ps {
		if p.AllowMarked || p.Type.IsCapsuleType() {
			return true
		}
	}
	return false
}

// anySensitive reports whether any of vals carries the sensitive mark,
// deeply.
func anySensitive(vals []cty.Value) bool {
	for _, v := range vals {
		if v.ContainsMarked() {
			_, pvm := v.UnmarkDeepWithPaths()
			for _, m := range pvm {
				if _, ok := m.Marks[Sensitive]; ok {
					return true
				}
			}
		}
	}
	return false
}

// RedactSensitive replaces, in a message that came from elsewhere (a
// provider's error or event), every sensitive string of vals, as it is
// and quoted, with "(sensitive value)": a provider echoing its input
// ("open /secrets/hunter2: no such file") must not reveal it. Very short
// strings and numbers are left alone, they would match everywhere; a short
// secret is replaced only where it stands as a word of its own (see
// replaceWord), so that a password that happens to be part of a path is
// neither mangled into it nor pointed at by the mangling.
func RedactSensitive(msg string, vals ...cty.Value) string {
	if msg == "" {
		return msg
	}
	for _, leaf := range sensitiveLeaves(vals...) {
		if len(leaf) < 4 || isNumberText(leaf) {
			continue
		}
		q := strconv.Quote(leaf)
		for _, form := range []string{leaf, q[1 : len(q)-1]} {
			if len(leaf) >= wholeSecretLen {
				msg = strings.ReplaceAll(msg, form, "(sensitive value)")
			} else {
				msg = replaceWord(msg, form, "(sensitive value)")
			}
		}
	}
	return msg
}

// wholeSecretLen is the length from which a secret is replaced wherever it
// appears: a string that long (a token, a generated password) does not
// occur inside other text by chance.
const wholeSecretLen = 16

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
