//go:build integration

package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// backendTimesEnv turns TestBackendTimes on, with the number of objects:
// it takes minutes, so make integration does not run it.
//
//	BERTH_BACKEND_TIMES=10000 go test -tags integration -run TestBackendTimes -v ./cmd/berth/
const backendTimesEnv = "BERTH_BACKEND_TIMES"

// TestBackendTimes measures, through the berth binary, a no-op plan and an
// apply that changes 1% of the objects of a state of N objects, with the
// local backend and with the s3 backend (scripts/testenv/s3.sh's server),
// and reports s3's times against local's. The bar is 1.5x.
func TestBackendTimes(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(backendTimesEnv))
	if n <= 0 {
		t.Skipf("set %s to the number of objects to measure", backendTimesEnv)
	}
	endpoint, bucket := os.Getenv("BERTH_TEST_S3_ENDPOINT"), os.Getenv("BERTH_TEST_S3_BUCKET")
	if endpoint == "" || bucket == "" {
		t.Fatal("BERTH_TEST_S3_ENDPOINT or BERTH_TEST_S3_BUCKET is not set: eval \"$(scripts/testenv/s3.sh env)\"")
	}
	const runs = 3
	suffix := make([]byte, 4)
	rand.Read(suffix)
	s3Block := fmt.Sprintf(`  backend "s3" {
    bucket         = %q
    key            = "times-%s/berth.state"
    endpoint       = %q
    use_path_style = true
  }
`, bucket, hex.EncodeToString(suffix), endpoint)
	type times struct{ create, noop, apply time.Duration }
	measure := func(name, backendBlock string) times {
		e := newE2E(t, "")
		config := `berth {
  required_providers {
    test = { source = "berth-test/test", version = "1.0.0" }
  }
` + backendBlock + `}
provider "test" {
  store       = "${path.module}/store.json"
  cache_store = true
}
variable "gen" {
  type    = string
  default = "0"
}
resource "test_object" "o" {
  count = ` + strconv.Itoa(n) + `
  name  = "o-${count.index}"
  value = count.index % 100 == 0 ? "v${var.gen}" : "v"
}
`
		if err := os.WriteFile(filepath.Join(e.dir, "main.berth.hcl"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		e.ok("init", "-reconfigure")
		timed := func(args ...string) (time.Duration, result) {
			start := time.Now()
			r := e.ok(args...)
			return time.Since(start), r
		}
		var tm times
		tm.create, _ = timed("apply", "-auto-approve")
		var noops, applies []time.Duration
		for i := range runs {
			d, r := timed("plan", "-var", fmt.Sprintf("gen=%d", i))
			mustContain(t, name+" no-op plan", r.stdout, "No changes")
			noops = append(noops, d)
			d, r = timed("apply", "-auto-approve", "-var", fmt.Sprintf("gen=%d", i+1))
			mustContain(t, name+" apply of 1%", r.stdout, fmt.Sprintf("Apply complete! Resources: 0 added, %d changed", n/100))
			applies = append(applies, d)
		}
		tm.noop, tm.apply = median(noops), median(applies)
		t.Logf("%s, %d objects: create %s, no-op plan %s %v, apply of 1%% %s %v", name, n,
			tm.create.Round(time.Millisecond), tm.noop.Round(time.Millisecond), rounded(noops), tm.apply.Round(time.Millisecond), rounded(applies))
		return tm
	}
	local := measure("local", "")
	s3 := measure("s3", s3Block)
	t.Logf("s3 / local: create %.2fx, no-op plan %.2fx, apply of 1%% %.2fx", ratio(s3.create, local.create), ratio(s3.noop, local.noop), ratio(s3.apply, local.apply))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func rounded(ds []time.Duration) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond).String()
	}
	return "[" + strings.Join(out, " ") + "]"
}

func ratio(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }
