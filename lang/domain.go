package lang

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// ParseDuration parses a duration such as "10s", "5m", "1h30m" or "250ms".
// Negative durations are rejected: every duration in the language is a
// wait or a bound.
func ParseDuration(s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, errors.New("a duration is required, such as \"10s\", \"5m\" or \"1h30m\"")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; use a number with a unit (ms, s, m, h), such as \"10s\", \"5m\" or \"1h30m\"", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return d, nil
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

// ParseQuantity parses a Kubernetes-style quantity: a non-negative decimal
// number with an optional suffix, binary (Ki, Mi, Gi, Ti, Pi, Ei), decimal
// (k, M, G, T, P, E) or milli (m). It returns the value in base units:
// "2Gi" is 2147483648, "500m" is 0.5, "0.5" is 0.5.
func ParseQuantity(s string) (float64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, suffix := t[:i], t[i:]
	mult, ok := quantitySuffixes[suffix]
	if num == "" || !ok || strings.ContainsAny(num, "+-eE") {
		return 0, fmt.Errorf("%q is not a quantity; use a number with an optional suffix, such as \"2Gi\", \"512Mi\", \"500m\" or \"0.5\"", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a quantity; use a number with an optional suffix, such as \"2Gi\", \"512Mi\", \"500m\" or \"0.5\"", s)
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

// attribute checks shared by the domain schemas

func checkDuration(v cty.Value) error {
	_, err := ParseDuration(v.AsString())
	return err
}

func checkQuantity(v cty.Value) error {
	_, err := ParseQuantity(v.AsString())
	return err
}

func checkAtLeast(n int64) func(cty.Value) error {
	return func(v cty.Value) error {
		if v.AsBigFloat().Cmp(big.NewFloat(float64(n))) < 0 {
			return fmt.Errorf("must be at least %d, got %s", n, v.AsBigFloat().Text('f', -1))
		}
		return nil
	}
}

func checkWhole(minimum int64) func(cty.Value) error {
	return func(v cty.Value) error {
		if !v.AsBigFloat().IsInt() {
			return fmt.Errorf("must be a whole number, got %s", v.AsBigFloat().Text('f', -1))
		}
		return checkAtLeast(minimum)(v)
	}
}

func checkOneOf(options ...string) func(cty.Value) error {
	return func(v cty.Value) error {
		for _, o := range options {
			if v.AsString() == o {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v.AsString(), quoteList(options))
	}
}

func checkPortNumber(v cty.Value) error {
	bf := v.AsBigFloat()
	if !bf.IsInt() || bf.Cmp(big.NewFloat(1)) < 0 || bf.Cmp(big.NewFloat(65535)) > 0 {
		return fmt.Errorf("a port number must be a whole number from 1 to 65535, got %s", bf.Text('f', -1))
	}
	return nil
}

// checkPortRef accepts a port name or a port number (as the string the
// number converted to).
func checkPortRef(v cty.Value) error {
	s := v.AsString()
	if s == "" {
		return errors.New("a port name or number is required")
	}
	if n, err := strconv.Atoi(s); err == nil {
		return checkPortNumber(cty.NumberIntVal(int64(n)))
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
