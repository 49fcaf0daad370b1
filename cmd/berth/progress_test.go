package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// manyObjects is a configuration of 22 objects whose value is var.v.
const manyObjects = `
variable "v" {
  type    = string
  default = "one"
}
resource "test_object" "o" {
  count = 22
  name  = "o${count.index}"
  value = var.v
}
`

// numbered returns the numbers n of the "[n/total] " that start the
// lines of out, in order.
func numbered(t *testing.T, out string, total int) []int {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\[(\d+)/(\d+)\] `)
	var ns []int
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		if m[2] != strconv.Itoa(total) {
			t.Errorf("a line counts %s changes, want %d:\n%s", m[2], total, out)
		}
		n, _ := strconv.Atoi(m[1])
		ns = append(ns, n)
	}
	return ns
}

func checkCounted(t *testing.T, what, out string, total int) {
	t.Helper()
	ns := numbered(t, out, total)
	for i, n := range ns {
		if n != i+1 {
			t.Errorf("%s: completion %d numbered %d:\n%s", what, i+1, n, out)
			break
		}
	}
	if len(ns) != total {
		t.Errorf("%s: %d completions numbered, want %d:\n%s", what, len(ns), total, out)
	}
}

// TestE2EProgress: plan, apply and drift announce the refresh of each
// provider's objects before the plan, and apply numbers the completion
// lines of more than 20 changes ("[n/N] addr: ... complete").
func TestE2EProgress(t *testing.T) {
	e := newE2E(t, manyObjects)
	const refreshing = "Refreshing 22 objects of provider test...\n"

	out := e.ok("apply", "-auto-approve").stdout
	if strings.Contains(out, "Refreshing") {
		t.Errorf("a refresh announced with nothing recorded:\n%s", out)
	}
	checkCounted(t, "first apply", out, 22)
	mustContain(t, "first apply", out, "[22/22] test_object.o[", ": Creation complete after ")

	for _, args := range [][]string{{"plan", "-var", "v=two"}, {"drift"}} {
		out := e.ok(args...).stdout
		if strings.Count(out, refreshing) != 1 || !strings.HasPrefix(out, refreshing) {
			t.Errorf("berth %s does not open with %q once:\n%s", strings.Join(args, " "), refreshing, out)
		}
	}

	out = e.ok("apply", "-auto-approve", "-var", "v=two").stdout
	before, _, found := strings.Cut(out, "berth will perform the following actions:")
	if !found || strings.Count(before, refreshing) != 1 {
		t.Errorf("apply does not announce the refresh once before its plan:\n%s", out)
	}
	checkCounted(t, "second apply", out, 22)
	mustContain(t, "second apply", out, ": Modifications complete after ")

	// One change (a replacement: two calls) is not numbered.
	out = e.ok("apply", "-auto-approve", "-var", "v=two", "-replace=test_object.o[3]").stdout
	mustContain(t, "replace", out, "test_object.o[3]: Destruction complete", "test_object.o[3]: Creation complete")
	if ns := numbered(t, out, 1); len(ns) > 0 {
		t.Errorf("an apply of one change numbered its completions:\n%s", out)
	}
}

// TestE2ENotSavedNote: plan without -out ends with Terraform's note that
// applying may do otherwise, only as text, with changes, and not in
// automation.
func TestE2ENotSavedNote(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name = "a"
}
`)
	const note = "\n─────────────────────────────────────────────────────────────────────────────\n\n" +
		"Note: You didn't use the -out option to save this plan, so berth can't\n" +
		"guarantee to take exactly these actions if you run \"berth apply\" now.\n"
	if out := e.ok("plan").stdout; !strings.HasSuffix(out, "Plan: 1 to add, 0 to change, 0 to destroy.\n"+note) {
		t.Errorf("plan does not end with the note:\n%s", out)
	}
	if out := e.ok("plan", "-compact").stdout; !strings.HasSuffix(out, note) {
		t.Errorf("plan -compact does not end with the note:\n%s", out)
	}
	for _, args := range [][]string{{"plan", "-out=web.plan"}, {"plan", "-json"}} {
		if out := e.ok(args...).stdout; strings.Contains(out, "-out option") {
			t.Errorf("berth %s has the note:\n%s", strings.Join(args, " "), out)
		}
	}
	e.env = append(e.env, "BERTH_IN_AUTOMATION=1")
	if out := e.ok("plan").stdout; strings.Contains(out, "-out option") {
		t.Errorf("the note in automation:\n%s", out)
	}
	e.env = e.env[:len(e.env)-1]
	e.ok("apply", "-auto-approve")
	if out := e.ok("plan").stdout; strings.Contains(out, "-out option") {
		t.Errorf("the note on a plan without changes:\n%s", out)
	}
}

// TestE2ECompact: plan, apply and show of a saved plan take -compact,
// one line per change.
func TestE2ECompact(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name  = "a"
  value = "one"
}
resource "test_object" "b" {
  name = "b"
}
`)
	e.ok("apply", "-auto-approve")
	e.write(`
resource "test_object" "a" {
  name  = "a"
  value = "two"
}
resource "test_object" "b" {
  name = "b2"
}
resource "test_object" "c" {
  name = "c"
}
`)
	lines := "berth will perform the following actions:\n" +
		"  ~ test_object.a  value\n" +
		"-/+ test_object.b  id, name (forces replacement), status\n" +
		"  + test_object.c\n" +
		"\nPlan: 2 to add, 1 to change, 1 to destroy.\n"
	plan := e.ok("plan", "-compact", "-out=web.plan").stdout
	mustContain(t, "plan -compact", plan, lines)
	if strings.Contains(plan, "will be updated in place") {
		t.Errorf("plan -compact shows the changes in full:\n%s", plan)
	}
	show := e.ok("show", "-compact", "web.plan").stdout
	if want := "\n" + lines; show != want {
		t.Errorf("show -compact:\n%s\nwant\n%s", show, want)
	}
	if r := e.expect(1, "show", "-compact"); !strings.Contains(r.stderr, "-compact shows a saved plan") {
		t.Errorf("show -compact without a plan: %s", r)
	}
	apply := e.ok("apply", "-compact", "-auto-approve").stdout
	mustContain(t, "apply -compact", apply, lines, "Apply complete! Resources: 2 added, 1 changed, 1 destroyed.")
}
