package kubernetes

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/berth-sh/berth/platform/app"
)

func testPod(name, hash string, created int) pod {
	return pod{Name: name, Node: "n", IP: "10.0.0.1", ConfigHash: hash, ImageDigest: "img@" + hash, Ready: true, Status: statusRunning,
		Created: time.Unix(int64(created), 0)}
}

// slots renders instances as "name=pod" in order.
func slots(ins []app.Instance) []string {
	var out []string
	for _, in := range ins {
		out = append(out, fmt.Sprintf("%s=%s", in.Name, in.ID))
	}
	return out
}

func TestAssignment(t *testing.T) {
	prior := []app.Instance{
		{Name: "web-0", ID: "old-a", ConfigHash: "h1"}, {Name: "web-1", ID: "old-b", ConfigHash: "h1"}, {Name: "web-2", ID: "old-c", ConfigHash: "h1"},
	}
	tests := []struct {
		name string
		as   assignment
		pods []pod
		want []string
	}{
		{"refresh keeps each pod's slot", assignment{App: "web", Prior: prior},
			[]pod{testPod("old-c", "h1", 3), testPod("old-a", "h1", 1), testPod("old-b", "h1", 2)},
			[]string{"web-0=old-a", "web-1=old-b", "web-2=old-c"}},
		{"a pod the ReplicaSet replaced takes the freed slot", assignment{App: "web", Prior: prior},
			[]pod{testPod("old-a", "h1", 1), testPod("old-c", "h1", 3), testPod("new-x", "h1", 9)},
			[]string{"web-0=old-a", "web-1=new-x", "web-2=old-c"}},
		{"a started pod of the target takes the slot the step named", assignment{App: "web", Prior: prior, Target: "h2", Start: []string{"web-1"}},
			[]pod{testPod("old-a", "h1", 1), testPod("old-b", "h1", 2), testPod("old-c", "h1", 3), testPod("new-1", "h2", 9)},
			[]string{"web-0=old-a", "web-1=new-1", "web-1=old-b", "web-2=old-c"}},
		{"a stop that removed another pod moves the survivor into the freed slot", assignment{App: "web", Target: "h2", Stop: []string{"web-0"},
			Prior: append(slices.Clone(prior), app.Instance{Name: "web-0", ID: "new-0", ConfigHash: "h2"})},
			[]pod{testPod("old-a", "h1", 1), testPod("old-b", "h1", 2), testPod("new-0", "h2", 9)},
			[]string{"web-0=new-0", "web-1=old-b", "web-2=old-a"}},
		{"an autoscaler's new pods take the next slots", assignment{App: "web", Prior: prior},
			[]pod{testPod("old-a", "h1", 1), testPod("old-b", "h1", 2), testPod("old-c", "h1", 3), testPod("more-1", "h1", 5), testPod("more-2", "h1", 6)},
			[]string{"web-0=old-a", "web-1=old-b", "web-2=old-c", "web-3=more-1", "web-4=more-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slots(tt.as.instances(tt.pods)); !slices.Equal(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}
