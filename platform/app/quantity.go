package app

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Quantity is a non-negative amount written in Kubernetes' quantity
// notation: a decimal number with an optional suffix, binary (Ki, Mi, Gi,
// Ti, Pi, Ei), decimal (k, M, G, T, P, E) or milli (m). It is held exactly,
// so "1" and "1000m", or "1Gi" and "1073741824", are the same amount and
// never a difference between a configuration and what a platform reports.
// The zero Quantity is zero.
type Quantity struct {
	r *big.Rat // nil: zero
}

var quantitySuffixes = map[string]*big.Rat{
	"":   big.NewRat(1, 1),
	"m":  big.NewRat(1, 1000),
	"k":  big.NewRat(1e3, 1),
	"M":  big.NewRat(1e6, 1),
	"G":  big.NewRat(1e9, 1),
	"T":  big.NewRat(1e12, 1),
	"P":  big.NewRat(1e15, 1),
	"E":  big.NewRat(1e18, 1),
	"Ki": new(big.Rat).SetInt64(1 << 10),
	"Mi": new(big.Rat).SetInt64(1 << 20),
	"Gi": new(big.Rat).SetInt64(1 << 30),
	"Ti": new(big.Rat).SetInt64(1 << 40),
	"Pi": new(big.Rat).SetInt64(1 << 50),
	"Ei": new(big.Rat).SetInt64(1 << 60),
}

// maxQuantity is the largest quantity accepted, in base units: 8Ei, the
// range of Kubernetes' quantities (a signed 64-bit count).
var maxQuantity = new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 63), big.NewInt(1))

var quantityShape = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)

// ParseQuantity parses a quantity such as "2Gi", "512Mi", "500m" or "0.5".
// Negative quantities and quantities above 8Ei are rejected.
func ParseQuantity(s string) (Quantity, error) {
	return ParseQuantityShown(s, strconv.Quote(s))
}

// ParseQuantityShown is ParseQuantity with shown standing for s in its
// messages (a redacted form, for a sensitive value).
func ParseQuantityShown(s, shown string) (Quantity, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, suffix := t[:i], t[i:]
	mult, ok := quantitySuffixes[suffix]
	if !ok || !quantityShape.MatchString(num) {
		return Quantity{}, fmt.Errorf("%s is not a quantity; use a number with an optional suffix, such as \"2Gi\", \"512Mi\", \"500m\" or \"0.5\"", shown)
	}
	if strings.HasPrefix(num, "-") {
		return Quantity{}, fmt.Errorf("quantity %s must not be negative", shown)
	}
	num = strings.TrimPrefix(num, "+")
	if strings.HasSuffix(num, ".") {
		num += "0"
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return Quantity{}, fmt.Errorf("%s is not a quantity; use a number with an optional suffix, such as \"2Gi\", \"512Mi\", \"500m\" or \"0.5\"", shown)
	}
	r.Mul(r, mult)
	if r.Cmp(maxQuantity) > 0 {
		return Quantity{}, fmt.Errorf("quantity %s is too large; the maximum is 8Ei", shown)
	}
	return Quantity{r: r}, nil
}

// MustParseQuantity is ParseQuantity for constants; it panics on an error.
func MustParseQuantity(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(err)
	}
	return q
}

func (q Quantity) rat() *big.Rat {
	if q.r == nil {
		return new(big.Rat)
	}
	return q.r
}

// IsZero reports whether q is zero.
func (q Quantity) IsZero() bool { return q.r == nil || q.r.Sign() == 0 }

// Cmp compares q and o: -1, 0 or +1.
func (q Quantity) Cmp(o Quantity) int { return q.rat().Cmp(o.rat()) }

// Value is q in whole base units, rounded up as Kubernetes rounds
// (bytes of memory).
func (q Quantity) Value() int64 { return ceilScaled(q.rat(), 1) }

// MilliValue is q in thousandths of a base unit, rounded up as Kubernetes
// rounds (millicores of CPU).
func (q Quantity) MilliValue() int64 { return ceilScaled(q.rat(), 1000) }

// Float64 is the nearest float64 to q.
func (q Quantity) Float64() float64 {
	f, _ := q.rat().Float64()
	return f
}

// Div is q divided by d (d > 0), exactly: a request derived from a limit
// and an overcommit factor.
func (q Quantity) Div(d float64) Quantity {
	if d <= 0 || q.IsZero() {
		return q
	}
	r := new(big.Rat).SetFloat64(d)
	if r == nil {
		return q
	}
	return Quantity{r: new(big.Rat).Quo(q.rat(), r)}
}

// String writes q in base units as a decimal number, with up to nine
// decimal places (rounded up): "2147483648", "0.5".
func (q Quantity) String() string {
	r := q.rat()
	if r.IsInt() {
		return r.Num().String()
	}
	n := ceilScaled(r, 1e9)
	s := strconv.FormatInt(n/1e9, 10) + "." + fmt.Sprintf("%09d", n%1e9)
	return strings.TrimRight(s, "0")
}

// ceilScaled is ceil(r * scale), saturated to the int64 range.
func ceilScaled(r *big.Rat, scale int64) int64 {
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt64(scale))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 1<<63 - 1
	}
	return q.Int64()
}
