package state_test

import (
	"strings"
	"testing"

	"github.com/berth-sh/berth/state/statetest"
)

func TestDeepCopyIsIndependent(t *testing.T) {
	s := statetest.Big(20)
	c := s.DeepCopy()
	a := statetest.Instance(t, "test_object.obj0[0]")
	c.Instance(a).Private[0] = 'X'
	c.Instance(a).Dependencies[0].Name = "changed"
	c.RemoveInstance(statetest.Instance(t, "test_object.obj1[3]"))
	if s.Instance(a).Private[0] == 'X' || s.Instance(a).Dependencies[0].Name == "changed" {
		t.Error("changing the copy's object changed the original")
	}
	if s.Instance(statetest.Instance(t, "test_object.obj1[3]")) == nil {
		t.Error("removing from the copy removed from the original")
	}
}

func TestMoveInstance(t *testing.T) {
	tests := []struct {
		from, to string
		wantErr  string
	}{
		{"test_object.obj0[1]", "test_object.renamed", ""},
		{"test_object.obj0[1]", `test_object.obj0["one"]`, ""},
		{"test_object.obj0[1]", "test_object.obj0[2]", "already recorded"},
		{"test_object.nothing", "test_object.x", "no object"},
		{"test_object.obj0[1]", "data.test_object.x", "data source"},
	}
	for _, tt := range tests {
		t.Run(tt.from+" to "+tt.to, func(t *testing.T) {
			s := statetest.Big(10)
			from, to := statetest.Instance(t, tt.from), statetest.Instance(t, tt.to)
			obj := s.Instance(from)
			err := s.MoveInstance(from, to)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Instance(from) != nil || s.Instance(to) != obj || s.Resource(to.Resource).Provider != "test" {
				t.Error("the object did not move")
			}
			if s.InstanceCount() != 10 {
				t.Errorf("%d instances after the move", s.InstanceCount())
			}
		})
	}
}
