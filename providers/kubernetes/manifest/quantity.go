package manifest

import (
	"math"
	"math/big"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/berth-sh/berth/platform/app"
)

// CPU writes an amount of CPU cores as Kubernetes prints it canonically,
// in whole millicores rounded up as Kubernetes rounds: 1 -> "1", 0.5 ->
// "500m", 0.25 -> "250m", 1.5 -> "1500m". The API server stores and
// returns that string unchanged, so it never differs from what berth
// planned.
func CPU(q app.Quantity) string {
	return canonical(resource.NewMilliQuantity(q.MilliValue(), resource.DecimalSI))
}

// Memory writes an amount of bytes (rounded up to a whole byte) as
// Kubernetes prints it canonically: 1073741824 -> "1Gi", 536870912 ->
// "512Mi", 1610612736 -> "1536Mi", 1000000000 -> "1G", 1234 -> "1234".
func Memory(q app.Quantity) string {
	return canonical(resource.NewQuantity(q.Value(), resource.BinarySI))
}

// canonical is the string of q that the API server keeps as it is: the
// server parses what it receives (taking the format from the suffix) and
// prints it canonically, which for some binary amounts gives a decimal
// form (1000000000 bytes print as "1000000000" in binary, which parses as
// decimal and prints as "1G"). Printing and parsing again until nothing
// changes finds that fixed point.
func canonical(q *resource.Quantity) string {
	s := q.String()
	for range 3 {
		p, err := resource.ParseQuantity(s)
		if err != nil || p.String() == s {
			break
		}
		s = p.String()
	}
	return s
}

// decimal writes a number (a scaling target) as a canonical decimal
// quantity, rounded up to thousandths: 100 -> "100", 0.5 -> "500m".
func decimal(f float64) string {
	r := new(big.Rat)
	if math.IsNaN(f) || math.IsInf(f, 0) || r.SetFloat64(f) == nil || f < 0 {
		return "0"
	}
	r.Mul(r, big.NewRat(1000, 1))
	n, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		n.Add(n, big.NewInt(1))
	}
	if !n.IsInt64() {
		return canonical(resource.NewQuantity(math.MaxInt64, resource.DecimalSI))
	}
	return canonical(resource.NewMilliQuantity(n.Int64(), resource.DecimalSI))
}
