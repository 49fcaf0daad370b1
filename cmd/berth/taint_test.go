package main

import (
	"testing"

	"github.com/berth-sh/berth/addrs"
)

// taint makes the next plan replace the object; untaint takes it back.
func TestE2ETaintUntaint(t *testing.T) {
	e := newE2E(t, `
resource "test_object" "a" {
  name = "a"
}
data "test_echo" "d" {
  input = "x"
}
`)
	e.ok("apply", "-auto-approve")
	addr, err := addrs.ParseInstance("test_object.a")
	if err != nil {
		t.Fatal(err)
	}
	idOf := func() string {
		v, _ := e.state().Instance(addr).Value.UnmarkDeep()
		return v.GetAttr("id").AsString()
	}
	id := idOf()

	r := e.ok("taint", "test_object.a")
	mustContain(t, "taint", r.stdout, "Successfully tainted 1 object(s).")
	r = e.expect(2, "plan", "-detailed-exitcode", "-no-color")
	mustContain(t, "plan after taint", r.stdout, "test_object.a is tainted, so it must be replaced", "1 to add, 0 to change, 1 to destroy")
	r = e.expect(1, "taint", "test_object.a")
	mustContain(t, "taint twice", r.stderr, "test_object.a is already tainted")

	e.ok("untaint", "test_object.a")
	e.expect(0, "plan", "-detailed-exitcode")
	r = e.expect(1, "untaint", "test_object.a")
	mustContain(t, "untaint twice", r.stderr, "test_object.a is already untainted")
	r = e.expect(1, "taint", "test_object.b")
	mustContain(t, "taint of nothing", r.stderr, "no object is recorded at test_object.b", "Did you mean test_object.a?")
	r = e.expect(1, "taint", "data.test_echo.d")
	mustContain(t, "taint of a data source", r.stderr, "is a data source")
	if got := idOf(); got != id {
		t.Errorf("taint and untaint changed the object: %s, was %s", got, id)
	}
}
