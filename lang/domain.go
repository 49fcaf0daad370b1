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
)

// MaxDuration is the longest duration the language accepts: every
// duration is a wait or a bound on one, and a day is longer than any of
// them sensibly is.
const MaxDuration = 24 * time.Hour

var durationShape = regexp.MustCompile(`^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`)

// ParseDuration parses a duration such as "10s", "5m", "1h30m" or "250ms".
// Negative durations are rejected: every duration in the language is a
// wait or a bound; so are those longer than MaxDuration.
func ParseDuration(s string) (time.Duration, error) {
	return parseDuration(s, strconv.Quote(s))
}

// parseDuration is ParseDuration with shown standing for s in messages
// (redacted for a sensitive value).
func parseDuration(s, shown string) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, errors.New("a duration is required, such as \"10s\", \"5m\" or \"1h30m\"")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if durationShape.MatchString(strings.TrimPrefix(s, "+")) {
			// Well-formed but beyond time.Duration's range.
			return 0, fmt.Errorf("duration %s is too long; the maximum is %s", shown, formatDuration(MaxDuration))
		}
		if strings.HasPrefix(s, "-") && durationShape.MatchString(s[1:]) {
			return 0, fmt.Errorf("duration %s must not be negative", shown)
		}
		return 0, fmt.Errorf("%s is not a duration; use a number with a unit (ms, s, m, h), such as \"10s\", \"5m\" or \"1h30m\"", shown)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %s must not be negative", shown)
	}
	if d > MaxDuration {
		return 0, fmt.Errorf("duration %s is too long; the maximum is %s", shown, formatDuration(MaxDuration))
	}
	return d, nil
}

// formatDuration writes d without zero components: 24h, 1h30m, 10s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

var quantitySuffixes = map[string]float64{
	"":   1,
	"m":  1e-3,
	"k":  1e3,
	"M":  1e6,
	"G":  1e9,
	"T":  1e12,
	"P":  1e15,
	"E":  1e18,
	"Ki": 1 << 10,
	"Mi": 1 << 20,
	"Gi": 1 << 30,
	"Ti": 1 << 40,
	"Pi": 1 << 50,
	"Ei": 1 << 60,
}

// MaxQuantity is the largest quantity the language accepts, in base
// units: 8Ei, the range of Kubernetes' quantities (a signed 64-bit count).
const MaxQuantity = float64(1 << 63)

var quantityShape = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)

// ParseQuantity parses a Kubernetes-style quantity: a non-negative decimal
// number with an optional suffix, binary (Ki, Mi, Gi, Ti, Pi, Ei), decimal
// (k, M, G, T, P, E) or milli (m). It returns the value in base units:
// "2Gi" is 2147483648, "500m" is 0.5, "0.5" is 0.5. Quantities above
// MaxQuantity are rejected.
func ParseQuantity(s string) (float64, error) {
	return parseQuantity(s, strconv.Quote(s))
}

// parseQuantity is ParseQuantity with shown standing for s in messages.
func parseQuantity(s, shown string) (float64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, suffix := t[:i], t[i:]
	mult, ok := quantitySuffixes[suffix]
	if !ok || !quantityShape.MatchString(num) {
		return 0, fmt.Errorf("%s is not a quantity; use a number with an optional suffix, such as \"2Gi\", \"512Mi\", \"500m\" or \"0.5\"", shown)
	}
	if strings.HasPrefix(num, "-") {
		return 0, fmt.Errorf("quantity %s must not be negative", shown)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f) {
		return 0, fmt.Errorf("%s is not a quantity; use a number with an optional suffix, such as \"2Gi\", \"512Mi\", \"500m\" or \"0.5\"", shown)
	}
	if q := f * mult; err != nil || math.IsInf(q, 0) || q > MaxQuantity {
		return 0, fmt.Errorf("quantity %s is too large; the maximum is 8Ei", shown)
	}
	return f * mult, nil
}

// Waves splits a rollout of replicas instances into waves: the first wave
// has initialBatch instances, each following wave is growth times the
// previous one (rounded up), and the last wave takes what remains. For 6
// replicas, initial batch 1 and growth 2 it returns [1 2 3]. Values below 1
// for initialBatch or growth are treated as 1; replicas <= 0 gives nil.
func Waves(replicas, initialBatch int, growth float64) []int {
	if replicas <= 0 {
		return nil
	}
	if initialBatch < 1 {
		initialBatch = 1
	}
	if growth < 1 || math.IsNaN(growth) {
		growth = 1
	}
	var waves []int
	batch := initialBatch
	for remaining := replicas; remaining > 0; {
		n := min(batch, remaining)
		waves = append(waves, n)
		remaining -= n
		next := math.Ceil(float64(batch) * growth)
		if next > float64(replicas) {
			next = float64(replicas)
		}
		batch = max(int(next), 1)
	}
	return waves
}

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
	_, err := parseDuration(unmarked(v).AsString(), shown(v))
	return err
}

// checkProbeTimeout: a probe's timeout is positive (a 0s timeout fails
// every check). Kubernetes' granularity of a second is checked by
// checkApp, which knows the cluster; berth's own probes on Docker hosts
// take shorter timeouts.
func checkProbeTimeout(v cty.Value) error {
	d, err := parseDuration(unmarked(v).AsString(), shown(v))
	if err == nil && d <= 0 {
		return fmt.Errorf("a probe timeout must be positive, got %s", shown(v))
	}
	return err
}

// checkPositiveQuantity: resource limits are positive quantities.
func checkPositiveQuantity(v cty.Value) error {
	s := strings.TrimSpace(unmarked(v).AsString())
	neg := strings.HasPrefix(s, "-")
	q, err := parseQuantity(strings.TrimPrefix(s, "-"), shown(v))
	if err == nil && (neg || q <= 0) {
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
	if q, _ := ParseQuantity(unmarked(v).AsString()); q > maxCPU {
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

func errAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}
