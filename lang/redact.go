package lang

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/redact"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// redactedMessage replaces an error message that would reveal a sensitive
// value.
const redactedMessage = "the value is derived from a sensitive value, so why it is not valid is not shown"

// revealsSensitive reports whether msg shows any sensitive part of vals.
// It errs on the side of redacting: a short secret matches often.
func revealsSensitive(msg string, vals ...cty.Value) bool {
	lower := strings.ToLower(msg)
	for _, leaf := range redact.Leaves(vals...) {
		if leaf == "" {
			if strings.Contains(msg, `""`) {
				return true
			}
			continue
		}
		if redact.IsNumberText(leaf) {
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
