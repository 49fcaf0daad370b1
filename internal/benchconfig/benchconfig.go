// Package benchconfig generates the configurations of berth's plan and
// apply benchmarks (core/bench_test.go and tools/bench): n objects of the
// test provider, exactly 1% of whose values follow var.gen, so that the
// "change" workloads alter 1% of them.
package benchconfig

import (
	"fmt"
	"strings"
)

// Count is one block of n independent objects; every 100th one's value
// follows var.gen.
func Count(n int) string {
	return fmt.Sprintf(`
resource "test_object" "o" {
  count = %d
  name  = "o-${count.index}"
  value = count.index %% 100 == 0 ? "v${var.gen}" : "v"
}
`, n)
}

// Blocks is n separate blocks of one object each.
func Blocks(n int) string {
	var b strings.Builder
	for i := range n {
		value := `"v"`
		if i%100 == 0 {
			value = `"v${var.gen}"`
		}
		fmt.Fprintf(&b, "resource \"test_object\" \"o%d\" {\n  name  = \"o-%d\"\n  value = %s\n}\n", i, i, value)
	}
	return b.String()
}

// Chains10 is n/10 chains of 10 objects: link k+1 of a chain takes link
// k's id as its value, so each chain is applied in sequence. The first
// link of every 10th chain follows var.gen (1% of the objects).
func Chains10(n int) string {
	chains := n / 10
	var b strings.Builder
	fmt.Fprintf(&b, `
resource "test_object" "c0" {
  count = %d
  name  = "c0-${count.index}"
  value = count.index %% 10 == 0 ? "v${var.gen}" : "v"
}
`, chains)
	for k := 1; k < 10; k++ {
		fmt.Fprintf(&b, `
resource "test_object" "c%d" {
  count = %d
  name  = "c%d-${count.index}"
  value = test_object.c%d[count.index].id
}
`, k, chains, k, k-1)
	}
	return b.String()
}
