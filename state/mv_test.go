package state

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/berth-sh/berth/addrs"
	"github.com/zclconf/go-cty/cty"
)

// mvState records test_object.a (no count), test_object.b[0..1],
// other_type.c and data.test_echo.d.
func mvState(t *testing.T) *State {
	t.Helper()
	s := New()
	for _, a := range []string{"test_object.a", "test_object.b[0]", "test_object.b[1]", "other_type.c", "data.test_echo.d"} {
		addr := mustAddr(t, a)
		s.SetInstance(addr, "test", &Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(a)})})
	}
	return s
}

func mustAddr(t *testing.T, s string) addrs.Instance {
	t.Helper()
	a, err := addrs.ParseInstance(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func instanceList(s *State) string {
	var out []string
	for a, o := range s.AllInstances() {
		out = append(out, a.String()+"="+o.Value.GetAttr("id").AsString())
	}
	return strings.Join(out, " ")
}

func TestMove(t *testing.T) {
	tests := []struct {
		name, from, to string
		moved          string // "from>to ..." of the moved instances
		after          string // instanceList afterwards (unchanged on error)
		err            string
	}{
		{
			name: "instance to a new instance", from: "test_object.b[1]", to: "test_object.b[5]",
			moved: "test_object.b[1]>test_object.b[5]",
			after: "other_type.c=other_type.c test_object.a=test_object.a test_object.b[0]=test_object.b[0] test_object.b[5]=test_object.b[1] data.test_echo.d=data.test_echo.d",
		},
		{
			name: "resource to a new resource keeps keys", from: "test_object.b", to: "test_object.z",
			moved: "test_object.b[0]>test_object.z[0] test_object.b[1]>test_object.z[1]",
			after: "other_type.c=other_type.c test_object.a=test_object.a test_object.z[0]=test_object.b[0] test_object.z[1]=test_object.b[1] data.test_echo.d=data.test_echo.d",
		},
		{
			name: "single-instance resource to an instance", from: "test_object.a", to: "test_object.b[2]",
			moved: "test_object.a>test_object.b[2]",
			after: "other_type.c=other_type.c test_object.b[0]=test_object.b[0] test_object.b[1]=test_object.b[1] test_object.b[2]=test_object.a data.test_echo.d=data.test_echo.d",
		},
		{
			name: "the only instance gains a key", from: "test_object.a", to: "test_object.a[0]",
			moved: "test_object.a>test_object.a[0]",
			after: "other_type.c=other_type.c test_object.a[0]=test_object.a test_object.b[0]=test_object.b[0] test_object.b[1]=test_object.b[1] data.test_echo.d=data.test_echo.d",
		},
		{name: "one of several instances cannot lose its key", from: "test_object.b[0]", to: "test_object.b", err: "test_object.b already exists"},
		{name: "onto an existing instance", from: "test_object.b[0]", to: "test_object.b[1]", err: "already recorded at test_object.b[1]"},
		{name: "onto an existing resource", from: "test_object.b", to: "test_object.a", err: "test_object.a already exists in the state with 1 instance(s)"},
		{name: "instance onto an existing resource", from: "test_object.b[0]", to: "test_object.a", err: "test_object.a already exists"},
		{name: "across types", from: "test_object.a", to: "other_type.a", err: "the resource types differ"},
		{name: "managed to data", from: "test_object.a", to: "data.test_object.a", err: "one is a data source"},
		{name: "missing source", from: "test_object.nope", to: "test_object.x", err: "no object is recorded at test_object.nope"},
		{name: "missing source instance", from: "test_object.b[7]", to: "test_object.x", err: "no object is recorded at test_object.b[7]"},
		{name: "many instances to one instance", from: "test_object.b", to: "test_object.x[0]", err: "has 2 instances"},
		{name: "onto itself", from: "test_object.a", to: "test_object.a", err: "onto itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mvState(t)
			before := instanceList(s)
			moved, err := s.Move(mustAddr(t, tt.from), mustAddr(t, tt.to))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if got := instanceList(s); got != before {
					t.Fatalf("a failed move changed the state:\n got %s\nwant %s", got, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range moved {
				got = append(got, m.From.String()+">"+m.To.String())
			}
			if g := strings.Join(got, " "); g != tt.moved {
				t.Errorf("moved %s, want %s", g, tt.moved)
			}
			if g := instanceList(s); g != tt.after {
				t.Errorf("after:\n got %s\nwant %s", g, tt.after)
			}
			for _, r := range s.Resources {
				if r.Provider != "test" {
					t.Errorf("%s lost its provider: %q", r.Addr, r.Provider)
				}
				for k := range r.Instances {
					if a := r.Addr.Instance(k); s.Instance(a) == nil {
						t.Errorf("%s is not reachable by its address", a)
					}
				}
			}
		})
	}
}

func TestSelectAndRemove(t *testing.T) {
	tests := []struct {
		addr   string
		want   []string
		remain int
	}{
		{"test_object.b", []string{"test_object.b[0]", "test_object.b[1]"}, 3},
		{"test_object.b[1]", []string{"test_object.b[1]"}, 4},
		{"test_object.a", []string{"test_object.a"}, 4},
		{"data.test_echo.d", []string{"data.test_echo.d"}, 4},
		{"test_object.b[9]", nil, 5},
		{"test_object.zz", nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			s := mvState(t)
			var got []string
			for _, a := range s.Select(mustAddr(t, tt.addr)) {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Select = %v, want %v", got, tt.want)
			}
			removed, err := s.Remove(mustAddr(t, tt.addr))
			if len(tt.want) == 0 {
				if err == nil {
					t.Fatalf("removing a missing address succeeded")
				}
			} else if err != nil || len(removed) != len(tt.want) {
				t.Fatalf("Remove = %v, %v", removed, err)
			}
			if n := s.InstanceCount(); n != tt.remain {
				t.Fatalf("%d instances remain, want %d", n, tt.remain)
			}
		})
	}
}

func TestAddresses(t *testing.T) {
	got := fmt.Sprint(mvState(t).Addresses())
	want := "[other_type.c test_object.a test_object.b test_object.b[0] test_object.b[1] data.test_echo.d]"
	if got != want {
		t.Fatalf("Addresses = %s, want %s", got, want)
	}
}

// A move is undone by the reverse move, also when it only added a key.
func TestMoveRoundTrip(t *testing.T) {
	s := mvState(t)
	before := instanceList(s)
	if _, err := s.Move(mustAddr(t, "test_object.a"), mustAddr(t, "test_object.a[0]")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Move(mustAddr(t, "test_object.a[0]"), mustAddr(t, "test_object.a")); err != nil {
		t.Fatalf("moving back: %v", err)
	}
	if got := instanceList(s); got != before {
		t.Errorf("after the round trip:\n got %s\nwant %s", got, before)
	}
}

// Deposed objects go with their instance when it moves, and are forgotten
// by the address that names them.
func TestMoveAndRemoveCarryDeposed(t *testing.T) {
	s := mvState(t)
	s.AddDeposed(&Deposed{Addr: mustAddr(t, "test_object.a"), Key: "k1", Provider: "test", Object: &Object{Value: cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("old")})}})
	if _, err := s.Move(mustAddr(t, "test_object.a"), mustAddr(t, "test_object.c")); err != nil {
		t.Fatal(err)
	}
	if len(s.Deposed) != 1 || s.Deposed[0].Addr.String() != "test_object.c" {
		t.Fatalf("deposed after mv: %+v", s.Deposed)
	}
	if _, err := s.Remove(mustAddr(t, "test_object.c")); err != nil {
		t.Fatal(err)
	}
	// Left without its instance, it is still named by the address.
	if got := s.RemoveDeposedAt(mustAddr(t, "test_object.c")); len(got) != 1 || len(s.Deposed) != 0 {
		t.Fatalf("RemoveDeposedAt: %+v, left %+v", got, s.Deposed)
	}
}
