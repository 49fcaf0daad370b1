package lang

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/platform/app"
)

// attribute checks shared by the domain schemas. They receive the value
// with its marks: shown() stands for it in messages, so that a sensitive
// value is never printed.

// shown formats v for a message: a quoted string, a number, or
// "(sensitive value)" when v carries the Sensitive mark.
func shown(v cty.Value) string {
	if v.ContainsMarked() {
		return "(sensitive value)"
	}
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "(known after apply)"
	case v.Type() == cty.String:
		return strconv.Quote(v.AsString())
	case v.Type() == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	}
	return "the given value"
}

// shownBare is shown without the quotes of a string (a duration in
// parentheses: "The timeout (10s) ...").
func shownBare(v cty.Value) string {
	if !v.ContainsMarked() && v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
		return v.AsString()
	}
	return shown(v)
}

func checkDuration(v cty.Value) error {
	_, err := app.ParseDurationShown(unmarked(v).AsString(), shown(v))
	return err
}

// checkProbeTimeout: a probe's timeout is positive (a 0s timeout fails
// every check). A platform's own granularity (whole seconds, say) is its
// CheckApp's rule, not the language's.
func checkProbeTimeout(v cty.Value) error {
	d, err := app.ParseDurationShown(unmarked(v).AsString(), shown(v))
	if err == nil && d <= 0 {
		return fmt.Errorf("a probe timeout must be positive, got %s", shown(v))
	}
	return err
}

// checkPositiveQuantity: resource limits are positive quantities.
func checkPositiveQuantity(v cty.Value) error {
	s := strings.TrimSpace(unmarked(v).AsString())
	neg := strings.HasPrefix(s, "-")
	q, err := app.ParseQuantityShown(strings.TrimPrefix(s, "-"), shown(v))
	if err == nil && (neg || q.IsZero()) {
		return fmt.Errorf("must be positive, got %s", shown(v))
	}
	return err
}

// maxCPU is the largest CPU limit, in cores.
const maxCPU = 1_000_000

func checkCPU(v cty.Value) error {
	if err := checkPositiveQuantity(v); err != nil && !strings.Contains(err.Error(), "too large") {
		return err
	} else if err != nil {
		return fmt.Errorf("a CPU limit must be at most %d cores, got %s", maxCPU, shown(v))
	}
	if q, _ := app.ParseQuantity(unmarked(v).AsString()); q.Cmp(app.MustParseQuantity(strconv.Itoa(maxCPU))) > 0 {
		return fmt.Errorf("a CPU limit must be at most %d cores, got %s", maxCPU, shown(v))
	}
	return nil
}

// CheckCount checks a known value of the count meta-argument: a whole
// number between 0 and 2147483647, as in Terraform. The message does not
// show the value (it may be sensitive).
func CheckCount(v cty.Value) error {
	v, _ = v.Unmark()
	if v.IsNull() {
		return errors.New("count must not be null")
	}
	bf := v.AsBigFloat()
	if bf.IsInf() || !bf.IsInt() || bf.Sign() < 0 || bf.Cmp(big.NewFloat(maxWhole)) > 0 {
		return fmt.Errorf("count must be a whole number between 0 and %d", maxWhole)
	}
	return nil
}

// maxWhole is the upper bound of whole-number attributes (and count), as
// in Terraform: the range of a signed 32-bit integer.
const maxWhole = math.MaxInt32

func checkAtLeast(n int64) func(cty.Value) error {
	return func(v cty.Value) error {
		bf := unmarked(v).AsBigFloat()
		if bf.Cmp(big.NewFloat(float64(n))) < 0 {
			return fmt.Errorf("must be at least %d, got %s", n, shown(v))
		}
		if bf.IsInf() || bf.Cmp(big.NewFloat(maxWhole)) > 0 {
			return fmt.Errorf("must be a number between %d and %d, got %s", n, maxWhole, shown(v))
		}
		return nil
	}
}

// checkWhole accepts whole numbers from minimum to 2147483647.
func checkWhole(minimum int64) func(cty.Value) error {
	return checkWholeRange(minimum, maxWhole)
}

func checkWholeRange(minimum, maximum int64) func(cty.Value) error {
	return func(v cty.Value) error {
		bf := unmarked(v).AsBigFloat()
		switch {
		case bf.IsInf() || bf.Cmp(new(big.Float).SetInt64(maximum)) > 0:
			return fmt.Errorf("must be a whole number between %d and %d, got %s", minimum, maximum, shown(v))
		case !bf.IsInt():
			return fmt.Errorf("must be a whole number, got %s", shown(v))
		case bf.Cmp(new(big.Float).SetInt64(minimum)) < 0:
			return fmt.Errorf("must be at least %d, got %s", minimum, shown(v))
		}
		return nil
	}
}

func checkOneOf(options ...string) func(cty.Value) error {
	return func(v cty.Value) error {
		s := unmarked(v).AsString()
		for _, o := range options {
			if s == o {
				return nil
			}
		}
		msg := fmt.Sprintf("%s is not one of %s", shown(v), quoteList(options))
		if sug := NameSuggestion(s, options); sug != "" && !v.ContainsMarked() {
			msg += fmt.Sprintf("; did you mean %q?", sug)
		}
		return errors.New(msg)
	}
}

func checkPortNumber(v cty.Value) error {
	bf := unmarked(v).AsBigFloat()
	if bf.IsInf() || !bf.IsInt() || bf.Cmp(big.NewFloat(1)) < 0 || bf.Cmp(big.NewFloat(65535)) > 0 {
		return fmt.Errorf("a port number must be a whole number from 1 to 65535, got %s", shown(v))
	}
	return nil
}

var portNumberShape = regexp.MustCompile(`^[+-]?[0-9]+$`)

// checkPortRef accepts a port name or a port number (as the string the
// number converted to).
func checkPortRef(v cty.Value) error {
	s := unmarked(v).AsString()
	if s == "" {
		return errors.New("a port name or number is required")
	}
	if portNumberShape.MatchString(s) {
		n, _ := new(big.Float).SetString(s)
		_, marks := v.Unmark()
		return checkPortNumber(cty.NumberVal(n).WithMarks(marks))
	}
	return nil
}

// checkStatusCodes: HTTP status codes are whole numbers from 100 to 599.
func checkStatusCodes(v cty.Value) error {
	u := unmarked(v)
	if u.LengthInt() == 0 {
		return errors.New("at least one status code is required; omit the argument for the default, 200-399")
	}
	_, marks := v.Unmark()
	for it := u.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return errors.New("status codes must not be null")
		}
		bf := e.AsBigFloat()
		if bf.IsInf() || !bf.IsInt() || bf.Cmp(big.NewFloat(100)) < 0 || bf.Cmp(big.NewFloat(599)) > 0 {
			return fmt.Errorf("an HTTP status code must be a whole number from 100 to 599, got %s", shown(e.WithMarks(marks)))
		}
	}
	return nil
}

// checkNonEmptyCommand: a command needs at least its program.
func checkNonEmptyCommand(v cty.Value) error {
	u := unmarked(v)
	if u.LengthInt() == 0 {
		return errors.New("the command must not be empty: give at least the program to run, such as [\"/bin/warm-cache\"]")
	}
	if first := u.Index(cty.NumberIntVal(0)); first.IsKnown() && (first.IsNull() || first.AsString() == "") {
		return errors.New("the program to run (the first element) must not be empty")
	}
	return nil
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func strVal(s string) cty.Value { return cty.StringVal(s) }
func numVal(n int64) cty.Value  { return cty.NumberIntVal(n) }

// durVal is a duration default as the language writes it ("10s").
func durVal(d time.Duration) cty.Value { return cty.StringVal(app.FormatDuration(d)) }

func errAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}
